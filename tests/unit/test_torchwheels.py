"""Where a pip line finds a PyTorch build: the flat link page before 1.11, the variant's
index after, the nightly index for a pre-release (pytorch.github.io previous-versions.md)."""

from __future__ import annotations

import pytest

from chipdoctor.rules.common import pip_install
from chipdoctor.torchwheels import FLAT_PAGE, source_option, wheel_source


@pytest.mark.parametrize(
    ("torch", "variant", "url"),
    [
        ("1.2.0", "cu92", FLAT_PAGE),
        ("1.10.1", "cu111", FLAT_PAGE),
        ("1.10.1+cu102", "cu111", FLAT_PAGE),
        ("1.11.0", "cu113", "https://download.pytorch.org/whl/cu113"),
        ("2.5.1+cpu", "cu124", "https://download.pytorch.org/whl/cu124"),
        ("2.6.0", "rocm6.2.4", "https://download.pytorch.org/whl/rocm6.2.4"),
        ("2.10.0.dev20250901", "rocm7.0", "https://download.pytorch.org/whl/nightly/rocm7.0"),
        ("2.6.*", "rocm6.2", "https://download.pytorch.org/whl/rocm6.2"),
    ],
)
def test_wheel_source(torch: str, variant: str, url: str) -> None:
    assert wheel_source(torch, variant) == url


def test_the_option_follows_the_source() -> None:
    assert source_option(FLAT_PAGE) == "-f"
    assert source_option("https://download.pytorch.org/whl/cu124") == "--index-url"
    assert pip_install("torch==1.7.1+cu110", index_url=wheel_source("1.7.1", "cu110")) == (
        "pip install torch==1.7.1+cu110 -f https://download.pytorch.org/whl/torch_stable.html"
    )
