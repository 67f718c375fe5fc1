"""Symptoms no finding explains become findings of their own: the catalog entry's finding where
it names one (an error: the log alone shows the job failed so), else one `host.log-symptom`
warning, so the user knows the log was read and what chipdoctor makes of each line. Where a
fact of this machine contradicts the log, never an error: a warning that says what conflicts
(the log may come from another environment)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from chipdoctor.i18n import T
from chipdoctor.model import (
    FACT_TORCH_BUILD_SOURCE,
    FACT_TORCH_CUDA,
    FACT_TORCH_HIP,
    Finding,
    Inventory,
    Severity,
    Symptom,
)
from chipdoctor.smoke.causes import Diagnosis, context_of, fill
from chipdoctor.symptoms.kinds import LIBRARY_MISSING, TORCH_CUDA_CALL, TORCH_NOT_CUDA

FINDING = "host.log-symptom"


def unexplained(inventory: Inventory, findings: Sequence[Finding]) -> list[Finding]:
    """A finding for each symptom that none of `findings` explains (one per finding id, but
    every `host.log-symptom`)."""
    ids = [finding.id for finding in findings]
    context = context_of(inventory)
    out: list[Finding] = []
    for symptom in inventory.symptoms:
        if symptom.failure is None:
            continue
        if symptom.failure.stacks and not set(symptom.failure.stacks) & set(inventory.stacks):
            out.append(_unknown(symptom))  # its cause holds on other stacks than this host's
            continue
        diagnosis = fill(symptom.failure, dict(symptom.values), context=context, finding_ids=ids)
        if diagnosis.related:
            continue
        finding = _finding(symptom, diagnosis, conflict(inventory, symptom))
        if finding.id == FINDING or finding.id not in {f.id for f in out}:
            out.append(finding)
    return out


def conflict(inventory: Inventory, symptom: Symptom) -> str | None:
    """What this machine's facts say against `symptom`, or None."""
    if symptom.kind in (TORCH_NOT_CUDA, TORCH_CUDA_CALL) and inventory.version("torch") is None:
        # NOTE: often chipdoctor's own interpreter was checked, not the job's
        return T("torch is not installed in the Python environment checked")
    if symptom.kind == TORCH_NOT_CUDA:
        return _gpu_torch(inventory)
    library = symptom.value("library")
    if symptom.kind == LIBRARY_MISSING and library:
        stem = library.split(".so")[0] + ".so"
        for value in inventory.facts.values():
            if PurePosixPath(value).name.startswith(stem):
                return T("this machine has {path}", path=value)
    return None


def _gpu_torch(inventory: Inventory) -> str | None:
    """What says this machine's torch is a GPU build, which never raises "Torch not compiled with
    CUDA enabled": its torch/version.py, else its local tag. A ROCm build counts: it answers
    through torch.cuda (https://pytorch.org/docs/stable/notes/hip.html: "PyTorch for HIP
    intentionally reuses the existing torch.cuda interfaces")."""
    torch = inventory.version("torch")
    if torch is None:
        return None
    facts = inventory.facts
    source = facts.get(FACT_TORCH_BUILD_SOURCE)
    cuda, hip = facts.get(FACT_TORCH_CUDA), facts.get(FACT_TORCH_HIP)
    if source and cuda:
        return T(
            "torch {torch} here is built for CUDA {cuda} ({source})",
            torch=torch,
            cuda=cuda,
            source=source,
        )
    if source and hip:
        return T(
            "torch {torch} here is built for HIP {hip} ({source})",
            torch=torch,
            hip=hip,
            source=source,
        )
    local = torch.partition("+")[2].lower()
    if local.startswith("cu"):
        return T("torch {torch} here is a CUDA build", torch=torch)
    if local.startswith("rocm"):
        return T("torch {torch} here is a ROCm build", torch=torch)
    return None


def _finding(symptom: Symptom, diagnosis: Diagnosis, against: str | None) -> Finding:
    assert symptom.failure is not None
    if against is not None:
        return Finding(
            FINDING,
            Severity.WARNING,
            (),
            T(
                "The log shows at line {line}: '{quote}' ({cause}), but {conflict}: the log may "
                "come from another machine or environment than the one checked.",
                line=symptom.line,
                quote=symptom.text,
                cause=diagnosis.cause,
                conflict=against,
            ),
            T(
                "Check the environment the job ran in: run chipdoctor there, or with --python "
                "pointing at the job's interpreter."
            ),
        )
    if symptom.failure.finding:
        return Finding(
            symptom.failure.finding,
            Severity.ERROR,
            (),
            T(
                "The log shows at line {line}: '{quote}': {cause}.",
                line=symptom.line,
                quote=symptom.text,
                cause=diagnosis.cause,
            ),
            diagnosis.fix,
        )
    return Finding(
        FINDING,
        Severity.WARNING,
        (),
        T(
            "The log shows at line {line}: '{quote}' (likely: {cause}); no fact chipdoctor "
            "read of this machine shows the cause.",
            line=symptom.line,
            quote=symptom.text,
            cause=diagnosis.cause,
        ),
        diagnosis.fix,
    )


def _unknown(symptom: Symptom) -> Finding:
    return Finding(
        FINDING,
        Severity.WARNING,
        (),
        T(
            "The log shows at line {line}: '{quote}'; this machine shows no cause chipdoctor "
            "knows for it.",
            line=symptom.line,
            quote=symptom.text,
        ),
    )
