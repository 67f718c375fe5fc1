"""Hostile snapshot archives, built here with the tarfile module (and by hand where tarfile
will not write the header): every one is refused with exit 2 and one line naming the archive,
within a capped address space, before anything large is read or extracted."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

from chipdoctor.evidence.archive import MAX_DEPTH, MAX_EXTENDED_HEADER_BYTES, MAX_MEMBERS
from tests.hostile.refusal import HEALTHY, assert_refused, run_capped

_BLOCK = 512


def _header(name: str, kind: bytes, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, size
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def _raw_archive(path: Path, kind: bytes, size: int, fill: bytes = b"a") -> None:
    """An extended header of `kind` claiming `size` bytes of `fill`, then a small snapshot."""
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(_header("././@LongLink", kind, size))
        chunk = fill * (1 << 20)
        left = size
        while left > 0:
            out.write(chunk[: min(left, len(chunk))])
            left -= min(left, len(chunk))
        out.write(bytes(-size % _BLOCK))
        out.write(_header("snap/snapshot.yaml", tarfile.REGTYPE, 0))
        out.write(bytes(2 * _BLOCK))


def _archive(path: Path, members: list[tuple[str, bytes]], **tar_options: object) -> None:
    with tarfile.open(path, "w:gz", **tar_options) as tar:  # type: ignore[call-overload]
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _check(archive: Path, timeout: float = 60) -> str:
    return assert_refused(run_capped("check", "--snapshot", str(archive), timeout=timeout))


def test_a_gnu_long_name_of_512_mib_is_refused_unread(tmp_path: Path) -> None:
    archive = tmp_path / "long.tar.gz"
    _raw_archive(archive, tarfile.GNUTYPE_LONGNAME, 512 << 20)
    assert archive.stat().st_size < 4 << 20
    line = _check(archive)
    assert f"{archive}: refusing member" in line
    assert f"over {MAX_EXTENDED_HEADER_BYTES >> 10} KiB" in line


def test_a_pax_header_of_512_mib_is_refused_unread(tmp_path: Path) -> None:
    archive = tmp_path / "pax.tar.gz"
    _raw_archive(archive, tarfile.XHDTYPE, 512 << 20)
    assert f"over {MAX_EXTENDED_HEADER_BYTES >> 10} KiB" in _check(archive)


def test_a_pax_size_that_overrides_the_header_is_counted(tmp_path: Path) -> None:
    """The header says 0 bytes; the pax record that tarfile follows says 1 TiB."""
    archive = tmp_path / "paxsize.tar.gz"
    record = b" size=1099511627776\n"
    record = str(len(record) + 3).encode() + record
    with gzip.open(archive, "wb") as out:
        out.write(_header("././@PaxHeader", tarfile.XHDTYPE, len(record)))
        out.write(record + bytes(-len(record) % _BLOCK))
        out.write(_header("snap/snapshot.yaml", tarfile.REGTYPE, 0))
        out.write(bytes(2 * _BLOCK))
    assert "the members exceed 256 MiB" in _check(archive)


def test_extended_headers_count_as_members(tmp_path: Path) -> None:
    """Each long name brings a pax header: fewer files than the cap, more headers."""
    archive = tmp_path / "many.tar.gz"
    long = "d" * 120
    members = [(f"snap/files/{long}{index}", b"") for index in range(MAX_MEMBERS // 2 + 1)]
    _archive(archive, members, format=tarfile.PAX_FORMAT)
    assert f"more than {MAX_MEMBERS} members" in _check(archive)


def test_two_snapshot_yaml_members_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "twice.tar.gz"
    intact = (HEALTHY / "snapshot.yaml").read_bytes()
    _archive(archive, [("snap/snapshot.yaml", intact), ("snap/snapshot.yaml", b"format: x\n")])
    assert "refusing member 'snap/snapshot.yaml': a second member of that name" in _check(archive)


def test_a_member_nested_3000_levels_deep_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "deep.tar.gz"
    _archive(archive, [("snap/" + "d/" * 3000 + "f", b"x")], format=tarfile.GNU_FORMAT)
    assert "refusing member" in _check(archive)


def test_a_member_nested_past_the_depth_limit_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "deep.tar.gz"
    _archive(archive, [("snap/" + "d/" * MAX_DEPTH + "f", b"x")])
    assert f"nested more than {MAX_DEPTH} levels deep" in _check(archive)


def test_a_sparse_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "sparse.tar.gz"
    with gzip.open(archive, "wb") as out:
        out.write(_header("snap/snapshot.yaml", tarfile.GNUTYPE_SPARSE, 0))
        out.write(bytes(2 * _BLOCK))
    assert "refusing member 'snap/snapshot.yaml'" in _check(archive)


def test_a_120_mib_snapshot_yaml_is_refused_by_its_archive_name(tmp_path: Path) -> None:
    big = tmp_path / "snapshot.yaml"
    with big.open("wb") as handle:
        handle.truncate(120 << 20)
    archive = tmp_path / "big.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(big, arcname="snap/snapshot.yaml")
    line = _check(archive)
    assert f"{archive}!snap/snapshot.yaml: is 120 MiB, over the 2 MiB limit" in line


def test_a_zip_is_not_a_snapshot_archive(tmp_path: Path) -> None:
    archive = tmp_path / "snap.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(HEALTHY / "snapshot.yaml", "snap/snapshot.yaml")
    assert "not a readable .tar.gz snapshot archive" in _check(archive)


def test_a_truncated_archive_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "cut.tar.gz"
    _archive(archive, [("snap/snapshot.yaml", (HEALTHY / "snapshot.yaml").read_bytes())])
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert f"{archive}: " in _check(archive)
