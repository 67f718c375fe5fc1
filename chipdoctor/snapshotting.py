"""`chipdoctor snapshot`: run every probe through a recorder and write what it read, of this
machine or of an image as it would run here (`--image`).

Snapshots travel (vendor tickets, bug reports), so every string the recording holds is
redacted before anything is written: environment values, recorded paths, command outputs and
errors, text file copies (`evidence.redact.scrub`), by pattern and by the values of the
variables whose names say they are secret.

`--force` writes into a directory that may hold anything, links planted by someone else
included. So the snapshot is first written into a fresh private directory inside DIR and
then moved into place entry by entry, with each path opened relative to its parent without
following links: a link found where a directory or a file goes is replaced, never written
through.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from chipdoctor.engine import ProbeObserver, collect
from chipdoctor.errors import BadInput
from chipdoctor.evidence.base import Evidence
from chipdoctor.evidence.redact import known_secrets, scrub
from chipdoctor.evidence.snapshot import RecordingEvidence, write_snapshot

if TYPE_CHECKING:
    from chipdoctor.symptoms.reading import Log

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Recordable(Evidence, Protocol):
    """Evidence a snapshot can be taken of: this machine, or an image as it would run here."""

    def is_dir(self, path: str) -> bool: ...

    def environment(self) -> dict[str, str]: ...


def take_snapshot(
    directory: Path,
    evidence: Recordable,
    *,
    force: bool = False,
    observer: ProbeObserver | None = None,
    log: Log | None = None,
) -> None:
    """`log`: the failed job's log (`snapshot --log`), kept with the snapshot, redacted like
    everything else, so `check --snapshot` weighs it as `check --log` did here."""
    if directory.exists() and not directory.is_dir():
        raise BadInput("exists and is not a directory", path=str(directory))
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise BadInput("directory is not empty (use --force to write into it)", path=str(directory))
    recorder = RecordingEvidence(evidence)
    collect(recorder, observer=observer)
    recorder.recording.log = log
    recorder.host_name()
    listed = {
        f"{path.rstrip('/')}/{entry}": evidence.is_dir(f"{path.rstrip('/')}/{entry}")
        for path, entries in recorder.recording.dirs.items()
        for entry in entries or []
    }
    # this process's environment too: the host's tools ran for an image's snapshot
    secrets = known_secrets(evidence.environment()) | known_secrets(os.environ)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".chipdoctor-", dir=directory))
        try:
            write_snapshot(
                staging,
                scrub(recorder.recording, secrets),
                scrub(evidence.platform, secrets),
                scrub(evidence.python, secrets),
                is_dir=scrub(listed, secrets),
            )
            _move_into(staging, directory)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise BadInput(
            f"cannot write snapshot: {exc.strerror or exc}", path=str(directory)
        ) from None


def _move_into(staging: Path, directory: Path) -> None:
    """Every entry of `staging` into `directory`, whatever `directory` held, links unfollowed."""
    source = os.open(staging, _DIRECTORY)
    try:
        target = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            _move_entries(source, target, directory)
        finally:
            os.close(target)
    finally:
        os.close(source)


def _move_entries(source: int, target: int, where: Path) -> None:
    for entry in sorted(os.listdir(source)):
        info = os.lstat(entry, dir_fd=source)
        if stat.S_ISDIR(info.st_mode):
            child_source = os.open(entry, _DIRECTORY, dir_fd=source)
            try:
                child_target = _open_directory(target, entry)
                try:
                    _move_entries(child_source, child_target, where / entry)
                finally:
                    os.close(child_target)
            finally:
                os.close(child_source)
        else:
            existing = _lstat(target, entry)
            if existing is not None and stat.S_ISDIR(existing.st_mode):
                raise BadInput(
                    "is a directory where the snapshot writes a file", path=str(where / entry)
                )
            # A rename replaces a link (or anything else) at the name itself, never its target.
            os.rename(entry, entry, src_dir_fd=source, dst_dir_fd=target)


def _open_directory(parent: int, name: str) -> int:
    """The directory `name` under `parent`, made a real one if a link or a file is there."""
    try:
        return os.open(name, _DIRECTORY, dir_fd=parent)
    except FileNotFoundError:
        pass
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        os.unlink(name, dir_fd=parent)  # a link or a file: removed, not followed
    os.mkdir(name, dir_fd=parent)
    return os.open(name, _DIRECTORY, dir_fd=parent)


def _lstat(parent: int, name: str) -> os.stat_result | None:
    try:
        return os.lstat(name, dir_fd=parent)
    except FileNotFoundError:
        return None
