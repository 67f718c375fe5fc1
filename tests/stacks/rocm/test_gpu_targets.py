"""Each GPU's gfx target (rocminfo) against the offload targets the installed torch carries:
a real rocminfo output, a clang-built libtorch_hip.so stand-in, the published list."""

from __future__ import annotations

import shutil
from pathlib import Path

from chipdoctor.evidence.base import PythonInfo
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, SnapshotEvidence, write_snapshot
from chipdoctor.model import Component, Inventory, Severity
from chipdoctor.resolve.core import resolve
from chipdoctor.stacks._hip import archs
from chipdoctor.stacks._hip.rocminfo import HsaGpu, parse_amd_smi_static, parse_rocminfo
from chipdoctor.stacks.rocm.probe import RocmProbe
from chipdoctor.stacks.rocm.rules import evaluate
from tests import planning
from tests.conftest import FIXTURES, write_tool

SITE = "/opt/venv/lib/python3.10/site-packages"
ROCMINFO = FIXTURES / "rocminfo" / "mi25_x3_excerpt.txt"


def test_rocminfo_gpu_agents() -> None:
    gpus = parse_rocminfo(ROCMINFO.read_text())
    assert gpus == [HsaGpu(i, "gfx900", "Radeon Instinct MI25") for i in range(3)]
    assert parse_rocminfo("Segmentation fault\n") == []


def test_amd_smi_static_blocks() -> None:
    static = FIXTURES / "amd_smi_static"
    assert parse_amd_smi_static((static / "mi325x_vf_gpu0.txt").read_text()) == [
        HsaGpu(0, "gfx942", "AMD Instinct Mi325X VF")
    ]
    assert parse_amd_smi_static((static / "w7500_gpu2.txt").read_text()) == [
        HsaGpu(2, "gfx1102", "Navi 33 [Radeon Pro W7500]")
    ]
    assert parse_amd_smi_static("GPU: 0\n    ASIC:\n        TARGET_GRAPHICS_VERSION: N/A\n") == []


class _WithTorch(RecordingEvidence):
    @property
    def python(self) -> PythonInfo:
        return PythonInfo("3.10.12", {"torch": "2.4.1+rocm6.1"}, (SITE,))


def test_live_tree_and_its_snapshot(tmp_path: Path) -> None:
    root = tmp_path / "root"
    bin_dir = root / "bin"
    write_tool(bin_dir, "rocminfo", f'cat "{ROCMINFO}"\n')
    write_tool(bin_dir, "rocm-smi", "exit 0\n")
    lib = root / SITE.lstrip("/") / "torch" / "lib"
    lib.mkdir(parents=True)
    shutil.copy(FIXTURES / "devcode" / "hip-gfx90a-gfx1030-gfx908.so", lib / "libtorch_hip.so")
    (root / "sys/module/amdgpu").mkdir(parents=True)
    recording = _WithTorch(HostEvidence(root=str(root), env={"PATH": f"{bin_dir}:/usr/bin:/bin"}))
    live = RocmProbe().collect(recording)
    assert live.facts[f"{archs.FACT_GFX}2"] == "gfx900"
    assert live.facts[archs.FACT_TORCH_TARGETS] == "gfx1030 gfx908 gfx90a"
    out = tmp_path / "snap"
    write_snapshot(out, recording.recording, recording.platform, recording.python)
    again = RocmProbe().collect(SnapshotEvidence(out))
    assert {k: v for k, v in again.facts.items() if k.startswith("hip.")} == {
        k: v for k, v in live.facts.items() if k.startswith("hip.")
    }


def _inventory(torch: str, facts: dict[str, str]) -> Inventory:
    inv = Inventory(stacks=["rocm"])
    inv.components = [Component("torch", torch, "test")]
    inv.facts = facts
    return inv


def test_missing_target_is_an_error() -> None:
    facts = {
        f"{archs.FACT_GFX}0": "gfx1101",
        f"{archs.FACT_GFX_NAME}0": "AMD Radeon RX 7800 XT",
        archs.FACT_TORCH_LIBRARY: f"{SITE}/torch/lib/libtorch_hip.so",
        archs.FACT_TORCH_TARGETS: "gfx1030 gfx908 gfx90a",
    }
    (finding,) = archs.torch_vs_targets(_inventory("2.4.1+rocm6.1", facts), "rocm", "2.4.1+rocm6.1")
    assert finding.id == "rocm.torch-gpu-arch" and finding.severity is Severity.ERROR
    assert "GPU 0 (AMD Radeon RX 7800 XT, gfx1101)" in finding.message
    assert "hipErrorNoBinaryForGpu" in finding.message
    assert "PYTORCH_ROCM_ARCH=gfx1101" in finding.fix


def test_carried_target_is_clean() -> None:
    facts = {
        f"{archs.FACT_GFX}0": "gfx90a",
        archs.FACT_TORCH_LIBRARY: "/x/libtorch_hip.so",
        archs.FACT_TORCH_TARGETS: "gfx1030 gfx908 gfx90a",
    }
    assert archs.torch_vs_targets(_inventory("2.4.1+rocm6.1", facts), "rocm", "x") == []


def test_published_list_only_where_sourced() -> None:
    facts = {f"{archs.FACT_GFX}0": "gfx1201"}
    found = archs.torch_vs_targets(_inventory("t", facts), "rocm", "2.4.1+rocm6.1")
    assert [f.id for f in found] == ["rocm.torch-gpu-arch"]
    assert archs.torch_vs_targets(_inventory("t", facts), "rocm", "2.7.1+rocm6.3") == []


def test_amd_smi_static_when_rocminfo_is_absent(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    static = FIXTURES / "amd_smi_static" / "mi325x_vf_gpu0.txt"
    write_tool(bin_dir, "amd-smi", f'if [ "$1" = static ]; then cat "{static}"; else exit 1; fi\n')
    (tmp_path / "sys/module/amdgpu").mkdir(parents=True)
    evidence = HostEvidence(root=str(tmp_path), env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    inv = RocmProbe().collect(evidence)
    assert inv.facts[f"{archs.FACT_GFX}0"] == "gfx942"
    assert inv.facts[f"{archs.FACT_GFX_NAME}0"] == "AMD Instinct Mi325X VF"


def _gpu_host(gfx: str, torch: str = "", rocm: str = "") -> Inventory:
    inv = planning.host("rocm", facts_={f"{archs.FACT_GFX}0": gfx})
    inv.components = [Component(c, v, "test") for c, v in (("torch", torch), ("rocm", rocm)) if v]
    return inv


def test_published_lists_of_builder_era_wheels() -> None:
    """pytorch/builder's image lists: ROCm 4.3-5.4 wheels stop at gfx1030, 5.5-5.7 add gfx1100."""
    assert archs.lacks(_gpu_host("gfx1100"), "2.0.1+rocm5.4.2") is True
    assert archs.lacks(_gpu_host("gfx1100"), "2.1.2+rocm5.6") is False
    assert archs.lacks(_gpu_host("gfx1032"), "1.12.1+rocm5.1.1") is True
    assert archs.lacks(_gpu_host("gfx1100"), "1.10.0+rocm4.2") is None  # LoadHIP's default
    assert archs.lacks(_gpu_host("gfx1100"), "2.14.0+rocm7.2") is None  # not published here


def test_check_and_fix_name_the_same_wheel() -> None:
    """A gfx1100 card under a ROCm 5.4 wheel: `fix` plans only a wheel known to carry gfx1100,
    and `check`'s fix line names that same wheel."""
    matrix = planning.fixed().get("rocm")
    assert matrix is not None
    inv = _gpu_host("gfx1100", torch="2.0.1+rocm5.4.2", rocm="5.4.2")
    (finding,) = [f for f in evaluate(inv, matrix) if f.id == "rocm.torch-gpu-arch"]
    target = resolve(inv, planning.fixed()).target["torch"]
    release, _, variant = target.partition("+rocm")
    assert archs.lacks(inv, target) is False
    assert finding.fix == f"pip install torch=={release}+rocm{variant} --index-url " + (
        f"https://download.pytorch.org/whl/rocm{variant}"
    )


def test_no_wheel_known_to_carry_the_target() -> None:
    """gfx1032 (stable-diffusion-rocm-docker#1): no published list holds it; `check` says build
    torch for it and `fix` plans no wheel, rather than one whose targets are unknown."""
    matrix = planning.fixed().get("rocm")
    assert matrix is not None
    inv = _gpu_host("gfx1032", torch="1.12.1+rocm5.1.1")
    (finding,) = [f for f in evaluate(inv, matrix) if f.id == "rocm.torch-gpu-arch"]
    assert "PYTORCH_ROCM_ARCH=gfx1032" in finding.fix and "pip install" not in finding.fix
    assert resolve(inv, planning.fixed()).target == {}


def test_the_filter_only_rejects_what_is_known() -> None:
    """A GPU the installed build carries: a wheel whose list is not published stays a candidate;
    one known to lack the GPU's target does not."""
    carries = archs.target_filter(_gpu_host("gfx1100", torch="2.1.2+rocm5.6"))
    assert carries is not None
    assert carries({"torch": "2.14.0+rocm7.2"}) and carries({"torch": "2.2.2+rocm5.7"})
    assert not carries({"torch": "2.0.1+rocm5.4.2"})
    assert archs.target_filter(planning.host("rocm", torch="2.1.2+rocm5.6")) is None


def test_known_absent_target_of_the_rocm_4_0_1_wheels() -> None:
    """torch 1.8.x+rocm4.0.1 publish no target list, but gfx803 is known to be absent
    (pytorch#53738, PR #54653): an error for a gfx803 GPU, unknown for any other target."""
    assert archs.lacks(_gpu_host("gfx803"), "1.8.0+rocm4.0.1") is True
    assert archs.lacks(_gpu_host("gfx803"), "1.8.1+rocm4.0.1") is True
    assert archs.lacks(_gpu_host("gfx906"), "1.8.1+rocm4.0.1") is None
    assert archs.lacks(_gpu_host("gfx803"), "1.9.0+rocm4.0.1") is None  # no source for it
    inv = _gpu_host("gfx803", torch="1.8.1+rocm4.0.1")
    (finding,) = archs.torch_vs_targets(inv, "rocm", "1.8.1+rocm4.0.1")
    assert finding.id == "rocm.torch-gpu-arch" and finding.severity is Severity.ERROR
    assert "GPU 0 (?, gfx803)" in finding.message and "pytorch/pull/54653" in finding.message
    assert "PYTORCH_ROCM_ARCH=gfx803" in finding.fix and "torch 1.8.1" in finding.fix
    assert archs.torch_vs_targets(_gpu_host("gfx906"), "rocm", "1.8.1+rocm4.0.1") == []


def test_the_library_read_wins_over_the_known_absence() -> None:
    """A site build of 1.8.1+rocm4.0.1 whose libtorch_hip.so carries gfx803 is clean."""
    facts = {
        f"{archs.FACT_GFX}0": "gfx803",
        archs.FACT_TORCH_LIBRARY: f"{SITE}/torch/lib/libtorch_hip.so",
        archs.FACT_TORCH_TARGETS: "gfx803 gfx900",
    }
    inv = _inventory("1.8.1+rocm4.0.1", facts)
    assert archs.lacks(inv, "1.8.1+rocm4.0.1") is False
    assert archs.torch_vs_targets(inv, "rocm", "1.8.1+rocm4.0.1") == []


def test_gfx803_check_builds_from_source_and_fix_plans_no_wheel() -> None:
    """No published wheel is known to carry gfx803: `check` says build it, `fix` plans none."""
    matrix = planning.fixed().get("rocm")
    assert matrix is not None
    inv = _gpu_host("gfx803", torch="1.8.0+rocm4.0.1")
    (finding,) = [f for f in evaluate(inv, matrix) if f.id == "rocm.torch-gpu-arch"]
    assert "build torch from source with PYTORCH_ROCM_ARCH=gfx803" in finding.fix
    assert "pip install" not in finding.fix
    assert resolve(inv, planning.fixed()).target == {}


def test_an_unlisted_torch_is_not_pointed_at_a_wheel_its_gpu_cannot_run() -> None:
    """torch 1.8.0 is not in the test matrix. With a gfx803 GPU (known absent from that wheel and
    carried by no listed one) the unknown-combination warning offers no wheel, as
    rocm.torch-gpu-arch says; with a GPU whose target is not judged it offers the newest."""
    matrix = planning.fixed().get("rocm")
    assert matrix is not None

    def unknown(gfx: str) -> str:
        inv = _gpu_host(gfx, torch="1.8.0+rocm4.0.1")
        (finding,) = [f for f in evaluate(inv, matrix) if f.id == "rocm.unknown-combination"]
        return finding.fix

    assert "pip install" not in unknown("gfx803")
    assert "rocm.torch-gpu-arch" in unknown("gfx803")
    assert "pip install" in unknown("gfx906")
