"""A CUDA torchvision/torchaudio under a CPU-only torch (pytorch/pytorch#122494): the build of a
plain companion is PyPI's, the default build of the torch release it is made for."""

from __future__ import annotations

from chipdoctor.evidence.base import PlatformInfo
from chipdoctor.model import Severity
from chipdoctor.rules.companion_builds import findings

LINUX = PlatformInfo(system="Linux", machine="x86_64")
WINDOWS = PlatformInfo(system="Windows", machine="AMD64")


def test_pypi_torchvision_under_a_cpu_torch() -> None:
    (finding,) = findings(LINUX, {"torch": "2.2.1+cpu", "torchvision": "0.17.1"})
    assert finding.id == "host.companion-build" and finding.severity is Severity.ERROR
    assert finding.components == ("torch", "torchvision")
    assert "CUDA 12.1" in finding.message and "b8539eb5" in finding.message
    assert finding.fix == (
        "pip install torchvision==0.17.1+cpu --index-url https://download.pytorch.org/whl/cpu"
    )


def test_a_tagged_torchaudio_under_a_cpu_torch() -> None:
    (finding,) = findings(LINUX, {"torch": "2.2.1+cpu", "torchaudio": "2.2.1+cu121"})
    assert finding.components == ("torch", "torchaudio")
    assert "torchaudio==2.2.1+cpu" in finding.fix


def test_builds_that_load_are_not_judged() -> None:
    same = {"torch": "2.2.1+cpu", "torchvision": "0.17.1+cpu", "torchaudio": "2.2.1+cpu"}
    assert findings(LINUX, same) == []
    # a CPU companion under PyPI's CUDA torch loads (its CUDA kernels are missing, not its library)
    assert findings(LINUX, {"torch": "2.2.1", "torchvision": "0.17.1+cpu"}) == []
    # a plain torchaudio has no table here; Windows' PyPI wheels are CPU builds
    assert findings(LINUX, {"torch": "2.2.1+cpu", "torchaudio": "2.2.1"}) == []
    assert findings(WINDOWS, {"torch": "2.2.1+cpu", "torchvision": "0.17.1"}) == []
    # a ROCm torch, or no torch at all, is not this rule's
    assert findings(LINUX, {"torch": "2.2.1+rocm5.7", "torchvision": "0.17.1"}) == []
    assert findings(LINUX, {"torchvision": "0.17.1"}) == []


def test_a_torchvision_of_another_torch_line_without_its_pin() -> None:
    """vllm-project/vllm-ascend#477: torchvision 0.21 (made for torch 2.6) under torch 2.5.1,
    no Requires-Dist recorded; where it is, the Requires-Dist check judges instead."""
    packages = {"torch": "2.5.1", "torchvision": "0.21.0"}
    (finding,) = findings(PlatformInfo(system="Linux"), packages)
    assert finding.id == "host.companion-release" and finding.severity is Severity.ERROR
    assert "torch 2.6" in finding.message and "pytorch/vision" in finding.message
    assert finding.fix == 'pip install "torchvision==0.20.*" torch==2.5.1'
    assert (
        findings(PlatformInfo(system="Linux"), packages, {"torchvision": ("torch==2.6.0",)}) == []
    )
    assert findings(LINUX, {"torch": "2.5.1", "torchvision": "0.20.1"}) == []
    assert findings(LINUX, {"torch": "2.6.0.dev20241112", "torchvision": "0.20.1"}) == []


def test_a_version_that_is_not_pep_440_is_not_judged() -> None:
    """A snapshot's version reaches the fix's pip line only where it is one (no `$(...)`)."""
    for vision in ("0.17.$(touch x)", "$(touch x)+cu121"):
        assert findings(LINUX, {"torch": "2.2.1+cpu", "torchvision": vision}) == []
