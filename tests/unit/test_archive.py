"""Snapshot archives: a round trip with secrets redacted, and hostile archives refused."""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from chipdoctor.errors import BadInput
from chipdoctor.evidence import archive
from tests.conftest import SNAPSHOTS, run_cli

URL_PASSWORD = "Sup3rS3cretPassw0rd"
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def test_round_trip_keeps_the_report_and_drops_the_secrets(tmp_path: Path) -> None:
    # Both variables are on the allow-list and read by the Ascend probe on every host.
    env = {
        "ASCEND_TOOLKIT_HOME": f"https://alice:{URL_PASSWORD}@mirror.example.com/cann",
        "ASCEND_HOME_PATH": f"/opt/cann:{TOKEN}",
        "UNLISTED_VARIABLE": "not-on-the-allow-list",
    }
    made = run_cli("snapshot", str(tmp_path / "node7"), "--archive", env=env)
    assert made.returncode == 0, made.stderr
    packed = tmp_path / "node7.tar.gz"
    assert f"packed into {packed}" in made.stderr
    raw = packed.read_bytes()
    plain = gzip.decompress(raw)
    for secret in (URL_PASSWORD.encode(), TOKEN.encode(), b"not-on-the-allow-list"):
        assert secret not in raw and secret not in plain
    with tarfile.open(packed) as tar:
        names = tar.getnames()
        assert {name.split("/", 1)[0] for name in names} == {"node7"}
        assert "node7/snapshot.yaml" in names
        recorded = tar.extractfile("node7/snapshot.yaml")
        assert recorded is not None
        text = recorded.read().decode()
    assert "https://<redacted>@mirror.example.com/cann" in text
    assert "/opt/cann:<redacted>" in text
    from_dir = run_cli("check", "--snapshot", str(tmp_path / "node7"), "--format", "json")
    from_archive = run_cli("check", "--snapshot", str(packed), "--format", "json")
    assert from_dir.returncode == from_archive.returncode
    assert from_archive.stderr == ""
    assert json.loads(from_archive.stdout) == json.loads(from_dir.stdout)


@pytest.mark.parametrize("snapshot", ["ascend-910b-healthy", "no-accelerator"])
def test_an_archive_made_by_hand_with_tar_is_read(tmp_path: Path, snapshot: str) -> None:
    # `tar czf x.tgz -C snapdir .`: GNU tar names the members ./, ./snapshot.yaml, ./files/…
    packed = tmp_path / "x.tgz"
    subprocess.run(["tar", "czf", str(packed), "-C", str(SNAPSHOTS / snapshot), "."], check=True)
    with tarfile.open(packed) as tar:
        assert "./snapshot.yaml" in tar.getnames()
    from_dir = run_cli("check", "--snapshot", str(SNAPSHOTS / snapshot), "--format", "json")
    from_archive = run_cli("check", "--snapshot", str(packed), "--format", "json")
    assert from_archive.stderr == ""
    assert from_archive.returncode == from_dir.returncode
    assert json.loads(from_archive.stdout) == json.loads(from_dir.stdout)


def test_a_dot_folder_is_still_one_top_folder(tmp_path: Path) -> None:
    mixed = _healthy_snapshot_archive(tmp_path / "mixed.tar.gz", _add(_member("./x"), b"x"))
    result = run_cli("check", "--snapshot", str(mixed))
    assert result.returncode == 2
    assert "refusing member './x': outside the archive's one top-level folder" in result.stderr


def test_archive_name_and_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out" / "ticket-123.tgz"
    assert run_cli("snapshot", str(tmp_path / "a"), "--archive", str(target)).returncode == 0
    assert target.is_file()
    before = target.read_bytes()
    again = run_cli("snapshot", str(tmp_path / "b"), "--archive", str(target))
    assert again.returncode == 2
    assert (
        again.stderr
        == f"chipdoctor: error: {target}: already exists (use --force to overwrite it)\n"
    )
    assert target.read_bytes() == before
    assert not (tmp_path / "b").exists()  # refused before anything was written
    forced = run_cli("snapshot", str(tmp_path / "b"), "--archive", str(target), "--force")
    assert forced.returncode == 0
    with tarfile.open(target) as tar:
        assert tar.getnames()[0] == "b"


def test_an_archive_name_alone_needs_archive(tmp_path: Path) -> None:
    result = run_cli("snapshot", str(tmp_path / "a"), str(tmp_path / "a.tar.gz"))
    assert result.returncode == 2
    assert "needs --archive" in result.stderr


def _healthy_snapshot_archive(path: Path, extra: Callable[[tarfile.TarFile], None]) -> Path:
    """The healthy scenario under `snap/`, plus whatever `extra` adds."""
    with tarfile.open(path, "w:gz") as tar:
        tar.add(SNAPSHOTS / "ascend-910b-healthy", arcname="snap")
        extra(tar)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, **fields: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def _add(info: tarfile.TarInfo, data: bytes = b"") -> Callable[[tarfile.TarFile], None]:
    def add(tar: tarfile.TarFile) -> None:
        info.size = len(data) if info.isfile() else 0
        tar.addfile(info, io.BytesIO(data) if info.isfile() else None)

    return add


class _Zeros(io.RawIOBase):
    """`size` zero bytes, produced as they are read, so a bomb costs no memory to build."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def _bomb(tar: tarfile.TarFile) -> None:
    size = archive.MAX_TOTAL_BYTES + 1
    tar.addfile(_member("snap/files/bomb", size=size), io.BufferedReader(_Zeros(size)))


@pytest.mark.parametrize(
    ("extra", "member", "reason"),
    [
        (_add(_member("snap/../../evil"), b"x"), "snap/../../evil", "leaves the archive"),
        (_add(_member("/etc/cron.d/evil"), b"x"), "/etc/cron.d/evil", "an absolute path"),
        (
            _add(_member("snap/files/up", tarfile.SYMTYPE, linkname="../../../../etc")),
            "snap/files/up",
            "a symbolic link (to '../../../../etc')",
        ),
        (
            _add(_member("snap/files/passwd", tarfile.LNKTYPE, linkname="/etc/passwd")),
            "snap/files/passwd",
            "a hard link (to '/etc/passwd')",
        ),
        (
            _add(_member("snap/files/dev/sda", tarfile.BLKTYPE, devmajor=8, devminor=0)),
            "snap/files/dev/sda",
            "a device node",
        ),
        (
            _add(_member("snap/files/dev/mem", tarfile.CHRTYPE, devmajor=1, devminor=1)),
            "snap/files/dev/mem",
            "a device node",
        ),
        (_add(_member("snap/fifo", tarfile.FIFOTYPE)), "snap/fifo", "a FIFO"),
        (_add(_member("other/x"), b"x"), "other/x", "outside the archive's one top-level"),
        (_bomb, "snap/files/bomb", f"exceed {archive.MAX_TOTAL_BYTES >> 20} MiB"),
    ],
)
def test_hostile_archives_are_refused(
    tmp_path: Path, extra: Callable[[tarfile.TarFile], None], member: str, reason: str
) -> None:
    hostile = _healthy_snapshot_archive(tmp_path / "hostile.tar.gz", extra)
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli("check", "--snapshot", str(hostile), cwd=work)
    assert result.returncode == 2, result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"chipdoctor: error: {hostile}: refusing member {member!r}: ")
    assert reason in line
    assert list(work.iterdir()) == []
    assert not (tmp_path / "evil").exists()


def test_too_many_members_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_MEMBERS", 5)
    many = _healthy_snapshot_archive(tmp_path / "many.tar.gz", lambda tar: None)
    with pytest.raises(BadInput, match="more than 5 members"):
        archive.extract(many, tmp_path / "out")


def test_not_an_archive_is_bad_input(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"this is not gzip")
    result = run_cli("check", "--snapshot", str(junk))
    assert result.returncode == 2
    assert result.stderr.startswith(f"chipdoctor: error: {junk}: not a readable .tar.gz")


def test_an_archive_without_a_snapshot_is_bad_input(tmp_path: Path) -> None:
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz") as tar:
        _add(_member("snap/readme.txt"), b"hello")(tar)
    result = run_cli("check", "--snapshot", str(empty))
    assert result.returncode == 2
    assert "holds no snap/snapshot.yaml" in result.stderr


def test_extraction_without_the_data_filter_matches(tmp_path: Path) -> None:
    """Python 3.9-3.11 releases before the PEP 706 backport extract checked members this way."""
    packed = _healthy_snapshot_archive(tmp_path / "ok.tar.gz", lambda tar: None)
    with tarfile.open(packed) as tar:
        members = [m for m in tar.getmembers() if archive.refusal(m) is None]
        archive.extract_plain(tar, members, tmp_path / "plain")
    source = SNAPSHOTS / "ascend-910b-healthy"
    extracted = tmp_path / "plain" / "snap"
    copied = sorted(p.relative_to(extracted) for p in extracted.rglob("*"))
    assert copied == sorted(p.relative_to(source) for p in source.rglob("*"))
    assert (extracted / "snapshot.yaml").read_bytes() == (source / "snapshot.yaml").read_bytes()


@pytest.mark.parametrize("name", ["ticket.zip", "ticket.tar"])
def test_a_wrong_archive_name_is_refused_before_anything_is_written(
    tmp_path: Path, name: str
) -> None:
    result = run_cli("snapshot", str(tmp_path / "a"), "--archive", str(tmp_path / name))
    assert result.returncode == 2
    assert "must end in .tar.gz or .tgz" in result.stderr
    assert not (tmp_path / "a").exists()


def test_an_archive_never_replaces_what_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "ticket.tar.gz"
    os.mkfifo(fifo)
    link = tmp_path / "link.tgz"
    link.symlink_to(tmp_path / "elsewhere.tgz")
    for target, what in ((fifo, "is a FIFO"), (link, "is a symbolic link")):
        result = run_cli("snapshot", str(tmp_path / "a"), "--archive", str(target), "--force")
        assert result.returncode == 2
        assert what in result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and link.is_symlink()
    assert not (tmp_path / "elsewhere.tgz").exists()


def test_an_archive_under_a_file_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder\n")
    for name in ("file/x.tar.gz", "file/sub/x.tar.gz"):
        result = run_cli(
            "snapshot", str(tmp_path / "snap"), "--force", "--archive", str(tmp_path / name)
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"chipdoctor: error: {tmp_path / name}: cannot write the archive: "
            + ("File exists" if name == "file/x.tar.gz" else "Not a directory")
            + "\n"
        )
