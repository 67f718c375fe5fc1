"""A plain torch version is its release's default build: from its Requires-Dist, else from the
published default, used as a tagged build is; torch/version.py wins when recorded."""

from __future__ import annotations

from pathlib import Path

import yaml

from chipdoctor.engine import collect
from chipdoctor.evidence.snapshot import SnapshotEvidence
from chipdoctor.model import FACT_TORCH_CUDA, FACT_TORCH_DEFAULT_BUILD
from chipdoctor.probes.torch_default import cuda_of_requirements, default_build

SITE = "/usr/lib/python3/dist-packages"


def test_requires_dist_forms() -> None:
    """Both spellings PyPI's METADATA has used (pytorch/pytorch#146679, astral-sh/uv#10119)."""
    old = 'nvidia-cuda-runtime-cu12 (==12.4.127) ; platform_system == "Linux"'
    new = 'nvidia-cuda-runtime-cu12==12.6.77; platform_system == "Linux"'
    assert cuda_of_requirements(["filelock", old]) == "12.4"
    assert cuda_of_requirements([new]) == "12.6"
    assert cuda_of_requirements(["filelock", "sympy"]) is None


def test_published_default_per_machine() -> None:
    assert (default_build("1.7.1", "x86_64", []) or ("",))[0] == "10.2"
    assert (default_build("2.0.1", "x86_64", []) or ("",))[0] == "11.7"
    assert (default_build("1.12.1", "x86_64", []) or ("",))[0] == "10.2"
    assert (default_build("1.13.1", "x86_64", []) or ("",))[0] == "11.7"
    assert (default_build("2.1.2", "x86_64", []) or ("",))[0] == "12.1"
    assert (default_build("2.5.1", "x86_64", []) or ("",))[0] == "12.4"
    assert (default_build("2.7.1", "x86_64", []) or ("",))[0] == "12.6"
    assert (default_build("2.11.0", "aarch64", []) or ("",))[0] == "13.0"
    cpu = default_build("2.7.1", "aarch64", [])
    assert cpu is not None and cpu[0] is None and "test-infra" in cpu[1]
    assert default_build("1.7.1", "aarch64", []) is None  # no source read here says
    assert default_build("1.7.1+cpu", "x86_64", []) is None
    assert (default_build("1.10.1", "x86_64", []) or ("",))[0] == "10.2"
    assert (default_build("1.11.0", "x86_64", []) or ("",))[0] == "10.2"
    assert (default_build("2.9.0", "x86_64", []) or ("",))[0] == "12.8"
    assert (default_build("2.13.0", "x86_64", []) or ("",))[0] == "13.0"
    assert default_build("1.9.1", "x86_64", []) is None  # its selector command was tagged
    assert default_build("2.9.0", "aarch64", []) is None  # no source read here says
    assert default_build("2.14.0", "x86_64", []) is None  # not a release the sources name
    assert default_build("2.1.0", "x86_64", []) != default_build("2.11.0", "x86_64", [])


def test_1_3_from_pypis_own_wheels() -> None:
    """pytorch/pytorch#31243: PyPI's 1.3.0 and 1.3.1 wheels say CUDA 10.1 in torch/version.py;
    before 1.8.0 PyPI has no other Linux machine's wheel, so an unrecorded machine is x86_64."""
    for version in ("1.3.0", "1.3.1"):
        found = default_build(version, "x86_64", [], "Linux")
        assert found is not None and found[0] == "10.1" and "manylinux1_x86_64" in found[1]
        assert default_build(version, "", [], "Linux") == found
        assert default_build(version, "", []) == found
    assert default_build("1.3.0", "", [], "Windows") is None
    assert default_build("1.3.0", "", [], "Darwin") is None
    # from 1.8.0 on PyPI has aarch64 wheels too: an unrecorded machine stays unknown
    assert (default_build("1.8.0", "x86_64", []) or ("",))[0] == "10.2"
    assert default_build("1.8.0", "", [], "Linux") is None
    assert default_build("2.1.2", "", [], "Linux") is None


def test_the_system_decides_too() -> None:
    """Windows' PyPI wheel is the CPU build (win_amd64 +cpu in every promotion script); macOS
    wheels carry no CUDA, so no row applies there."""
    windows = default_build("2.1.2", "AMD64", [], "Windows")
    assert windows is not None and windows[0] is None
    assert (default_build("2.1.2", "x86_64", [], "Linux") or ("",))[0] == "12.1"
    assert default_build("2.1.2", "x86_64", [], "Darwin") is None
    assert default_build("2.1.2", "ARM64", [], "Windows") is None


def _snapshot(tmp: Path, packages: dict[str, str], **extra: object) -> SnapshotEvidence:
    document = {
        "format": "chipdoctor-snapshot/3",
        "platform": {"system": "Linux", "machine": "x86_64"},
        "python": {"version": "3.11.9", "packages": packages, "paths": [SITE]},
        **extra,
    }
    (tmp / "snapshot.yaml").write_text(yaml.safe_dump(document))
    return SnapshotEvidence(tmp)


def test_plain_version_from_requires_dist(tmp_path: Path) -> None:
    requires = {"torch": ['nvidia-cuda-runtime-cu12==12.6.77; platform_system == "Linux"']}
    inv = collect(_snapshot(tmp_path, {"torch": "2.7.1"}, requires_dist=requires))
    assert inv.facts[FACT_TORCH_CUDA] == "12.6"
    assert inv.facts[FACT_TORCH_DEFAULT_BUILD] == "Requires-Dist of torch"


def test_plain_version_from_the_published_default(tmp_path: Path) -> None:
    inv = collect(_snapshot(tmp_path, {"torch": "1.7.1"}))
    assert inv.facts[FACT_TORCH_CUDA] == "10.2"
    assert "previous-versions.md" in inv.facts[FACT_TORCH_DEFAULT_BUILD]


def test_version_py_wins(tmp_path: Path) -> None:
    version_py = tmp_path / "files" / SITE.lstrip("/") / "torch" / "version.py"
    version_py.parent.mkdir(parents=True)
    version_py.write_text("__version__ = '1.7.1'\ncuda = None\nhip = None\n")
    inv = collect(_snapshot(tmp_path, {"torch": "1.7.1"}))
    assert FACT_TORCH_CUDA not in inv.facts and FACT_TORCH_DEFAULT_BUILD not in inv.facts


def test_plain_aarch64_wheel_is_cpu(tmp_path: Path) -> None:
    """A CPU-only default build is recorded as a default build without a CUDA fact."""
    inv = collect(
        _snapshot(
            tmp_path,
            {"torch": "2.7.1"},
            platform={"system": "Linux", "machine": "aarch64"},
        )
    )
    assert FACT_TORCH_CUDA not in inv.facts
    assert "test-infra" in inv.facts[FACT_TORCH_DEFAULT_BUILD]
