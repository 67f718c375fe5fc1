"""`chipdoctor snapshot`: run every probe through a recorder and write what it read."""

from __future__ import annotations

from pathlib import Path

from chipdoctor.engine import ProbeObserver, collect
from chipdoctor.errors import BadInput
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, write_snapshot


def take_snapshot(
    directory: Path,
    *,
    python: str | None = None,
    timeout: float = 10.0,
    force: bool = False,
    observer: ProbeObserver | None = None,
) -> None:
    if directory.exists() and not directory.is_dir():
        raise BadInput("exists and is not a directory", path=str(directory))
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise BadInput("directory is not empty (use --force to write into it)", path=str(directory))
    host = HostEvidence(python=python, timeout=timeout)
    recorder = RecordingEvidence(host)
    collect(recorder, observer=observer)
    recorder.host_name()
    listed = {
        f"{path.rstrip('/')}/{entry}": host.is_dir(f"{path.rstrip('/')}/{entry}")
        for path, entries in recorder.recording.dirs.items()
        for entry in entries or []
    }
    try:
        write_snapshot(directory, recorder.recording, host.platform, host.python, is_dir=listed)
    except OSError as exc:
        raise BadInput(
            f"cannot write snapshot: {exc.strerror or exc}", path=str(directory)
        ) from None
