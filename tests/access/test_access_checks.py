"""The access checks on real trees: live evidence, its snapshot, and real identities."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chipdoctor.access.container import detect
from chipdoctor.access.data import access_data
from chipdoctor.access.devices import ACL_GROUP, ACL_MASK, ACL_USER, can_open
from chipdoctor.access.mountinfo import covering, parse_mountinfo
from chipdoctor.access.scripts import library_dirs
from chipdoctor.engine import check
from chipdoctor.evidence.base import FileStat, Identity
from chipdoctor.evidence.fsfacts import parse_acl_xattr, stat_path
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, SnapshotEvidence, write_snapshot
from chipdoctor.matrix.load import load_matrices
from chipdoctor.recipes.data import mounts
from tests.access_trees import (
    HEALTHY_FILES,
    HWHIAIUSER,
    OPENEULER,
    AscendHost,
    Seen,
    alice,
    compiler,
    env_for,
    python_of,
    write,
)
from tests.conftest import SNAPSHOTS, run_cli

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of device nodes needs root")


def _findings(report: dict[str, object]) -> dict[str, str]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return {f["id"]: f["severity"] for f in findings if f["severity"] != "info"}


@pytest.fixture
def tree() -> Iterator[Path]:
    """A world-traversable directory, so a check run as another user can reach the tree."""
    if compiler("aarch64") is None:
        pytest.skip("no aarch64 cross compiler (apt-get install gcc-aarch64-linux-gnu)")
    path = Path(tempfile.mkdtemp(prefix="cd-access-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=True)


@dataclass(frozen=True)
class Tree:
    """One live tree: the host built, whether its environment is sourced, who looks, and the
    findings (id -> severity) expected."""

    host: AscendHost
    sourced: bool
    identity: Identity | None
    expected: dict[str, str]


@ROOT_ONLY
@pytest.mark.parametrize(
    "case",
    [
        Tree(AscendHost(), True, alice({HWHIAIUSER: "HwHiAiUser"}), {}),
        Tree(
            AscendHost(),
            False,
            alice({HWHIAIUSER: "HwHiAiUser"}),
            {"ascend.env-not-sourced": "error"},
        ),
        Tree(AscendHost(), True, alice(), {"ascend.device-permission": "error"}),
        Tree(AscendHost(toolkit_arch="x86_64"), True, None, {"ascend.library-wrong-arch": "error"}),
        Tree(AscendHost(nodes=False), True, None, {"ascend.device-missing": "error"}),
    ],
    ids=["healthy", "not-sourced", "not-in-group", "x86_64-cann", "driver-not-loaded"],
)
def test_live_tree_and_its_snapshot_agree(tree: Path, tmp_path: Path, case: Tree) -> None:
    root = tree / "root"
    case.host.build(root)
    live = Seen(
        HostEvidence(root=str(root), env=env_for(case.host, sourced=case.sourced)),
        platform=OPENEULER,
        identity=case.identity,
        python=python_of(root),
    )
    recorder = RecordingEvidence(live)
    matrices = load_matrices()
    report = check(recorder, matrices).to_dict()
    assert _findings(report) == case.expected
    write_snapshot(tmp_path / "snap", recorder.recording, OPENEULER, live.python)
    assert check(SnapshotEvidence(tmp_path / "snap"), matrices).to_dict() == report


_AS_ANOTHER_USER = """
import json, os, sys
from pathlib import Path
from chipdoctor.engine import check
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.matrix.load import load_matrices
from tests.access_trees import OPENEULER, AscendHost, Seen, env_for, python_of
root = Path(sys.argv[1])
matrices = load_matrices()
def run():
    live = HostEvidence(root=str(root), env=env_for(AscendHost()))
    return check(Seen(live, platform=OPENEULER, python=python_of(root)), matrices).to_dict()
# A first run imports and loads everything: this interpreter lives under /root, which the
# unprivileged user cannot read. Then the process really drops to uid/gid 1001.
run()
os.setgroups([int(g) for g in sys.argv[2:]])
os.setgid(1001)
os.setuid(1001)
print(json.dumps(run()))
"""


def _as_user_1001(root: Path, *groups: int) -> dict[str, dict[str, str]]:
    repo = str(Path(__file__).resolve().parents[2])
    result = subprocess.run(
        [sys.executable, "-c", _AS_ANOTHER_USER, str(root), *map(str, groups)],
        capture_output=True,
        text=True,
        check=True,
        cwd=repo,
        env={**os.environ, "PYTHONPATH": repo},
    )
    return {f["id"]: f for f in json.loads(result.stdout)["findings"]}


@ROOT_ONLY
def test_a_real_user_outside_hwhiaiuser_is_told_the_usermod_line(tree: Path) -> None:
    """A process that really runs as uid 1001: the kernel's identity, not a stand-in."""
    AscendHost().build(tree / "root")
    finding = _as_user_1001(tree / "root")["ascend.device-permission"]
    assert "cannot open /dev/davinci0 (crw-rw---- HwHiAiUser HwHiAiUser)" in finding["message"]
    assert finding["fix"].startswith("sudo usermod -aG HwHiAiUser ")
    assert "ascend.device-permission" not in _as_user_1001(tree / "root", HWHIAIUSER)


def test_group_listed_but_session_older_says_log_in_again(tree: Path) -> None:
    host = AscendHost(nodes=False)
    host.build(tree / "root")
    group = tree / "root/etc/group"
    group.write_text(group.read_text().replace("HwHiAiUser:x:1000:", "HwHiAiUser:x:1000:alice"))
    node = FileStat("char", 0o660, HWHIAIUSER, HWHIAIUSER, "HwHiAiUser", "HwHiAiUser")
    assert not can_open(node, alice())
    from chipdoctor.access.context import AccessContext
    from chipdoctor.access.devices import _denied
    from chipdoctor.model import Inventory

    evidence = HostEvidence(root=str(tree / "root"), env={})
    context = AccessContext(evidence, Inventory(), alice(), None)
    _denied(context, access_data()["ascend"], [("/dev/davinci0", node)])
    (finding,) = context.inventory.findings
    assert finding.fix.startswith("Log out and back in (or run `newgrp HwHiAiUser`)")


def test_acl_entries_weigh_as_the_kernel_weighs_them() -> None:
    nobody = Identity(2000, 2000, "bob", ((2000, "bob"),))
    base = FileStat("char", 0o660, 0, 109, "root", "render")
    assert not can_open(base, nobody)
    # uaccess-style: a named-user entry granting rw, within the mask.
    named = (1, 6, 0), (ACL_USER, 6, 2000), (4, 6, 0), (ACL_MASK, 6, 0), (32, 0, 0)
    assert can_open(FileStat("char", 0o660, 0, 109, acl=named), nobody)
    masked = (1, 6, 0), (ACL_USER, 6, 2000), (4, 6, 0), (ACL_MASK, 4, 0), (32, 0, 0)
    assert not can_open(FileStat("char", 0o660, 0, 109, acl=masked), nobody)
    group = (1, 6, 0), (4, 0, 0), (ACL_GROUP, 6, 2000), (ACL_MASK, 6, 0), (32, 0, 0)
    assert can_open(FileStat("char", 0o600, 0, 109, acl=group), nobody)
    assert can_open(base, Identity(0, 0))


def test_a_real_posix_acl_is_read_from_the_file(tmp_path: Path) -> None:
    import struct

    target = tmp_path / "node"
    target.write_text("")
    entries = [
        (1, 6, 0xFFFFFFFF),
        (2, 6, 2000),
        (4, 0, 0xFFFFFFFF),
        (16, 6, 0xFFFFFFFF),
        (32, 0, 0xFFFFFFFF),
    ]
    raw = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)
    try:
        os.setxattr(target, "system.posix_acl_access", raw)
    except OSError as exc:
        pytest.skip(f"this file system has no POSIX ACLs ({exc.strerror})")
    info = stat_path(target, "/node", lambda uid: "", lambda gid: "")
    assert info is not None
    assert info.acl == parse_acl_xattr(raw)
    assert can_open(info, Identity(2000, 2000))


def test_container_markers() -> None:
    hosts_mount = (
        "42 40 254:0 /var/lib/docker/containers/x/hosts /etc/hosts rw - ext4 /dev/vda rw\n"
    )
    root = "40 1 0:50 / / rw - overlay overlay rw\n"

    class Stub(HostEvidence):
        def __init__(self, files: dict[str, str], present: set[str]) -> None:
            super().__init__(env={})
            self.files, self.present = files, present

        def read_text(self, path: str) -> str | None:
            return self.files.get(path)

        def stat(self, path: str) -> FileStat | None:
            return FileStat("file", 0o644, 0, 0) if path in self.present else None

    # A stale /.dockerenv in a machine image (as on this project's build host): no container.
    assert detect(Stub({"/proc/self/mountinfo": root}, {"/.dockerenv"})) is None
    running = detect(Stub({"/proc/self/mountinfo": root + hosts_mount}, {"/.dockerenv"}))
    assert running is not None and running.running
    assert running.describe() == "a Docker container (/.dockerenv, /etc/hosts)"
    at_rest = detect(Stub({}, {"/run/.containerenv"}))  # an image read without /proc
    assert at_rest is not None and not at_rest.running


def test_mountinfo_escapes_and_covering_mounts() -> None:
    text = (
        "40 1 0:50 / / rw - overlay overlay rw\n"
        "41 40 8:1 /srv/ascend\\040driver/lib64 /usr/local/Ascend/driver/lib64 ro"
        " - xfs /dev/sda1 rw\n"
        "42 40 0:5 / /dev rw - tmpfs tmpfs rw\n"
        "garbage line\n"
    )
    mounts = parse_mountinfo(text)
    assert [m.point for m in mounts] == ["/", "/usr/local/Ascend/driver/lib64", "/dev"]
    assert mounts[1].root == "/srv/ascend driver/lib64"
    lib = covering(mounts, "/usr/local/Ascend/driver/lib64/driver/libascend_hal.so")
    assert lib is not None and lib.fstype == "xfs"
    image = covering(mounts, "/usr/local/Ascend/driver/version.info")
    assert image is not None and image.point == "/"
    device = covering(mounts, "/dev/davinci0")
    assert device is not None and device.runtime


def test_set_env_sh_puts_the_driver_and_toolkit_on_the_path() -> None:
    text = (HEALTHY_FILES / "usr/local/Ascend/ascend-toolkit/set_env.sh").read_text()
    dirs = library_dirs(text)
    assert dirs[:4] == [
        "/usr/local/Ascend/driver/lib64",
        "/usr/local/Ascend/driver/lib64/common",
        "/usr/local/Ascend/driver/lib64/driver",
        "/usr/local/Ascend/ascend-toolkit/latest/lib64",
    ]
    assert not any("$(" in d or "arch" in d.rsplit("/", 1)[-1] for d in dirs)  # $(arch) skipped
    assert library_dirs(
        'X=/a\nexport LD_LIBRARY_PATH="${X}/lib:$UNKNOWN/lib:$LD_LIBRARY_PATH"\n'
    ) == ["/a/lib"]


def test_bundled_data_agrees_with_the_recipes_mounts() -> None:
    data = access_data()
    shared = mounts()
    assert set(data) <= set(shared)
    for name, spec in data.items():
        listed = {d.path for d in spec.devices}
        assert set(shared[name].devices) <= listed, name
        assert [v.host for v in spec.volumes] == [h for h, _ in shared[name].host_paths()]
        for library in spec.libraries:
            assert library.provider in spec.providers
    assert data["ascend"].providers["driver"].host == (
        "/usr/local/Ascend/driver/lib64/",
        "/usr/local/Ascend/driver/version.info",
    )
    assert data["cuda"].gpus == "--gpus all"


def test_v1_snapshot_reports_stay_the_same_and_say_what_was_not_recorded() -> None:
    scenario = SNAPSHOTS / "ascend-910b-healthy"
    result = run_cli("check", "--snapshot", str(scenario), "--format", "json")
    report = json.loads(result.stdout)
    assert all(not f["id"].endswith(("libraries", "device-missing")) for f in report["findings"])
    table = run_cli("check", "--snapshot", str(scenario))
    assert (
        "note: shared libraries, device nodes and container mounts are not recorded" in table.stdout
    )


def test_snapshot_writes_format_3_with_its_host(tmp_path: Path) -> None:
    result = run_cli("snapshot", str(tmp_path / "snap"))
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "snap/snapshot.yaml").read_text()
    assert written.startswith("format: chipdoctor-snapshot/3\n")
    assert f"\nhost: {socket.gethostname()}\n" in written


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("identity: {gid: 1}\n", 2, "uid must be an integer"),
        (
            "stats:\n  /dev/kfd: {type: char, mode: rw, uid: 0, gid: 0}\n",
            3,
            "mode of /dev/kfd must be octal",
        ),
        ("stats:\n  /dev/kfd: {type: pipe, mode: '0660', uid: 0, gid: 0}\n", 3, "type of /dev/kfd"),
        (
            "elf:\n  /lib/x.so: {class: 16, byte_order: little, machine: 62}\n",
            3,
            "class of /lib/x.so",
        ),
        (
            "elf:\n  /lib/x.so: {class: 64, byte_order: little, machine: 62, needed: x}\n",
            3,
            "needed of",
        ),
        ("dirs:\n  relative/dir: []\n", 3, "is not absolute"),
        ("dirs:\n  /dev: davinci0\n", 3, "listing of /dev must be a list"),
    ],
)
def test_bad_format_2_records_are_one_clear_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    (tmp_path / "snapshot.yaml").write_text("format: chipdoctor-snapshot/2\n" + text)
    result = run_cli("check", "--snapshot", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"chipdoctor: error: {tmp_path}/snapshot.yaml:{line}: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_format_2_keys_are_refused_in_format_1(tmp_path: Path) -> None:
    (tmp_path / "snapshot.yaml").write_text("format: chipdoctor-snapshot/1\nstats: {}\n")
    result = run_cli("check", "--snapshot", str(tmp_path))
    assert result.returncode == 2
    assert "snapshot.yaml:2: unknown key 'stats'" in result.stderr


def test_a_v2_snapshot_may_hold_a_real_object_under_files(tmp_path: Path) -> None:
    if compiler("aarch64") is None:
        pytest.skip("no aarch64 cross compiler")
    from tests.access_trees import build_object

    build_object(
        tmp_path / "files/opt/lib/libx.so", "aarch64", soname="libx.so", needed=["liby.so"]
    )
    write(tmp_path, "/snapshot.yaml", "format: chipdoctor-snapshot/2\n")
    evidence = SnapshotEvidence(tmp_path)
    info = evidence.elf("/opt/lib/libx.so")
    assert info is not None and info.needed == ("liby.so",) and info.arch == "aarch64"
    assert evidence.stat("/opt/lib/libx.so") == FileStat("file", 0o644, 0, 0, "root", "root")
    assert evidence.stat("/opt/lib/none.so") is None


def test_a_cache_with_only_a_32_bit_libcuda_says_wrong_architecture(tmp_path: Path) -> None:
    """The cache ldconfig writes marks each entry's ABI; an x86_64 process ignores an i386 one."""
    if compiler("i386") is None or os.geteuid() != 0:
        pytest.skip("needs i686-linux-gnu-gcc and root (ldconfig -r chroots)")
    from chipdoctor.access.check import check_access
    from chipdoctor.model import Component, Inventory
    from tests.access_trees import build_object

    root = tmp_path / "root"
    build_object(root / "usr/lib/i386-linux-gnu/libcuda.so.1", "i386", soname="libcuda.so.1")
    write(root, "/etc/ld.so.conf", "/usr/lib/i386-linux-gnu\n")
    subprocess.run(["ldconfig", "-r", str(root)], check=True)
    inventory = Inventory(
        stacks=["cuda"], components=[Component("nvidia_driver", "550.54.15", "nvidia-smi")]
    )
    check_access(HostEvidence(root=str(root), env={}), inventory)
    (finding,) = [f for f in inventory.findings if f.id == "cuda.library-wrong-arch"]
    assert "/usr/lib/i386-linux-gnu/libcuda.so.1 (ld.so.cache: ELF)" in finding.message
    assert "libnvidia-ml.so.1" not in finding.message


@ROOT_ONLY
def test_visible_devices_are_checked_against_the_nodes_when_no_smi_answers(tree: Path) -> None:
    from chipdoctor.access.check import check_access
    from chipdoctor.stacks.ascend.probe import AscendProbe

    host = AscendHost()
    host.build(tree / "root")
    (tree / "root/dev/davinci_manager").unlink()
    (tree / "root/dev/davinci_manager").mkdir()  # what `-v /dev/davinci_manager:…` leaves
    env = {**env_for(host), "ASCEND_RT_VISIBLE_DEVICES": "0,1"}
    live = Seen(
        HostEvidence(root=str(tree / "root"), env=env),
        platform=OPENEULER,
        identity=alice({HWHIAIUSER: "HwHiAiUser"}),
        python=python_of(tree / "root"),
    )
    inventory = AscendProbe().collect(live)  # no npu-smi here: the probe cannot count devices
    assert not [f for f in inventory.findings if f.id == "ascend.visible-devices"]
    check_access(live, inventory)
    found = {f.id: f for f in inventory.findings}
    visible = found["ascend.visible-devices"]
    assert "only 1 /dev/davinci* node(s) exist" in visible.message
    assert visible.fix == "export ASCEND_RT_VISIBLE_DEVICES=0"
    assert found["ascend.device-not-char"].message.startswith("/dev/davinci_manager (a dir)")


@ROOT_ONLY
def test_a_library_installed_after_ldconfig_ran_asks_for_ldconfig(tmp_path: Path) -> None:
    """ROCm's post-install lists /opt/rocm/lib in ld.so.conf.d; the loader reads the cache."""
    if compiler("x86_64") is None:
        pytest.skip("needs cc")
    from chipdoctor.access.check import check_access
    from chipdoctor.model import Component, Inventory
    from tests.access_trees import build_object

    root = tmp_path / "root"
    write(root, "/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n")
    write(root, "/etc/ld.so.conf.d/rocm.conf", "/opt/rocm/lib\n/opt/rocm/lib64\n")
    (root / "opt/rocm/lib").mkdir(parents=True)
    subprocess.run(["ldconfig", "-r", str(root)], check=True)  # before the library exists
    build_object(root / "opt/rocm/lib/libamdhip64.so", "x86_64", soname="libamdhip64.so")

    def findings() -> dict[str, str]:
        inventory = Inventory(stacks=["rocm"], components=[Component("rocm", "7.2.0", "x")])
        check_access(HostEvidence(root=str(root), env={}), inventory)
        return {f.id: f.fix for f in inventory.findings}

    stale = findings()
    assert stale["rocm.ldconfig-needed"] == "sudo ldconfig   # in a Dockerfile: RUN ldconfig"
    subprocess.run(["ldconfig", "-r", str(root)], check=True)
    assert "rocm.ldconfig-needed" not in findings()
