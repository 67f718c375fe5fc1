"""A CUDA torchvision/torchaudio under a CPU-only torch (pytorch/pytorch#122494): the build of a
plain companion is PyPI's, the default build of the torch release it is made for."""

from __future__ import annotations

from chipdoctor.evidence.base import PlatformInfo
from chipdoctor.model import FACT_TORCH_CUDA, Component, Inventory, Severity
from chipdoctor.parsers import xformers_build as xf
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


def _xformers(built: str, cuda: str | None = "1201", driver: str | None = None) -> Inventory:
    """What the host probe records of xformers/cpp_lib.json (chipdoctor/probes/host.py)."""
    facts = {xf.FACT_TORCH: built, xf.FACT_SOURCE: f"{SITE}/xformers/cpp_lib.json"}
    if cuda:
        facts[xf.FACT_CUDA] = cuda
    inventory = Inventory(facts=facts)
    if driver:
        inventory.components.append(Component("nvidia_driver", driver, "nvidia-smi"))
    return inventory


SITE = "/opt/conda/lib/python3.10/site-packages"


def test_a_cuda_xformers_under_a_cpu_torch() -> None:
    """open-mmlab/PIA#30: built for 2.1.2+cu121, torch 2.1.2+cpu; the fix a CUDA torch."""
    packages = {"torch": "2.1.2+cpu", "xformers": "0.0.21"}
    (finding,) = findings(WINDOWS, packages, {}, _xformers("2.1.2+cu121"))
    assert finding.id == "host.companion-build" and finding.severity is Severity.ERROR
    assert finding.components == ("torch",)
    assert "PyTorch 2.1.2+cu121 with CUDA 1201" in finding.message
    assert f"{SITE}/xformers/cpp_lib.json" in finding.message
    assert "torch 2.1.2+cpu is a CPU-only build" in finding.message
    assert finding.fix == (
        "pip install torch==2.1.2+cu121 --index-url https://download.pytorch.org/whl/cu121"
    )


def test_the_cpu_torchs_companions_move_with_it() -> None:
    packages = {"torch": "2.1.2+cpu", "torchvision": "0.16.2+cpu", "xformers": "0.0.23.post1"}
    (finding,) = findings(LINUX, packages, {}, _xformers("2.1.2+cu121"))
    assert finding.fix == (
        "pip install torch==2.1.2+cu121 torchvision==0.16.2+cu121 "
        "--index-url https://download.pytorch.org/whl/cu121"
    )
    # built for a plain torch: PyPI's default build of that release (CUDA 11.7 for 2.0.1)
    packages = {"torch": "2.0.1+cpu", "xformers": "0.0.22"}
    (finding,) = findings(LINUX, packages, {}, _xformers("2.0.1", "1108"))
    assert "torch==2.0.1+cu117 --index-url https://download.pytorch.org/whl/cu117" in finding.fix


def test_on_a_gpu_host_the_cuda_rule_names_the_cpu_torch() -> None:
    """cuda.torch-cpu-build says it there, with `fix`'s plan: no second finding."""
    packages = {"torch": "2.1.2+cpu", "xformers": "0.0.23.post1"}
    inventory = _xformers("2.1.2+cu121", driver="550.54.15")
    assert findings(LINUX, packages, {}, inventory) == []


def test_an_xformers_built_for_another_torch_release_both_ways() -> None:
    packages = {"torch": "2.3.0+cu121", "torchvision": "0.18.0+cu121", "xformers": "0.0.23.post1"}
    (finding,) = findings(LINUX, packages, {}, _xformers("2.1.2+cu121"))
    assert finding.id == "host.companion-release" and finding.severity is Severity.ERROR
    assert "PyTorch 2.1.2+cu121 with CUDA 1201" in finding.message
    assert "torch 2.3.0+cu121 is installed" in finding.message
    exact, ours = str(finding.fix).split("\n")
    assert exact.endswith(
        'pip install torch==2.1.2+cu121 "torchvision==0.16.*" '
        "--index-url https://download.pytorch.org/whl/cu121"
    )
    assert "CHANGELOG.md" in ours and ours.endswith(
        "pip install xformers==0.0.26 torch==2.3.0+cu121 "
        "--index-url https://download.pytorch.org/whl/cu121"
    )


def test_the_second_way_only_where_a_source_names_the_build() -> None:
    built = _xformers("2.1.2+cu121")
    # PyPI's torch: PyPI's xformers of that release
    (plain,) = findings(LINUX, {"torch": "2.3.0", "xformers": "0.0.23.post1"}, {}, built)
    assert str(plain.fix).endswith("pip install xformers==0.0.26 torch==2.3.0")
    # xFormers 0.0.26's README names no cu124 index, and torch 2.0.1 has no release of it
    for torch in ("2.3.0+cu124", "2.0.1+cu118"):
        (finding,) = findings(LINUX, {"torch": torch, "xformers": "0.0.23.post1"}, {}, built)
        assert "\n" not in str(finding.fix) and "xformers==" not in str(finding.fix)
    # from torch 2.10 one stable-ABI release serves every later torch
    (newer,) = findings(LINUX, {"torch": "2.12.0+cu130", "xformers": "0.0.33"}, {}, built)
    assert "pip install xformers==0.0.35 torch==2.12.0+cu130" in str(newer.fix)


def test_builds_that_load_or_are_judged_elsewhere() -> None:
    same = {"torch": "2.1.2+cu121", "xformers": "0.0.23.post1"}
    assert findings(LINUX, same, {}, _xformers("2.1.2+cu121")) == []
    # built without CUDA, under a CPU torch of its release
    cpu = {"torch": "2.1.2+cpu", "xformers": "0.0.23.post1"}
    assert findings(LINUX, cpu, {}, _xformers("2.1.2+cpu", None)) == []
    # xFormers' own pin on torch: the Requires-Dist check reports another release
    other = {"torch": "2.3.0+cu121", "xformers": "0.0.23.post1"}
    pinned = {"xformers": ("torch==2.1.2", "numpy")}
    assert findings(LINUX, other, pinned, _xformers("2.1.2+cu121")) == []
    # the stable ABI (0.0.34+): a build for torch 2.10 runs on later torch, not on older
    stable = _xformers("2.10.0+cu128", "1208")
    assert findings(LINUX, {"torch": "2.11.0+cu128", "xformers": "0.0.35"}, {}, stable) == []
    (older,) = findings(LINUX, {"torch": "2.9.1+cu128", "xformers": "0.0.35"}, {}, stable)
    assert older.id == "host.companion-release"
    # no build record, or no xFormers
    assert findings(LINUX, cpu, {}, Inventory()) == []
    assert findings(LINUX, {"torch": "2.1.2+cpu"}, {}, _xformers("2.1.2+cu121")) == []


def test_an_xformers_of_another_cuda_major_under_the_same_torch_release() -> None:
    """Built with CUDA 11.8 for 2.1.2+cu118, under 2.1.2+cu121: its extension needs
    libcudart.so.11.0, which a CUDA 12 torch does not ship."""
    built = _xformers("2.1.2+cu118", "1108")
    (finding,) = findings(LINUX, {"torch": "2.1.2+cu121", "xformers": "0.0.23"}, {}, built)
    assert finding.id == "host.companion-build" and finding.severity is Severity.ERROR
    assert "PyTorch 2.1.2+cu118 with CUDA 1108" in finding.message
    assert "torch 2.1.2+cu121 is a CUDA 12 build" in finding.message
    assert "CUDA 11 runtime" in finding.message
    exact, ours = str(finding.fix).split("\n")
    assert exact.endswith(
        "pip install torch==2.1.2+cu118 --index-url https://download.pytorch.org/whl/cu118"
    )
    assert ours.endswith(
        "pip install xformers==0.0.23.post1 torch==2.1.2+cu121 "
        "--index-url https://download.pytorch.org/whl/cu121"
    )
    # pip keeps an xFormers release it has: only the torch way then
    (same,) = findings(LINUX, {"torch": "2.1.2+cu121", "xformers": "0.0.23.post1"}, {}, built)
    assert "\n" not in str(same.fix) and "torch==2.1.2+cu118" in str(same.fix)
    # torch/version.py's CUDA wins over the tag; a minor of the same major loads
    built.facts[FACT_TORCH_CUDA] = "11.8"
    assert findings(LINUX, {"torch": "2.1.2+cu121", "xformers": "0.0.23"}, {}, built) == []
    cu117 = _xformers("2.1.2+cu117", "1107")
    assert findings(LINUX, {"torch": "2.1.2+cu118", "xformers": "0.0.23"}, {}, cu117) == []


def test_a_cpu_xformers_built_for_another_torch_release() -> None:
    built = _xformers("2.1.2+cpu", None)
    (finding,) = findings(LINUX, {"torch": "2.3.0+cpu", "xformers": "0.0.23.post1"}, {}, built)
    assert finding.id == "host.companion-release"
    assert "PyTorch 2.1.2+cpu (" in finding.message
    assert str(finding.fix).endswith(
        "pip install torch==2.1.2+cpu --index-url https://download.pytorch.org/whl/cpu"
    )


VISION_REFUSAL = (
    "RuntimeError: Detected that PyTorch and torchvision were compiled with different CUDA "
    "versions. PyTorch has CUDA Version=11.3 and torchvision has CUDA Version=11.7. Please "
    "reinstall the torchvision that matches your PyTorch install."
)  # mathmanu/edgeai-torchvision#18, as torchvision 0.11's extension.py words it


def _logged(*lines: str) -> Inventory:
    """An inventory with what `check --log` recognises in `lines` (the one catalog)."""
    from chipdoctor.symptoms.recognise import recognise

    return Inventory(symptoms=list(recognise(lines)))


def test_torchvision_refusing_torchs_cuda_in_the_log() -> None:
    """mathmanu/edgeai-torchvision#18: a source-built torchvision 0.11.0 took the host's CUDA
    11.7 under torch 1.10.0+cu113; the fix removes it first (it meets `0.11.*` already)."""
    packages = {"torch": "1.10.0+cu113", "torchvision": "0.11.0"}
    (finding,) = findings(LINUX, packages, inventory=_logged("x", VISION_REFUSAL))
    assert finding.id == "host.companion-build" and finding.severity is Severity.ERROR
    assert "CUDA 11.7" in finding.message and "CUDA 11.3" in finding.message
    assert "line 2" in finding.message and "pytorch/vision/pull/7726" in finding.message
    assert finding.fix == (
        'pip uninstall -y torchvision && pip install "torchvision==0.11.*" torch==1.10.0+cu113 '
        "-f https://download.pytorch.org/whl/torch_stable.html"
    )
    # torchvision checks nothing under a CPU torch: the log comes from another environment
    cpu = {"torch": "1.10.0+cpu", "torchvision": "0.11.0+cpu"}
    assert findings(LINUX, cpu, inventory=_logged(VISION_REFUSAL)) == []


def test_a_wrapped_refusal_is_still_recognised() -> None:
    """The head of the message alone (a terminal wrapped it, geocine/sd-easy-mode#18), in
    torchvision 0.16's words: the versions come from the tags where they name them."""
    inventory = _logged(
        "RuntimeError: Detected that PyTorch and torchvision were compiled with different"
        " CUDA major versions"
    )
    (finding,) = findings(
        LINUX, {"torch": "2.1.0+cu121", "torchvision": "0.16.0+cu118"}, inventory=inventory
    )
    assert "CUDA 11.8" in finding.message and "CUDA 12.1" in finding.message


def test_tagged_builds_torchvisions_check_refuses() -> None:
    """Up to torchvision 0.15 its check compares CUDA major and minor, from 0.16 the major."""
    refused = (
        ("1.10.0+cu113", "0.11.1+cu117"),
        ("2.0.1+cu118", "0.15.2+cu117"),
        ("2.1.0+cu121", "0.16.0+cu118"),
        ("2.9.0+cu130", "0.24.0+cu128"),
    )
    for torch, vision in refused:
        (finding,) = findings(LINUX, {"torch": torch, "torchvision": vision})
        assert finding.id == "host.companion-build", (torch, vision)
        assert "the local tags say so" in finding.message
        assert finding.fix.startswith("pip uninstall -y torchvision && pip install")
    accepted = (
        ("1.10.0+cu113", "0.11.1+cu113"),
        ("2.1.0+cu121", "0.16.0+cu118.dev1"),  # not a tag of a CUDA build: not judged
        ("2.1.0+cu121", "0.16.0+cu124"),
        ("2.1.0+cu121", "0.16.0"),  # a plain torchvision names no CUDA here
        ("2.1.0", "0.16.0+cu118"),
    )
    for torch, vision in accepted:
        assert findings(LINUX, {"torch": torch, "torchvision": vision}) == [], (torch, vision)


def test_a_pypi_torchvision_beside_a_torch_of_another_cuda_major() -> None:
    """`pip install torchvision` from PyPI beside torch from a PyTorch index: PyPI's wheel is
    the default CUDA build of its torch release (2.1: CUDA 12.1), which torchvision 0.16's check
    refuses under a CUDA 11.8 torch; within one major it loads."""
    (finding,) = findings(LINUX, {"torch": "2.1.0+cu118", "torchvision": "0.16.0"})
    assert finding.id == "host.companion-build" and "from PyPI is the CUDA 12.1 build" in (
        finding.message
    )
    assert finding.fix == (
        'pip uninstall -y torchvision && pip install "torchvision==0.16.*" torch==2.1.0+cu118 '
        "--index-url https://download.pytorch.org/whl/cu118"
    )
    assert findings(LINUX, {"torch": "2.1.0+cu121", "torchvision": "0.16.0"}) == []
    assert findings(LINUX, {"torch": "2.9.0+cu126", "torchvision": "0.24.0"}) == []
    # beside a plain torch both may be conda's builds for torch/version.py's CUDA: not judged
    conda = Inventory(facts={FACT_TORCH_CUDA: "11.8"})
    assert findings(LINUX, {"torch": "2.1.0", "torchvision": "0.16.0"}, inventory=conda) == []
