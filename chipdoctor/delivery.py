"""Where a rendered report goes besides stdout: `--output FILE` and the GitHub job summary.

`--output` never overwrites without `--force` and never leaves a half-written file: the text
goes to a temporary file beside the target, which is then linked (no `--force`: fails if the
target appeared meanwhile) or renamed (`--force`) into place.

Even with `--force`, only a regular file is ever replaced: a rename over a device node, a FIFO,
a socket or a symbolic link would swap the node itself (run as root, `--output /dev/null
--force` used to leave a regular file where /dev/null was). The target is looked at with
`lstat` (a link is never followed), once before the check runs and again just before the
rename.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from chipdoctor.errors import BadInput

#: What `lstat` may find at a target that `--force` is allowed to replace: a regular file.
_KINDS = {
    stat.S_IFDIR: "is a directory",
    stat.S_IFCHR: "is a character device",
    stat.S_IFBLK: "is a block device",
    stat.S_IFIFO: "is a FIFO",
    stat.S_IFSOCK: "is a socket",
    stat.S_IFLNK: "is a symbolic link",
}


def ensure_writable(path: Path, *, force: bool) -> None:
    """Refuse an `--output` target before the check runs, so a bad path costs nothing."""
    name = str(path)
    _check_name(path)
    existing = _lstat(path)
    if existing is not None:
        _refuse_special(path, existing.st_mode)
        if not force:
            raise BadInput("already exists (use --force to overwrite it)", path=name)
    parent = path.parent
    if not parent.is_dir():
        raise BadInput(f"cannot write: directory {str(parent)!r} does not exist", path=name)


def _check_name(path: Path) -> None:
    """A name longer than the file system allows is bad input, not an internal error."""
    limit = 255  # NAME_MAX of Linux file systems (limits.h)
    if path.parent.is_dir():
        with contextlib.suppress(OSError, ValueError):
            limit = os.pathconf(path.parent, "PC_NAME_MAX")
    if len(os.fsencode(path.name)) > limit:
        raise BadInput(
            f"cannot write: the file name is longer than {limit} bytes", path=_short(path)
        )


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            return None  # the parent check names what is wrong
        raise BadInput(f"cannot write: {_reason(exc)}", path=_short(path)) from None


def _refuse_special(path: Path, mode: int) -> None:
    kind = stat.S_IFMT(mode)
    if kind != stat.S_IFREG:
        what = _KINDS.get(kind, "is not a regular file")
        raise BadInput(f"{what}: only a regular file is ever replaced", path=str(path))


def _short(path: Path) -> str:
    """The path for a one-line error, its over-long name cut."""
    text = str(path)
    return text if len(text) <= 200 else text[:120] + "…" + text[-40:]


def write_report(path: Path, text: str, *, force: bool) -> None:
    write_atomic(path, text.encode("utf-8"), force=force)


def write_atomic(path: Path, data: bytes, *, force: bool, mode: int | None = None) -> None:
    """Write `data` at `path` whole or not at all; `mode` None honours the umask."""
    ensure_writable(path, force=force)
    name = str(path)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise BadInput(f"cannot write: {_reason(exc)}", path=_short(path)) from None
    staged = Path(temporary)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:
            # mkstemp makes the file 0600; an ordinary file honours the umask.
            umask = os.umask(0o022)
            os.umask(umask)
            mode = 0o666 & ~umask
        staged.chmod(mode)
        place(staged, path, force=force)
    except OSError as exc:
        raise BadInput(f"cannot write: {_reason(exc)}", path=name) from None
    finally:
        staged.unlink(missing_ok=True)


def place(staged: Path, path: Path, *, force: bool) -> None:
    """Move a finished file from `staged` (beside `path`) to `path`: over a regular file only,
    and only with `force`; anything else there is refused, checked again at the last moment."""
    if force:
        existing = _lstat(path)
        if existing is not None:
            _refuse_special(path, existing.st_mode)
        staged.replace(path)
    else:
        _link_new(staged, path)


def _link_new(temporary: Path, path: Path) -> None:
    """Put `temporary` at `path` only if nothing is there, without a check-then-write race."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise BadInput("already exists (use --force to overwrite it)", path=str(path)) from None
    except OSError:
        # NOTE: some file systems (FAT, some FUSE mounts) have no hard links; fall back to a
        # rename after one more check.
        if path.exists() or path.is_symlink():
            raise BadInput("already exists (use --force to overwrite it)", path=str(path)) from None
        temporary.replace(path)


def append_step_summary(markdown: str, env: Mapping[str, str]) -> None:
    """Append to the file GitHub Actions names in GITHUB_STEP_SUMMARY, when it is set."""
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(markdown)
    except OSError as exc:
        raise BadInput(f"cannot append the job summary: {_reason(exc)}", path=target) from None


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()
