"""NVIDIA library wheels of two CUDA majors side by side (pytorch/pytorch#186591): the one the
installed torch build does not need is named, with a line that keeps the other's file."""

from __future__ import annotations

from chipdoctor.evidence.base import PlatformInfo
from chipdoctor.model import Severity
from chipdoctor.rules.nvidia_wheels import FINDING, findings

LINUX = PlatformInfo(system="Linux", machine="x86_64")
BOTH = {"nvidia-nccl-cu12": "2.29.3", "nvidia-nccl-cu13": "2.29.7"}
#: PyPI's torch 2.12.0 for Linux x86_64, its Requires-Dist on NCCL (the wheel's METADATA).
TORCH_2_12 = ('nvidia-nccl-cu13==2.29.7; platform_system == "Linux"',)


def test_torch_requires_one_of_them() -> None:
    (finding,) = findings(LINUX, {**BOTH, "torch": "2.12.0"}, {"torch": TORCH_2_12})
    assert finding.id == FINDING and finding.severity is Severity.ERROR
    assert "requires nvidia-nccl-cu13" in finding.message
    assert "nvidia/nccl/lib/libnccl.so.2" in finding.message
    assert finding.fix == (
        "pip uninstall nvidia-nccl-cu12 -y && "
        "pip install --force-reinstall --no-deps nvidia-nccl-cu13==2.29.7"
    )


def test_the_build_from_the_tag_or_version_py() -> None:
    (tagged,) = findings(LINUX, {**BOTH, "torch": "2.9.0+cu126"}, {})
    assert "CUDA 12 build" in tagged.message
    assert tagged.fix.startswith("pip uninstall nvidia-nccl-cu13 -y && ")
    assert tagged.fix.endswith("nvidia-nccl-cu12==2.29.3")
    (recorded,) = findings(LINUX, {**BOTH, "torch": "2.12.0"}, {}, torch_cuda="13.0")
    assert recorded.fix.startswith("pip uninstall nvidia-nccl-cu12 -y")


def test_torchs_build_unknown_names_both_ways() -> None:
    """The report's own state: torch did not import and its version was not recorded."""
    (finding,) = findings(LINUX, BOTH, {})
    assert finding.severity is Severity.ERROR and "was not recorded" in finding.message
    lines = finding.fix.splitlines()
    assert "For a CUDA 13 build of torch: pip uninstall nvidia-nccl-cu12 -y" in lines[0]
    assert "For a CUDA 12 build of torch: pip uninstall nvidia-nccl-cu13 -y" in lines[1]
    # a torch build that needs neither (a CUDA 11 tag) is not guessed at either
    (other,) = findings(LINUX, {**BOTH, "torch": "2.0.1+cu118"}, {})
    assert "was not recorded" in other.message


def test_one_major_per_library_is_fine() -> None:
    mixed = {
        "nvidia-nccl-cu12": "2.21.5",
        "nvidia-cudnn-cu13": "9.20.0.48",
        "nvidia-cublas": "13.1.0.3",
        "torch": "2.5.1",
    }
    assert findings(LINUX, mixed, {}) == []
    assert findings(LINUX, {"torch": "2.12.0"}, {"torch": TORCH_2_12}) == []


def test_each_library_once_and_no_shell_text_in_the_line() -> None:
    packages = {
        **BOTH,
        "nvidia-nvshmem-cu12": "3.4.5",
        "nvidia-nvshmem-cu13": "$(touch x)",
        "torch": "2.12.0",
    }
    found = findings(LINUX, packages, {"torch": TORCH_2_12}, torch_cuda="13.0")
    assert [f.message.split(" ")[0] for f in found] == ["nvidia-nccl-cu12", "nvidia-nvshmem-cu12"]
    assert found[1].fix.endswith("--no-deps nvidia-nvshmem-cu13")


def test_only_libraries_read_to_share_a_file() -> None:
    """cuDNN's CUDA 12 and 13 wheels both install libcudnn.so.9; pairs not read (CUDA 11 and
    12, a library whose wheels were not read) are not judged."""
    (cudnn,) = findings(
        LINUX, {"nvidia-cudnn-cu12": "9.20.0.48", "nvidia-cudnn-cu13": "9.20.0.48"}, {}
    )
    assert "nvidia/cudnn/lib/libcudnn.so.9" in cudnn.message
    assert (
        findings(LINUX, {"nvidia-cudnn-cu11": "9.1.0.70", "nvidia-cudnn-cu12": "9.1.0.70"}, {})
        == []
    )
    assert findings(LINUX, {"nvidia-nvtx-cu12": "1.0", "nvidia-nvtx-cu13": "1.0"}, {}) == []
