"""Which distributions belong to the PyTorch stack, cheaply: `check` on every host scans every
distribution's `Requires-Dist` for them before anything heavier (PEP 508 parsing, marker
evaluation: chipdoctor/rules/requirements.py) is imported."""

from __future__ import annotations

import re
from collections.abc import Mapping

from chipdoctor.evidence.base import normalize_name

#: The stack's own distributions (PEP 503 names); NVIDIA's `nvidia-*-cu11/12/13` wheels too.
STACK_PACKAGES = frozenset(
    {
        "torch",
        "torchvision",
        "torchaudio",
        "torch-npu",
        "torch-mlu",
        "torch-musa",
        "triton",
        "triton-ascend",
        "pytorch-triton",
        "pytorch-triton-rocm",
    }
)
_CUDA_WHEEL = re.compile(r"^nvidia-[a-z0-9-]+-cu1[0-9]$")
#: A requirement's leading name (PEP 508: letters, digits, `.`, `_`, `-`).
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def required_name(line: str) -> str | None:
    """The PEP 503 name a `Requires-Dist` line starts with, without a PEP 508 parse; None for
    a line that starts with none."""
    match = _NAME.match(line)
    return normalize_name(match.group(1)) if match else None


def touches_stack(name: str) -> bool:
    return name in STACK_PACKAGES or _CUDA_WHEEL.match(name) is not None


def on_the_stack(
    requires: Mapping[str, tuple[str, ...]], packages: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """The requirement lines of installed distributions that name a stack package."""
    out: dict[str, tuple[str, ...]] = {}
    for requirer, lines in requires.items():
        if requirer not in packages:
            continue
        kept = tuple(line for line in lines if touches_stack(required_name(line) or ""))
        if kept:
            out[requirer] = kept
    return out


def requirers(requires: Mapping[str, tuple[str, ...]], name: str) -> list[str]:
    """The distributions (sorted) whose requirement lines name `name` (PEP 503 normalised)."""
    return sorted(
        requirer
        for requirer, lines in requires.items()
        if requirer != name and any(required_name(line) == name for line in lines)
    )
