"""The symptoms no finding explains: each becomes one `host.log-symptom` warning, so the user
knows the log was read, and what in it chipdoctor found no cause for on this machine, or which
fact of this machine contradicts it (then the log may come from another environment)."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from chipdoctor.i18n import T
from chipdoctor.model import (
    FACT_TORCH_BUILD_SOURCE,
    FACT_TORCH_CUDA,
    Finding,
    Inventory,
    Severity,
    Symptom,
)
from chipdoctor.symptoms.kinds import LIBRARY_MISSING, TORCH_NOT_CUDA
from chipdoctor.symptoms.signatures import LIBRARY_FINDINGS, SIGNATURES

FINDING = "host.log-symptom"
_EXPLAINS = {signature.kind: signature.explains for signature in SIGNATURES}


def unexplained(inventory: Inventory, findings: Sequence[Finding]) -> list[Finding]:
    """One warning per symptom that no finding in `findings` explains."""
    ids = [finding.id for finding in findings]
    out = []
    for symptom in inventory.symptoms:
        patterns = explains(symptom)
        if any(fnmatchcase(i, pattern) for i in ids for pattern in patterns):
            continue
        out.append(_warning(symptom, conflict(inventory, symptom)))
    return out


def explains(symptom: Symptom) -> tuple[str, ...]:
    """The finding ids (fnmatch patterns) that name a cause of `symptom`."""
    if symptom.kind == LIBRARY_MISSING:
        library = symptom.value("library")
        return next(
            (ids for stem, ids in LIBRARY_FINDINGS.items() if library.startswith(stem + ".")),
            (),
        )
    return _EXPLAINS.get(symptom.kind, ())


def conflict(inventory: Inventory, symptom: Symptom) -> str | None:
    """What this machine's facts say against `symptom`, or None."""
    if symptom.kind == TORCH_NOT_CUDA:
        torch = inventory.version("torch")
        cuda = inventory.facts.get(FACT_TORCH_CUDA)
        source = inventory.facts.get(FACT_TORCH_BUILD_SOURCE)
        if torch is not None and cuda and source:
            return T(
                "torch {torch} here is built for CUDA {cuda} ({source})",
                torch=torch,
                cuda=cuda,
                source=source,
            )
        if torch is not None and torch.partition("+")[2].lower().startswith("cu"):
            return T("torch {torch} here is a CUDA build", torch=torch)
    if symptom.kind == LIBRARY_MISSING:
        library = symptom.value("library").split(".so")[0] + ".so"
        for value in inventory.facts.values():
            if PurePosixPath(value).name.startswith(library):
                return T("this machine has {path}", path=value)
    return None


def _warning(symptom: Symptom, against: str | None) -> Finding:
    if against is None:
        message = T(
            "The log shows at line {line}: '{quote}'; this machine shows no cause chipdoctor "
            "knows for it.",
            line=symptom.line,
            quote=symptom.text,
        )
        fix = ""
    else:
        message = T(
            "The log shows at line {line}: '{quote}', but {conflict}: the log may come from "
            "another machine or environment than the one checked.",
            line=symptom.line,
            quote=symptom.text,
            conflict=against,
        )
        fix = T(
            "Check the environment the job ran in: run chipdoctor there, or with --python "
            "pointing at the job's interpreter."
        )
    return Finding(FINDING, Severity.WARNING, (), message, fix)
