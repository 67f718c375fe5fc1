"""Tests for chipdoctor.stacks.rocm.amd_smi on real `amd-smi version` outputs (see SOURCES.md)."""

from __future__ import annotations

from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.stacks.rocm.amd_smi import AmdSmiVersion, parse_amd_smi_version
from tests.conftest import FIXTURES as FIXTURES_ROOT

FIXTURES = FIXTURES_ROOT / "amd_smi"

# fixture -> (tool, library, rocm, amdgpu, error starts with)
EXPECTED: dict[str, tuple[Optional[str], Optional[str], Optional[str], Optional[str], str]] = {
    "rocm6.1.0_changelog_three_fields.txt": ("23.4.2+505b858", "24.2.0.0", "6.1.0", None, ""),
    "rocm_na_changelog_hsmp.txt": ("24.7.1+b446d6c-dirty", "24.7.2.0", None, "6.10.10", ""),
    "rocm6.4.1_mi300x_legacy4759.txt": ("25.4.2+aca1101", "25.4.0", "6.4.1", "6.10.5", ""),
    "rocm7.0.2_rx9060xt_rocm5442.txt": ("26.0.2+39589fda", "26.0.2", "7.0.2", "6.14.14", ""),
    "rocm7.2.0_mi350x_hsmp.txt": ("26.2.1+fc0010cf6a", "26.2.1", "7.2.0", "7.1.1.31500000", ""),
    "error_driver_builtin_amdsmi75.txt": (
        "26.1.0+b5522cc8",
        "26.1.0",
        None,
        None,
        "ERROR:root:Unable to get devices, driver not initialized",
    ),
    "error_wsl_no_version_line_amdsmi75.txt": (
        None,
        None,
        None,
        None,
        "ERROR: Unable to get devices, driver not initialized",
    ),
}


def test_every_fixture_file_is_covered_and_sourced() -> None:
    on_disk = {path.name for path in FIXTURES.glob("*.txt")}
    assert on_disk == set(EXPECTED)
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    for name in on_disk:
        assert f"`{name}`" in sources, f"{name} has no entry in SOURCES.md"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_fields(name: str) -> None:
    tool, library, rocm, amdgpu, error = EXPECTED[name]
    info = parse_amd_smi_version((FIXTURES / name).read_text(encoding="utf-8"))
    assert (info.tool, info.library, info.rocm, info.amdgpu) == (tool, library, rocm, amdgpu)
    if error:
        assert info.error is not None and info.error.startswith(error)
    else:
        assert info.error is None


def test_empty_output() -> None:
    assert parse_amd_smi_version("") == AmdSmiVersion(None, None, None, None, None)


def test_field_names_compare_case_insensitively() -> None:
    info = parse_amd_smi_version("amdsmi tool: 1.0 | ROCM VERSION: 6.3.1")
    assert (info.tool, info.rocm) == ("1.0", "6.3.1")


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    parse_amd_smi_version(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="AMDSMI Tool:|ROCm version N/A.0123456789", max_size=30)))
def test_never_raises_on_field_like_text(parts: list[str]) -> None:
    parse_amd_smi_version("AMDSMI Tool: " + " | ".join(parts))
