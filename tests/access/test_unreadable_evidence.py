"""What the access checks say when evidence exists but cannot be used: a corrupt or unreadable
/etc/ld.so.cache, device nodes that cannot be looked at. Real files and real snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from chipdoctor.access.check import check_access
from chipdoctor.evidence.base import Evidence
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, SnapshotEvidence, write_snapshot
from chipdoctor.model import Component, Finding, Inventory
from tests.access_trees import write

LDCONFIG_FIX = "sudo ldconfig   # in a Dockerfile: RUN ldconfig"


def _rocm(evidence: Evidence) -> dict[str, Finding]:
    """The access findings of a machine the ROCm probe found ROCm 7.2.0 on."""
    inventory = Inventory(stacks=["rocm"], components=[Component("rocm", "7.2.0", "x")])
    check_access(evidence, inventory)
    return {f.id: f for f in inventory.findings}


def _snapshot(directory: Path, body: str) -> SnapshotEvidence:
    """A chipdoctor-snapshot/2 of an x86_64 machine checked as root, plus `body`."""
    write(
        directory,
        "/snapshot.yaml",
        "format: chipdoctor-snapshot/2\n"
        "platform: {system: Linux, machine: x86_64}\n"
        "identity: {uid: 0, gid: 0, user: root, groups: [{gid: 0, name: root}]}\n" + body,
    )
    return SnapshotEvidence(directory)


def test_a_corrupt_ld_so_cache_is_a_warning_with_ldconfig_as_the_fix(tmp_path: Path) -> None:
    """The loader ignores a cache whose magic is wrong (glibc dl-cache.c); so must we, aloud."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/ld.so.cache").write_bytes(b"\0" * 64)  # what a crash mid-write leaves
    recorder = RecordingEvidence(HostEvidence(root=str(root), env={}))
    finding = _rocm(recorder)["rocm.ld-cache-unreadable"]
    assert finding.severity.value == "warning"
    assert finding.message.startswith("The dynamic loader ignores /etc/ld.so.cache: ")
    assert "not an ld.so.cache file (unknown magic)" in finding.message
    assert finding.fix == LDCONFIG_FIX
    write_snapshot(tmp_path / "snap", recorder.recording, recorder.platform, recorder.python)
    replayed = _rocm(SnapshotEvidence(tmp_path / "snap"))["rocm.ld-cache-unreadable"]
    assert replayed == finding


def test_an_unreadable_ld_so_cache_is_a_warning_naming_the_reason(tmp_path: Path) -> None:
    evidence = _snapshot(tmp_path, "unreadable: {/etc/ld.so.cache: permission denied}\n")
    finding = _rocm(evidence)["rocm.ld-cache-unreadable"]
    assert "ignores /etc/ld.so.cache: it cannot be read (permission denied)." in finding.message
    assert finding.fix == LDCONFIG_FIX


@pytest.mark.parametrize(
    "body",
    ["", "stats: {/etc/ld.so.cache: null}\n"],
    ids=["not-recorded", "absent"],
)
def test_no_ld_so_cache_at_all_is_not_a_finding(tmp_path: Path, body: str) -> None:
    """Minimal images have none, and the loader then searches the default directories."""
    assert "rocm.ld-cache-unreadable" not in _rocm(_snapshot(tmp_path, body))


def test_device_nodes_that_cannot_be_looked_at_are_unreadable_not_missing(tmp_path: Path) -> None:
    """Real paths whose stat and listing fail even for root (a symlink loop: ELOOP); the
    recorded snapshot of the check says the same."""
    root = tmp_path / "root"
    (root / "dev").mkdir(parents=True)
    for node in ("kfd", "dri"):
        (root / "dev" / node).symlink_to(node)  # points at itself
    recorder = RecordingEvidence(HostEvidence(root=str(root), env={}))
    found = _rocm(recorder)
    assert "rocm.device-missing" not in found
    finding = found["rocm.device-unreadable"]
    assert finding.severity.value == "warning"
    assert finding.components == ("amdgpu_driver",)
    assert finding.message == (
        "Cannot check the device nodes /dev/kfd (too many levels of symbolic links), /dev/dri "
        "(too many levels of symbolic links); whether this user can open them is unknown."
    )
    assert finding.fix == (
        "Run chipdoctor as a user who can read /dev/kfd, /dev/dri, or fix its permissions."
    )
    write_snapshot(tmp_path / "snap", recorder.recording, recorder.platform, recorder.python)
    assert _rocm(SnapshotEvidence(tmp_path / "snap"))["rocm.device-unreadable"] == finding


def test_a_snapshot_of_nodes_denied_to_the_user_says_permission_denied(tmp_path: Path) -> None:
    evidence = _snapshot(
        tmp_path,
        "stats: {/dev/kfd: {error: permission denied}}\n"
        "unreadable: {/dev/dri: permission denied}\n",
    )
    found = _rocm(evidence)
    assert "rocm.device-missing" not in found
    assert "/dev/kfd (permission denied), /dev/dri (permission denied)" in (
        found["rocm.device-unreadable"].message
    )
