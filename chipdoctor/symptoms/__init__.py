"""What a failed job's log says: the errors `check --log FILE` recognises in it.

Pure functions from text to `Symptom`s (chipdoctor/model.py): `reading` bounds and cleans the
log, `recognise` finds the messages of the one catalog of known failures (chipdoctor/smoke/
causes.py and the stacks' smoke.py, each entry beside the source of its text, shared with
`check --deep`), `judge` makes findings of the symptoms no finding explains. The rules read
the symptoms from `Inventory.symptoms` as one more input beside the machine's facts.

NOTE: this package imports nothing on its own: the rules import `kinds` alone, and the rest is
imported only when --log is given or the snapshot checked keeps a log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chipdoctor.evidence.base import Evidence
    from chipdoctor.model import Symptom


def recorded(evidence: Evidence) -> tuple[Symptom, ...]:
    """What the failed job's log a snapshot was taken with shows (`snapshot --log`): a check of
    that snapshot weighs it as the live `check --log` did; none for other evidence."""
    from chipdoctor.evidence.snapshot import SnapshotEvidence

    log = evidence.recorded_log() if isinstance(evidence, SnapshotEvidence) else None
    if log is None:
        return ()
    from chipdoctor.symptoms.recognise import recognise

    return recognise(log.lines, log.first)
