"""Snapshot archives: one `.tar.gz` holding a snapshot directory, for a vendor ticket.

Layout: the snapshot directory inside one top-level folder (`node7/snapshot.yaml`,
`node7/files/…`). Reading one back is reading untrusted input, so every member is checked
before anything is extracted: regular files and directories only (a snapshot never holds
links or devices), relative paths that stay inside the top folder, and caps on the number of
members and their total size. A bad member refuses the whole archive (exit 2).
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from chipdoctor.errors import BadInput
from chipdoctor.evidence.process import signals_held

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
MAX_MEMBERS = 50_000
MAX_TOTAL_BYTES = 256 << 20
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
    if not archive.name.endswith(ARCHIVE_SUFFIXES):
        raise BadInput("an archive name must end in .tar.gz or .tgz", path=str(archive))
    if archive.exists() and not force:
        raise BadInput("exists (use --force to replace it)", path=str(archive))
    top = directory.resolve().name or "snapshot"

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if not (info.isfile() or info.isdir()):
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    archive.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(
        dir=archive.parent, prefix=f".{archive.name}.", suffix=".part"
    )
    os.close(handle)
    try:
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(directory, arcname=top, recursive=True, filter=keep)
        Path(partial).chmod(0o666 & ~_umask())  # mkstemp makes it 0600
        Path(partial).replace(archive)
    except OSError as exc:
        raise BadInput(
            f"cannot write the archive: {exc.strerror or exc}", path=str(archive)
        ) from None
    finally:
        Path(partial).unlink(missing_ok=True)


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
    directory that is removed when the block ends."""
    if not is_archive(path):
        yield path
        return
    # NOTE: made and removed with signals held, so SIGINT/SIGTERM cannot leave it behind.
    scratch: str | None = None
    try:
        with signals_held():
            scratch = tempfile.mkdtemp(prefix="chipdoctor-snapshot-")
        yield extract(path, Path(scratch))
    finally:
        if scratch is not None:
            with signals_held():
                shutil.rmtree(scratch, ignore_errors=True)


def extract(archive: Path, destination: Path) -> Path:
    """Check every member of `archive`, extract it under `destination`, return the snapshot."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members, top = _checked_members(archive, tar)
            if HAS_DATA_FILTER:
                tar.extractall(destination, members=members, filter="data")
            else:
                extract_plain(tar, members, destination)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
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
    top: str | None = None
    total = 0
    while True:
        member = tar.next()
        if member is None:
            break
        if len(members) >= MAX_MEMBERS:
            raise _refused(archive, member, f"more than {MAX_MEMBERS} members")
        reason = refusal(member)
        if reason:
            raise _refused(archive, member, reason)
        first = PurePosixPath(member.name).parts[0]
        if top is None:
            top = first
        elif first != top:
            raise _refused(archive, member, f"outside the archive's one top-level folder {top!r}")
        total += member.size
        if total > MAX_TOTAL_BYTES:
            raise _refused(archive, member, f"the members exceed {MAX_TOTAL_BYTES >> 20} MiB")
        members.append(member)
    if top is None:
        raise BadInput("the archive is empty", path=str(archive))
    return members, top


def refusal(member: tarfile.TarInfo) -> str | None:
    """Why `member` may not be extracted, or None: a pure check on its header."""
    path = PurePosixPath(member.name)
    if not path.parts or "\x00" in member.name:
        return "an empty or malformed name"
    if path.is_absolute():
        return "an absolute path"
    if ".." in path.parts:
        return "a path that leaves the archive (..)"
    if member.issym():
        return f"a symbolic link (to {member.linkname!r}); snapshots hold no links"
    if member.islnk():
        return f"a hard link (to {member.linkname!r}); snapshots hold no links"
    if member.ischr() or member.isblk():
        return "a device node"
    if member.isfifo():
        return "a FIFO"
    if not (member.isfile() or member.isdir()):
        return "not a regular file or directory"
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
