"""Each GPU's compute capability and the architectures the installed torch carries: the live
host (real tools on PATH, a real nvcc-built library), its snapshot, and the fallbacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, SnapshotEvidence, write_snapshot
from chipdoctor.stacks.cuda import facts
from chipdoctor.stacks.cuda.archs import capability_of_name
from chipdoctor.stacks.cuda.probe import CudaProbe, parse_capability_query
from tests.conftest import FIXTURES, write_tool

SMI = FIXTURES / "nvidia_smi"
QUERY = FIXTURES / "nvidia_smi_query"
SITE = "/opt/venv/lib/python3.11/site-packages"


def test_query_output() -> None:
    text = (QUERY / "570.86.15_titan_v_rtx5880.txt").read_text()
    assert parse_capability_query(text) == {
        0: ("NVIDIA TITAN V", "7.0"),
        1: ("NVIDIA RTX 5880 Ada Generation", "8.9"),
    }
    old = (QUERY / "470.182.03_not_valid.txt").read_text()
    assert parse_capability_query(old) == {}


@pytest.mark.parametrize(
    ("name", "capability"),
    [
        ("NVIDIA GeForce RTX 5090", (12, 0)),
        ("NVIDIA GeForce RTX 5060 Ti", (12, 0)),
        ("NVIDIA GeForce RTX 4090", (8, 9)),
        ("NVIDIA A100-SXM4-80GB", (8, 0)),
        ("NVIDIA H100 80GB HBM3", (9, 0)),
        ("Tesla T4", (7, 5)),
        ("Tesla V100-SXM2-16GB", (7, 0)),
        ("NVIDIA GeForce GTX 1080 Ti", (6, 1)),
        ("Tesla K80", (3, 7)),
        ("NVIDIA B200", (10, 0)),
        ("Some Future GPU", None),
    ],
)
def test_capability_by_name(name: str, capability: tuple[int, int] | None) -> None:
    assert capability_of_name(name) == capability


def _host(tmp_path: Path, query: str) -> HostEvidence:
    """A tree with nvidia-smi (the 580.65.06 RTX 4090 table; `query` for the capability
    query) and a CUDA torch whose libtorch_cuda.so is the nvcc-built torch-like fixture."""
    bin_dir = tmp_path / "bin"
    table = SMI / "580.65.06_rtx4090_procs.txt"
    write_tool(
        bin_dir,
        "nvidia-smi",
        f'if [ "$#" -gt 0 ]; then cat "{QUERY / query}"; else cat "{table}"; fi\n',
    )
    lib = tmp_path / SITE.lstrip("/") / "torch" / "lib"
    lib.mkdir(parents=True)
    shutil.copy(FIXTURES / "devcode" / "cuda-torch-like.so", lib / "libtorch_cuda.so")
    dist = tmp_path / SITE.lstrip("/") / "torch-2.9.1+cu128.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.9.1+cu128\n")
    return HostEvidence(root=str(tmp_path), env={"PATH": f"{bin_dir}:/usr/bin:/bin"})


def _with_python(evidence: HostEvidence) -> RecordingEvidence:
    from chipdoctor.evidence.base import PythonInfo

    class WithPython(RecordingEvidence):
        @property
        def python(self) -> PythonInfo:
            return PythonInfo("3.11.9", {"torch": "2.9.1+cu128"}, (SITE,))

    return WithPython(evidence)


def test_live_tree_and_its_snapshot_agree(tmp_path: Path) -> None:
    recording = _with_python(_host(tmp_path / "root", "570.86.15_titan_v_rtx5880.txt"))
    live = CudaProbe().collect(recording)
    assert live.facts[f"{facts.FACT_CAPABILITY}0"] == "7.0"
    assert live.facts[facts.FACT_CAPABILITY_SOURCE] == facts.QUERY_CAPABILITY
    assert live.facts[facts.FACT_TORCH_LIBRARY] == f"{SITE}/torch/lib/libtorch_cuda.so"
    assert live.facts[facts.FACT_TORCH_NATIVE] == "sm_75 sm_80 sm_86 sm_90 sm_100 sm_120"
    assert live.facts[facts.FACT_TORCH_PORTABLE] == "compute_120"
    out = tmp_path / "snap"
    write_snapshot(out, recording.recording, recording.platform, recording.python)
    text = (out / "snapshot.yaml").read_text()
    assert "device_code:" in text and "compute_120" in text
    assert facts.QUERY_CAPABILITY in text
    again = CudaProbe().collect(SnapshotEvidence(out))
    assert again.facts == live.facts


def test_an_older_driver_falls_back_to_the_name(tmp_path: Path) -> None:
    recording = _with_python(_host(tmp_path, "470.182.03_not_valid.txt"))
    inv = CudaProbe().collect(recording)
    assert inv.facts[f"{facts.FACT_CAPABILITY}0"] == "8.9"  # RTX 4090, by NVIDIA's table
    assert inv.facts[facts.FACT_CAPABILITY_SOURCE].startswith("https://developer.nvidia.com/")
