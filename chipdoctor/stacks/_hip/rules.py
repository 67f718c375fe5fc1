"""What a torch build targets, for the two HIP stacks (AMD ROCm and Hygon DTK).

Both stacks read the same evidence: the wheel's local tag (``+rocm6.2.4``,
``+das.opt1.dtk2604``) and the ``hip`` / ``rocm`` / ``cuda`` values of torch/version.py that the
host probe records. Keeping the reading in one place keeps the two rule sets consistent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chipdoctor.i18n import T
from chipdoctor.model import (
    FACT_TORCH_BUILD_SOURCE,
    FACT_TORCH_CUDA,
    FACT_TORCH_HIP,
    FACT_TORCH_ROCM,
)
from chipdoctor.stacks._hip.rocm_versions import (
    dtk_from_torch,
    is_dtk_build,
    rocm_from_hip,
    rocm_from_torch,
)

ROCM = "rocm"
DTK = "dtk"
CUDA = "cuda"
CPU = "cpu"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class TorchBuild:
    kind: str  # ROCM, DTK, CUDA, CPU or UNKNOWN
    target: str | None  # the ROCm ("6.2.4", "6.2") or DTK ("26.04") release it is built for
    evidence: str  # how we know, for messages


def classify_torch(torch: str, facts: Mapping[str, str]) -> TorchBuild:
    """Read the build from the version's local tag first, then from torch/version.py."""
    local = torch.split("+", 1)[1].lower() if "+" in torch else ""
    tag = T("the local tag of torch {torch}", torch=torch)
    tagged = _from_tag(torch, tag)
    if tagged is not None:
        return tagged
    recorded = _from_version_py(torch, local, facts)
    if recorded is not None:
        return recorded
    if local.startswith("cpu"):
        return TorchBuild(CPU, None, tag)
    if FACT_TORCH_BUILD_SOURCE in facts:
        source = facts[FACT_TORCH_BUILD_SOURCE]
        return TorchBuild(CPU, None, T("neither hip nor cuda is set in {source}", source=source))
    return TorchBuild(UNKNOWN, None, f"torch {torch}")


def _from_tag(torch: str, tag: str) -> TorchBuild | None:
    """A DTK or ROCm build named by the local tag (``+das.opt1.dtk2604``, ``+rocm6.2.4``)."""
    if is_dtk_build(torch):
        return TorchBuild(DTK, dtk_from_torch(torch), tag)
    tagged = rocm_from_torch(torch)
    if tagged:
        return TorchBuild(ROCM, tagged, tag)
    return None


def _from_version_py(torch: str, local: str, facts: Mapping[str, str]) -> TorchBuild | None:
    """A ROCm or CUDA build named by torch/version.py's ``hip`` / ``cuda`` values."""
    source = facts.get(FACT_TORCH_BUILD_SOURCE, "torch/version.py")
    hip = facts.get(FACT_TORCH_HIP)
    if hip:
        # NOTE: AMD's TheRock builds also record `rocm` ('10.0.0') beside `hip` ('7.15.26333').
        target = facts.get(FACT_TORCH_ROCM) or rocm_from_hip(hip)
        return TorchBuild(ROCM, target, T("hip = {hip!r} in {source}", hip=hip, source=source))
    if local.startswith("cu") or facts.get(FACT_TORCH_CUDA):
        cuda = facts.get(FACT_TORCH_CUDA)
        how = (
            T("cuda = {cuda!r} in {source}", cuda=cuda, source=source) if cuda else f"torch {torch}"
        )
        return TorchBuild(CUDA, cuda, how)
    return None
