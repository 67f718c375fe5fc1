"""Snapshot archives: one `.tar.gz` holding a snapshot directory, for a vendor ticket.

Layout: the snapshot directory inside one top-level folder (`node7/snapshot.yaml`,
`node7/files/…`), or at the archive's root as `tar czf x.tgz -C node7 .` writes it
(`./snapshot.yaml`, `./files/…`: `.` is then the top-level folder). Reading one back is reading
untrusted input, so every member is checked before anything is extracted: regular files and
directories only (a snapshot never holds links or devices), relative paths that stay inside the
top folder, and caps on the number of members and their total size. A bad member refuses the
whole archive (exit 2).
"""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from chipdoctor.delivery import ensure_writable, place
from chipdoctor.errors import BadInput
from chipdoctor.evidence.process import signals_held

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
#: Limits (docs/contracts.md, "Limits"). Every header counts as a member and its data
#: against the total, extended ones too (GNU long names, pax headers): tarfile reads those
#: into memory whole, so one is capped on its own before tarfile sees it.
MAX_MEMBERS = 50_000
MAX_TOTAL_BYTES = 256 << 20
MAX_EXTENDED_HEADER_BYTES = 64 << 10
MAX_NAME_BYTES = 4096
MAX_DEPTH = 64
_BLOCK = 512
_REGULAR = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE)
#: Member types whose data tarfile skips over (the others carry none).
_LINKS_AND_NODES = (
    tarfile.DIRTYPE,
    tarfile.SYMTYPE,
    tarfile.LNKTYPE,
    tarfile.CHRTYPE,
    tarfile.BLKTYPE,
    tarfile.FIFOTYPE,
)
_EXTENDED = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE)
#: NOTE: `filter="data"` arrived in Python 3.12 and was backported to 3.8.17, 3.9.17, 3.10.12
#: and 3.11.4 (PEP 706); older patch releases rely on the checks below alone.
HAS_DATA_FILTER = hasattr(tarfile, "data_filter")


def default_archive(directory: Path) -> Path:
    """`DIR.tar.gz` next to DIR."""
    resolved = directory.resolve()
    return resolved.with_name(resolved.name + ".tar.gz")


def pack(directory: Path, archive: Path, *, force: bool = False) -> None:
    """Write `directory` into `archive` under one top-level folder named like the directory.

    Only regular files and directories go in. The archive appears whole or not at all (written
    beside its target, then renamed), and an existing one is replaced only with `force`.
    """
    check_target(archive, force=force)
    top = directory.resolve().name or "snapshot"

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if not (info.isfile() or info.isdir()):
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    try:
        archive.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(
            dir=archive.parent, prefix=f".{archive.name}.", suffix=".part"
        )
    except OSError as exc:
        raise _cannot_write(archive, exc) from None
    os.close(handle)
    try:
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(directory, arcname=top, recursive=True, filter=keep)
        Path(partial).chmod(0o666 & ~_umask())  # mkstemp makes it 0600
        place(Path(partial), archive, force=force)
    except OSError as exc:
        raise _cannot_write(archive, exc) from None
    finally:
        Path(partial).unlink(missing_ok=True)


def _cannot_write(archive: Path, exc: OSError) -> BadInput:
    return BadInput(f"cannot write the archive: {exc.strerror or exc}", path=str(archive))


def check_target(archive: Path, *, force: bool) -> None:
    """Refuse an archive name before anything is written: its suffix, and what already stands
    there (a regular file only, and only with `force`; a folder that does not exist yet is made)."""
    if not archive.name.endswith(ARCHIVE_SUFFIXES):
        raise BadInput("an archive name must end in .tar.gz or .tgz", path=str(archive))
    if archive.parent.is_dir():
        ensure_writable(archive, force=force)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def is_archive(path: Path) -> bool:
    """Whether `check --snapshot PATH` should treat PATH as an archive (a file, not a dir)."""
    return path.is_file()


@contextmanager
def snapshot_directory(path: Path) -> Iterator[Path]:
    """The snapshot directory `path` names: itself, or an archive extracted to a temporary
    directory that is removed when the block ends.

    Bad input found in the extracted files is reported as `ARCHIVE!MEMBER`, not under the
    temporary directory that is gone by the time the user reads the message.
    """
    if not is_archive(path):
        yield path
        return
    # NOTE: made and removed with signals held, so SIGINT/SIGTERM cannot leave it behind.
    scratch: str | None = None
    try:
        with signals_held():
            scratch = tempfile.mkdtemp(prefix="chipdoctor-snapshot-")
        try:
            yield extract(path, Path(scratch))
        except BadInput as exc:
            if exc.path is not None and Path(exc.path).is_relative_to(scratch):
                exc.path = f"{path}!{Path(exc.path).relative_to(scratch).as_posix()}"
            raise
    finally:
        if scratch is not None:
            with signals_held():
                shutil.rmtree(scratch, ignore_errors=True)


def extract(archive: Path, destination: Path) -> Path:
    """Check every member of `archive`, extract it under `destination`, return the snapshot."""
    try:
        scan_headers(archive)
        with tarfile.open(archive, "r:gz") as tar:
            members, top = _checked_members(archive, tar)
            if HAS_DATA_FILTER:
                tar.extractall(destination, members=members, filter="data")
            else:
                extract_plain(tar, members, destination)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BadInput(
            f"not a readable .tar.gz snapshot archive ({exc})", path=str(archive)
        ) from None
    except OSError as exc:
        raise BadInput(
            f"cannot extract the archive: {exc.strerror or exc}", path=str(archive)
        ) from None
    snapshot = destination / top
    if not (snapshot / "snapshot.yaml").is_file():
        raise BadInput(f"the archive holds no {top}/snapshot.yaml", path=str(archive))
    return snapshot


def _checked_members(archive: Path, tar: tarfile.TarFile) -> tuple[list[tarfile.TarInfo], str]:
    """Every member, each checked, read one header at a time so a bomb stops at the cap."""
    members: list[tarfile.TarInfo] = []
    names: set[PurePosixPath] = set()
    top: str | None = None
    total = 0
    for member in _headers(tar):
        if len(members) >= MAX_MEMBERS:
            raise _refused(archive, member, f"more than {MAX_MEMBERS} members")
        reason = refusal(member)
        if reason:
            raise _refused(archive, member, reason)
        first = member.name.split("/", 1)[0]  # `.` for `./snapshot.yaml`: the root is the top
        if top is None:
            top = first
        elif first != top:
            raise _refused(archive, member, f"outside the archive's one top-level folder {top!r}")
        path = PurePosixPath(member.name)
        if path in names:
            raise _refused(archive, member, "a second member of that name")
        names.add(path)
        total += member.size
        if total > MAX_TOTAL_BYTES:
            raise _refused(archive, member, f"the members exceed {MAX_TOTAL_BYTES >> 20} MiB")
        members.append(member)
    if top is None:
        raise BadInput("the archive is empty", path=str(archive))
    return members, top


def _headers(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """Each member as its header is read, less the `./` entry `tar -C DIR .` writes first: a
    directory naming the archive's root, which is the extraction directory itself."""
    while (member := tar.next()) is not None:
        if not (member.isdir() and member.name.rstrip("/") == "."):
            yield member


def scan_headers(archive: Path) -> None:
    """Walk the raw tar headers before tarfile does, with the caps applied to every one.

    tarfile reads a GNU long name or a pax header into memory whole, and follows a pax `size`
    that differs from the header's; a 1 MB archive can so claim gigabytes. Here each header
    block is counted as a member, an extended header is refused past
    MAX_EXTENDED_HEADER_BYTES before it is read, and the data of every member, as tarfile
    will skip it, counts against MAX_TOTAL_BYTES, so the archive is only decompressed that far.
    """
    with gzip.open(archive, "rb") as stream:
        headers = total = 0
        pax_size: int | None = None
        while True:
            header = stream.read(_BLOCK)
            if len(header) < _BLOCK or header == bytes(_BLOCK):
                return  # the end, or a truncated archive that tarfile reports
            headers += 1
            name = header[:100].split(b"\0", 1)[0].decode("utf-8", "replace") or "?"
            if headers > MAX_MEMBERS:
                raise _refused_name(archive, name, f"more than {MAX_MEMBERS} members")
            kind, size = header[156:157], _header_size(archive, name, header)
            if kind in _EXTENDED:
                if size > MAX_EXTENDED_HEADER_BYTES:
                    raise _refused_name(
                        archive,
                        name,
                        f"an extended header of {size} bytes "
                        f"(over {MAX_EXTENDED_HEADER_BYTES >> 10} KiB)",
                    )
                data = stream.read(_padded(size))[:size]
                if kind == tarfile.XHDTYPE:
                    pax_size = _pax_size(archive, name, data)
            elif kind in _REGULAR:
                size = size if pax_size is None else pax_size
                pax_size = None
                _skip(stream, _padded(size))
            elif kind in _LINKS_AND_NODES:
                size, pax_size = 0, None
            else:
                raise _refused_name(archive, name, f"a member of tar type {kind!r}")
            total += size
            if total > MAX_TOTAL_BYTES:
                raise _refused_name(
                    archive, name, f"the members exceed {MAX_TOTAL_BYTES >> 20} MiB"
                )


def _header_size(archive: Path, name: str, header: bytes) -> int:
    """The size field: octal text, or GNU base-256 when its first byte has the high bit."""
    field = header[124:136]
    if field[0] & 0x80:
        if field[0] != 0x80:
            raise _refused_name(archive, name, "a negative size")
        return int.from_bytes(field[1:], "big")
    text = field.split(b"\0", 1)[0].strip()
    try:
        return int(text or b"0", 8)
    except ValueError:
        raise _refused_name(archive, name, "a malformed size field") from None


def _pax_size(archive: Path, name: str, data: bytes) -> int | None:
    """The `size` record of a pax header (it replaces the header's); sparse files refused."""
    size = None
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos, pos + 21)
        length = int(data[pos:space]) if space > pos and data[pos:space].isdigit() else 0
        record = data[pos : pos + length]
        if length <= space - pos or not record.endswith(b"\n") or b"=" not in record:
            raise _refused_name(archive, name, "a malformed pax header")
        key, _, value = record[space - pos + 1 : -1].partition(b"=")
        if key.startswith(b"GNU.sparse."):
            raise _refused_name(archive, name, "a sparse file; snapshots hold plain files")
        if key == b"size":
            if not value.isdigit() or len(value) > 20:
                raise _refused_name(archive, name, "a malformed pax size")
            size = int(value)
        pos += length
    return size


def _padded(size: int) -> int:
    return -(-size // _BLOCK) * _BLOCK


def _skip(stream: gzip.GzipFile, size: int) -> None:
    """Decompress past `size` bytes without keeping them."""
    while size > 0:
        chunk = stream.read(min(size, 1 << 20))
        if not chunk:
            return
        size -= len(chunk)


def _refused_name(archive: Path, name: str, reason: str) -> BadInput:
    return BadInput(f"refusing member {name!r}: {reason}", path=str(archive))


#: The checks on a member's header, in order: the first whose test holds gives the refusal
#: (its reason formatted with the member's `linkname`).
_REFUSALS: tuple[tuple[Callable[[tarfile.TarInfo, PurePosixPath], bool], str], ...] = (
    (lambda m, path: not path.parts or "\x00" in m.name, "an empty or malformed name"),
    (
        lambda m, _: len(m.name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES,
        f"a name longer than {MAX_NAME_BYTES} bytes",
    ),
    (
        lambda _, path: len(path.parts) > MAX_DEPTH,
        f"a path nested more than {MAX_DEPTH} levels deep",
    ),
    (lambda _, path: path.is_absolute(), "an absolute path"),
    (lambda _, path: ".." in path.parts, "a path that leaves the archive (..)"),
    (lambda m, _: m.issym(), "a symbolic link (to {linkname!r}); snapshots hold no links"),
    (lambda m, _: m.islnk(), "a hard link (to {linkname!r}); snapshots hold no links"),
    (lambda m, _: m.ischr() or m.isblk(), "a device node"),
    (lambda m, _: m.isfifo(), "a FIFO"),
    (lambda m, _: m.issparse(), "a sparse file; snapshots hold plain files"),
    (lambda m, _: not (m.isfile() or m.isdir()), "not a regular file or directory"),
)


def refusal(member: tarfile.TarInfo) -> str | None:
    """Why `member` may not be extracted, or None: a pure check on its header."""
    path = PurePosixPath(member.name)
    for test, reason in _REFUSALS:
        if test(member, path):
            return reason.format(linkname=member.linkname)
    return None


def _refused(archive: Path, member: tarfile.TarInfo, reason: str) -> BadInput:
    return BadInput(f"refusing member {member.name!r}: {reason}", path=str(archive))


def extract_plain(tar: tarfile.TarFile, members: list[tarfile.TarInfo], destination: Path) -> None:
    """Extraction without tarfile's filters, for checked members (files and directories with
    clean relative names): contents only, with this process's owner and default modes."""
    for member in members:
        target = destination.joinpath(*PurePosixPath(member.name).parts)
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(member)
        if source is None:
            continue
        with source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink)
