"""Where a command looks: this machine, a snapshot (directory or archive) or an image."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from chipdoctor.errors import BadInput

if TYPE_CHECKING:
    from chipdoctor.evidence.base import Evidence
    from chipdoctor.evidence.combined import ImageOnHostEvidence
    from chipdoctor.model import Report, Symptom


def evidence_for(
    snapshot: Optional[Path],
    python: Optional[str],
    timeout: float,
    scope: contextlib.ExitStack,
    *,
    image: Optional[str] = None,
) -> Evidence:
    """Where to look; an archive given to --snapshot is extracted for as long as `scope` lasts,
    an image's container exists as long as it does."""
    if image is not None:
        if snapshot is not None or python is not None:
            raise BadInput("--image cannot be combined with --snapshot or --python")
        return image_evidence(image, timeout, scope)
    if snapshot is not None:
        if python is not None:
            raise BadInput("--python and --snapshot cannot be combined")
        from chipdoctor.evidence.archive import snapshot_directory
        from chipdoctor.evidence.snapshot import SnapshotEvidence

        return SnapshotEvidence(scope.enter_context(snapshot_directory(snapshot)))
    from chipdoctor.evidence.host import HostEvidence

    return HostEvidence(python=python, timeout=timeout)


def interpreter(python: Optional[str]) -> Optional[str]:
    """What `--python` names: an interpreter, or a virtualenv directory for its `bin/python`
    (README: "inspect another interpreter or virtualenv")."""
    if python is None or not Path(python).is_dir():
        return python
    for name in ("bin/python", "bin/python3", "Scripts/python.exe"):
        candidate = Path(python) / name
        if candidate.is_file():
            return str(candidate)
    raise BadInput(
        "a directory without bin/python: not an interpreter or a virtualenv", path=python
    )


def log_symptoms(path: str) -> tuple[Symptom, ...]:
    """What the failed job's log shows (`--log`); read before anything is probed, so an
    unreadable log is exit 2 at once."""
    from chipdoctor.symptoms.reading import read_log
    from chipdoctor.symptoms.recognise import recognise

    log = read_log(path)
    return recognise(log.lines, log.first)


def note_ignored_keys(evidence: Evidence, report: Report) -> None:
    """A /3 snapshot's keys this chipdoctor does not know are ignored, and the table says so."""
    from chipdoctor.evidence.snapshot import SnapshotEvidence
    from chipdoctor.i18n import T
    from chipdoctor.model import NOTE_PREFIX

    if isinstance(evidence, SnapshotEvidence) and evidence.ignored:
        report.inventory.facts[f"{NOTE_PREFIX}snapshot-keys"] = T(
            "This snapshot has keys this chipdoctor does not know ({keys}): a newer "
            "chipdoctor wrote it, and they were ignored.",
            keys=", ".join(evidence.ignored),
        )


def image_evidence(image: str, timeout: float, scope: contextlib.ExitStack) -> ImageOnHostEvidence:
    """The image's files and Python, with the host paths its `docker run` line mounts."""
    from chipdoctor.container.engine import connect
    from chipdoctor.evidence.combined import ImageOnHostEvidence
    from chipdoctor.evidence.host import HostEvidence
    from chipdoctor.evidence.image import ImageEvidence
    from chipdoctor.recipes.data import mounts

    client = connect()
    scope.callback(client.close)
    inner = scope.enter_context(ImageEvidence(client, image))
    volumes = [pair for layout in mounts().values() for pair in layout.host_paths()]
    devices = [device for layout in mounts().values() for device in layout.devices]
    return ImageOnHostEvidence(inner, HostEvidence(timeout=timeout), volumes, devices)
