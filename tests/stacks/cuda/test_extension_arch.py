"""Torch extensions built for other GPUs (`cuda.extension-gpu-arch`): a fake site-packages
distribution (METADATA requiring torch, RECORD listing its libraries) holding the nvcc-built
fixtures of tests/fixtures/devcode/make.sh, on a host whose nvidia-smi reports a compute
capability; the live tree and its snapshot give the same finding."""

from __future__ import annotations

import shutil
from functools import cached_property
from pathlib import Path

import pytest

from chipdoctor.evidence.base import PythonInfo
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, SnapshotEvidence, write_snapshot
from chipdoctor.extensions import CPP_EXTENSION_DOCS
from chipdoctor.extensions.installed import MAX_LIBRARIES, MAX_PER_DISTRIBUTION
from chipdoctor.matrix.model import Matrix
from chipdoctor.model import Finding, Inventory
from chipdoctor.stacks.cuda import facts
from chipdoctor.stacks.cuda.probe import CudaProbe
from chipdoctor.stacks.cuda.rules import evaluate
from tests.conftest import FIXTURES, write_tool
from tests.fake_torch import write_dist
from tests.planning import fixed

SITE = "/opt/venv/lib/python3.11/site-packages"
DEVCODE = FIXTURES / "devcode"
TABLE = FIXTURES / "nvidia_smi" / "580.65.06_rtx4090_procs.txt"
#: The capability query's output, in the format of tests/fixtures/nvidia_smi_query/.
GTX_TITAN_X = "0, NVIDIA GeForce GTX TITAN X, 5.2\n"
RTX_3090 = "0, NVIDIA GeForce RTX 3090, 8.6\n"
H100 = "0, NVIDIA H100 80GB HBM3, 9.0\n"


class Tree(HostEvidence):
    """A file tree with its own interpreter's packages (the tree's site directory)."""

    def __init__(self, root: Path, bin_dir: Path, packages: dict[str, str]) -> None:
        super().__init__(root=str(root), env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
        self._packages = packages

    @cached_property
    def python(self) -> PythonInfo:
        return PythonInfo("3.11.9", self._packages, (SITE,))


def _dist(root: Path, name: str, version: str, libraries: dict[str, Path]) -> None:
    """A wheel-installed distribution requiring torch whose RECORD lists `libraries` (and a
    file outside its site, never read)."""
    site = root / SITE.lstrip("/")
    write_dist(site, name, version, libraries)
    with (site / f"{name}-{version}.dist-info" / "RECORD").open("a") as record:
        record.write("../../../bin/tool,,\n")


def _tree(root: Path, query: str, libraries: dict[str, Path]) -> Tree:
    bin_dir = root / "bin"
    (root / "query.txt").parent.mkdir(parents=True, exist_ok=True)
    (root / "query.txt").write_text(query)
    write_tool(
        bin_dir,
        "nvidia-smi",
        f'if [ "$#" -gt 0 ]; then cat "{root / "query.txt"}"; else cat "{TABLE}"; fi\n',
    )
    _dist(root, "mish_cuda", "0.0.3", libraries)
    return Tree(root, bin_dir, {"mish-cuda": "0.0.3"})


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return fixed().get("cuda")


def _found(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    return [f for f in evaluate(inventory, matrix) if f.id == "cuda.extension-gpu-arch"]


SM80_PTX90 = {"mish_cuda_kernel.cpython-311-x86_64-linux-gnu.so": DEVCODE / "cuda-sm80-ptx90.so"}


def test_maxwell_gpu_cannot_run_it_and_a_snapshot_agrees(tmp_path: Path, matrix: Matrix) -> None:
    recording = RecordingEvidence(_tree(tmp_path / "root", GTX_TITAN_X, SM80_PTX90))
    live = CudaProbe().collect(recording)
    path = f"{SITE}/mish_cuda_kernel.cpython-311-x86_64-linux-gnu.so"
    assert live.facts[f"{facts.FACT_EXTENSION}0"] == path
    assert live.facts[f"{facts.FACT_EXTENSION}0.native"] == "sm_80"
    assert live.facts[f"{facts.FACT_EXTENSION}0.portable"] == "compute_90"
    (finding,) = _found(live, matrix)
    assert finding.severity.value == "error"
    message, fix = str(finding.message), str(finding.fix)
    assert "GPU 0" in message and "sm_52" in message and "mish-cuda 0.0.3" in message
    assert path in message and "sm_80 compute_90" in message
    assert (
        'TORCH_CUDA_ARCH_LIST="5.2" pip install --no-build-isolation --no-cache-dir '
        "--force-reinstall --no-deps mish-cuda==0.0.3" in fix
    )
    assert CPP_EXTENSION_DOCS in fix
    out = tmp_path / "snap"
    write_snapshot(out, recording.recording, recording.platform, recording.python)
    again = CudaProbe().collect(SnapshotEvidence(out))
    assert again.facts == live.facts
    assert [(f.message, f.fix) for f in _found(again, matrix)] == [(finding.message, finding.fix)]


def test_ampere_runs_an_sm80_cubin(tmp_path: Path, matrix: Matrix) -> None:
    inv = CudaProbe().collect(_tree(tmp_path, RTX_3090, SM80_PTX90))
    assert inv.facts[f"{facts.FACT_EXTENSION}0.native"] == "sm_80"
    assert _found(inv, matrix) == []


def test_hopper_runs_compute80_ptx(tmp_path: Path, matrix: Matrix) -> None:
    libraries = {"ext/_C.so": DEVCODE / "cuda-ptx80.so"}
    inv = CudaProbe().collect(_tree(tmp_path, H100, libraries))
    assert inv.facts[f"{facts.FACT_EXTENSION}0.native"] == ""
    assert inv.facts[f"{facts.FACT_EXTENSION}0.portable"] == "compute_80"
    assert _found(inv, matrix) == []


def test_libraries_without_cuda_code_are_skipped(tmp_path: Path, matrix: Matrix) -> None:
    """A host-only library (this interpreter's own _ctypes: no `.nv_fatbin`) and a HIP one."""
    import _ctypes

    libraries = {
        "ext/host.so": Path(_ctypes.__file__),
        "ext/hip.so": DEVCODE / "hip-gfx90a-gfx1030-gfx908.so",
        "ext/kernels.so": DEVCODE / "cuda-sm80-ptx90.so",
    }
    recording = RecordingEvidence(_tree(tmp_path, GTX_TITAN_X, libraries))
    inv = CudaProbe().collect(recording)
    assert len(recording.recording.device_code) == 3
    assert inv.facts[f"{facts.FACT_EXTENSION}0"] == f"{SITE}/ext/kernels.so"
    assert f"{facts.FACT_EXTENSION}1" not in inv.facts
    assert len(_found(inv, matrix)) == 1


def test_no_gpu_capability_reads_nothing(tmp_path: Path) -> None:
    """A driver without nvidia-smi: a CUDA host, but no GPU whose capability is known."""
    tree = _tree(tmp_path, "", SM80_PTX90)
    (tmp_path / "bin" / "nvidia-smi").unlink()
    proc = tmp_path / "proc" / "driver" / "nvidia" / "version"
    proc.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "nvidia_proc_version" / "580.95.05_open.txt", proc)
    recording = RecordingEvidence(tree)
    inv = CudaProbe().collect(recording)
    assert "cuda" in inv.stacks
    assert not any(key.startswith(facts.FACT_EXTENSION) for key in inv.facts)
    assert not recording.recording.device_code


def _read(inventory: Inventory) -> list[str]:
    prefix = facts.FACT_EXTENSION
    return [
        v for k, v in inventory.facts.items() if k.startswith(prefix) and k[len(prefix) :].isdigit()
    ]


def test_at_most_sixteen_libraries_per_distribution(tmp_path: Path) -> None:
    libraries = {f"ext/k{i:02}.so": DEVCODE / "cuda-sm80-ptx90.so" for i in range(20)}
    recording = RecordingEvidence(_tree(tmp_path, GTX_TITAN_X, libraries))
    inv = CudaProbe().collect(recording)
    assert len(_read(inv)) == MAX_PER_DISTRIBUTION
    assert len(recording.recording.device_code) == MAX_PER_DISTRIBUTION


def test_at_most_sixty_four_libraries_in_all(tmp_path: Path) -> None:
    """Five distributions of 16 libraries each before mish-cuda (by name): 64 are read, and
    mish-cuda's is not."""
    tree = _tree(tmp_path, GTX_TITAN_X, {"ext/first.so": DEVCODE / "hip-gfx90a-gfx1030-gfx908.so"})
    packages = {"mish-cuda": "0.0.3"}
    for n in range(5):
        name = f"ext{n}"
        libraries = {f"{name}/k{i:02}.so": DEVCODE / "cuda-ptx80.so" for i in range(16)}
        _dist(tmp_path, name, "1.0", libraries)
        packages[name] = "1.0"
    tree._packages = packages
    recording = RecordingEvidence(tree)
    inv = CudaProbe().collect(recording)
    assert len(recording.recording.device_code) == MAX_LIBRARIES
    assert len(_read(inv)) == MAX_LIBRARIES
    assert not any("first.so" in path for path in recording.recording.device_code)


def test_check_of_a_live_tree_and_of_its_snapshot_agree(tmp_path: Path) -> None:
    """The whole pipeline: `check` of the tree, `chipdoctor snapshot` of it, `check` of that."""
    from chipdoctor.engine import check
    from chipdoctor.snapshotting import take_snapshot

    tree = _tree(tmp_path / "root", GTX_TITAN_X, SM80_PTX90)
    live = [f for f in check(tree, fixed()).findings if f.id == "cuda.extension-gpu-arch"]
    assert len(live) == 1 and "TORCH_CUDA_ARCH_LIST" in str(live[0].fix)
    take_snapshot(tmp_path / "snap", tree)
    again = check(SnapshotEvidence(tmp_path / "snap"), fixed()).findings
    assert [(str(f.message), str(f.fix)) for f in again if f.id == live[0].id] == [
        (str(live[0].message), str(live[0].fix))
    ]


def test_a_version_a_shell_would_run_is_not_judged(tmp_path: Path, matrix: Matrix) -> None:
    """A dist-info directory whose version holds `$(...)`: its name and version would go into
    the finding's pasteable rebuild line, so it is not judged; a plain one beside it is."""
    tree = _tree(tmp_path, GTX_TITAN_X, SM80_PTX90)
    hostile = "1.0$(touch x)"
    _dist(tmp_path, "evil", hostile, {"evil/_C.so": DEVCODE / "cuda-sm80-ptx90.so"})
    tree._packages = {"mish-cuda": "0.0.3", "evil": hostile}
    inv = CudaProbe().collect(tree)
    assert _read(inv) == [f"{SITE}/mish_cuda_kernel.cpython-311-x86_64-linux-gnu.so"]
    (finding,) = _found(inv, matrix)
    assert "$(" not in str(finding.fix)
