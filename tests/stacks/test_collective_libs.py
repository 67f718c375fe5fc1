"""The collective libraries a distributed job needs equal on every node: NCCL (CUDA), RCCL
(ROCm), HCCL (Ascend), read from package metadata, library file names and CANN's version.cfg
on real fixture trees; a live check and its own snapshot read the same."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from chipdoctor.components import FLEET_EQUAL
from chipdoctor.evidence.base import Evidence
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, SnapshotEvidence, write_snapshot
from chipdoctor.model import Inventory
from chipdoctor.probes.base import Probe
from chipdoctor.stacks.ascend.probe import AscendProbe
from chipdoctor.stacks.cuda.probe import CudaProbe
from chipdoctor.stacks.rocm.probe import RocmProbe
from tests.conftest import SNAPSHOTS, write_tool

# A published `cat /usr/local/Ascend/ascend-toolkit/latest/version.cfg` (MindIE 2.1.RC2 image's
# version notes), its hccl lines; the other lines have the same shape.
VERSION_CFG = """# version: 1.0
runtime_running_version=[8.2.0.2.220:8.2.RC2]
hccl_running_version=[8.2.0.2.220:8.2.RC2]
toolkit_running_version=[8.2.0.2.220:8.2.RC2]
hccl_upgrade_version=[8.2.0.2.220:8.2.RC2]
hccl_installed_version=[8.2.0.2.220:8.2.RC2]
"""


def version(inventory: Inventory, component: str) -> tuple[str, str] | None:
    found = [(c.version, c.source) for c in inventory.components if c.id == component]
    return found[0] if found else None


def tree(
    tmp: Path, fixture: str, files: dict[str, str], links: dict[str, str] | None = None
) -> Path:
    """The fixture's files/ as a live root, plus `files` and symbolic `links` (path -> target)."""
    root = tmp / "root"
    shutil.copytree(SNAPSHOTS / fixture / "files", root)
    for path, text in files.items():
        (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / path.lstrip("/")).write_text(text)
    for path, target in (links or {}).items():
        (root / path.lstrip("/")).symlink_to(target)
    return root


def live_and_snapshot(tmp: Path, probe: Probe, live: HostEvidence) -> tuple[Inventory, Inventory]:
    """What the probe finds live, and in the snapshot recorded while it looked."""
    recorder = RecordingEvidence(live)
    inventory = probe.collect(recorder)
    listed = {
        f"{p.rstrip('/')}/{e}": live.is_dir(f"{p.rstrip('/')}/{e}")
        for p, entries in recorder.recording.dirs.items()
        for e in entries or []
    }
    out = tmp / "snap"
    write_snapshot(out, recorder.recording, live.platform, live.python, is_dir=listed)
    return inventory, probe.collect(SnapshotEvidence(out))


def snapshot_with(
    tmp: Path, fixture: str, files: dict[str, str], packages: dict[str, str] | None = None
) -> Evidence:
    target = tmp / fixture
    shutil.copytree(SNAPSHOTS / fixture, target)
    for path, text in files.items():
        local = target / "files" / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(text)
    if packages:
        meta = yaml.safe_load((target / "snapshot.yaml").read_text())
        meta["python"]["packages"].update(packages)
        (target / "snapshot.yaml").write_text(yaml.safe_dump(meta))
    return SnapshotEvidence(target)


def cuda_live(tmp: Path, root: Path) -> HostEvidence:
    output = SNAPSHOTS / "cuda-healthy" / "commands" / "nvidia-smi.txt"
    tools = write_tool(tmp / "bin", "nvidia-smi", f"cat '{output}'\n").parent
    return HostEvidence(
        root=str(root), env={"PATH": f"{tools}:/usr/bin:/bin", "CUDA_HOME": "/usr/local/cuda-11.5"}
    )


def test_nccl_from_the_system_library_live_and_in_its_snapshot(tmp_path: Path) -> None:
    lib = "/usr/lib/x86_64-linux-gnu"
    root = tree(
        tmp_path,
        "cuda-healthy",
        {f"{lib}/libnccl.so.2.23.4": "ELF"},
        {f"{lib}/libnccl.so.2": "libnccl.so.2.23.4", f"{lib}/libnccl.so": "libnccl.so.2"},
    )
    live, again = live_and_snapshot(tmp_path, CudaProbe(), cuda_live(tmp_path, root))
    assert version(live, "nccl") == ("2.23.4", f"{lib}/libnccl.so.2.23.4")
    assert (again.components, again.findings) == (live.components, live.findings)


@pytest.mark.parametrize(
    ("machine", "path", "expected"),
    [
        ("aarch64", "/usr/lib/aarch64-linux-gnu/libnccl.so.2.29.7", "2.29.7"),
        ("x86_64", "/usr/lib64/libnccl.so.2.8.3", "2.8.3"),
        ("x86_64", "/usr/local/cuda-11.5/lib64/libnccl.so.2.8.3", "2.8.3"),
    ],
)
def test_nccl_where_each_package_puts_it(
    tmp_path: Path, machine: str, path: str, expected: str
) -> None:
    snapshot_with(tmp_path, "cuda-healthy", {path: "ELF"})
    meta = yaml.safe_load((tmp_path / "cuda-healthy/snapshot.yaml").read_text())
    meta["platform"]["machine"] = machine
    (tmp_path / "cuda-healthy/snapshot.yaml").write_text(yaml.safe_dump(meta))
    evidence = SnapshotEvidence(tmp_path / "cuda-healthy")
    assert version(CudaProbe().collect(evidence), "nccl") == (expected, path)


def test_the_pip_package_torch_loads_wins_and_the_highest_file_otherwise(tmp_path: Path) -> None:
    lib = "/usr/lib/x86_64-linux-gnu"
    files = {
        f"{lib}/libnccl.so.2.9.9": "ELF",
        f"{lib}/libnccl.so.2.23.4": "ELF",
        f"{lib}/libnccl.so.2": "link",
    }
    pip = snapshot_with(tmp_path / "a", "cuda-healthy", files, {"nvidia-nccl-cu12": "2.21.5"})
    assert version(CudaProbe().collect(pip), "nccl") == (
        "2.21.5",
        "package metadata: nvidia-nccl-cu12",
    )
    system = snapshot_with(tmp_path / "b", "cuda-healthy", files)
    assert version(CudaProbe().collect(system), "nccl") == ("2.23.4", f"{lib}/libnccl.so.2.23.4")


def test_no_nccl_no_component_and_no_cuda_host_from_nccl_alone(tmp_path: Path) -> None:
    assert (
        version(CudaProbe().collect(SnapshotEvidence(SNAPSHOTS / "cuda-healthy")), "nccl") is None
    )
    bare = snapshot_with(
        tmp_path,
        "no-accelerator",
        {"/usr/lib/x86_64-linux-gnu/libnccl.so.2.23.4": "ELF"},
        {"nvidia-nccl-cu12": "2.21.5"},
    )
    assert CudaProbe().collect(bare).components == []


def test_rccl_from_its_file_under_the_rocm_root(tmp_path: Path) -> None:
    evidence = snapshot_with(
        tmp_path,
        "rocm-healthy",
        {"/opt/rocm/lib/librccl.so.1.0.70200": "ELF", "/opt/rocm/lib/librccl.so.1": "link"},
    )
    assert version(RocmProbe().collect(evidence), "rccl") == (
        "1.0.70200",
        "/opt/rocm/lib/librccl.so.1.0.70200",
    )
    assert (
        version(RocmProbe().collect(SnapshotEvidence(SNAPSHOTS / "rocm-healthy")), "rccl") is None
    )


def test_rccl_live_and_in_its_snapshot(tmp_path: Path) -> None:
    lib = "/opt/rocm/lib"
    root = tree(
        tmp_path,
        "rocm-healthy",
        {f"{lib}/librccl.so.1.0.70200": "ELF", "/sys/module/amdgpu/version": ""},
        {f"{lib}/librccl.so.1": "librccl.so.1.0.70200"},
    )
    live = HostEvidence(root=str(root), env={"PATH": "/usr/bin:/bin"})
    inventory, again = live_and_snapshot(tmp_path, RocmProbe(), live)
    assert version(inventory, "rccl") == ("1.0.70200", f"{lib}/librccl.so.1.0.70200")
    assert (again.components, again.findings) == (inventory.components, inventory.findings)


def test_hccl_from_cann_version_cfg_live_and_in_its_snapshot(tmp_path: Path) -> None:
    home = "/usr/local/Ascend/ascend-toolkit/latest"
    root = tree(tmp_path, "ascend-910b-healthy", {f"{home}/version.cfg": VERSION_CFG})
    live = HostEvidence(root=str(root), env={"PATH": "/usr/bin:/bin", "ASCEND_TOOLKIT_HOME": home})
    inventory, again = live_and_snapshot(tmp_path, AscendProbe(), live)
    assert version(inventory, "hccl") == ("8.2.RC2", f"{home}/version.cfg")
    assert (again.components, again.findings) == (inventory.components, inventory.findings)


def test_no_version_cfg_no_hccl() -> None:
    inventory = AscendProbe().collect(SnapshotEvidence(SNAPSHOTS / "ascend-910b-healthy"))
    assert version(inventory, "cann") is not None and version(inventory, "hccl") is None


def test_fleet_compare_wants_every_collective_library_equal() -> None:
    assert {"nccl", "rccl", "hccl", "cncl"} <= FLEET_EQUAL
