"""The component ids of the report contract (docs/contracts.md): the host's and PyTorch's
here, each stack's from its descriptor (chipdoctor/stacks/)."""

from __future__ import annotations

from collections.abc import Iterable

from chipdoctor.stacks import STACKS

HOST_COMPONENTS = ("python", "os", "arch", "glibc")
TORCH_COMPONENTS = ("torch", "torchvision", "torchaudio")

STACK_COMPONENTS: dict[str, tuple[str, ...]] = {
    name: stack.components for name, stack in STACKS.items()
}

ALL_COMPONENTS: frozenset[str] = frozenset(
    HOST_COMPONENTS + TORCH_COMPONENTS + tuple(c for ids in STACK_COMPONENTS.values() for c in ids)
)

#: What `fleet compare` wants equal on every node (docs/fleet.md): Python, the OS arch and torch
#: for every stack, and each stack's driver, firmware, toolkit, extension and collective library.
FLEET_EQUAL: frozenset[str] = frozenset(
    ("python", "arch", "torch", *(c for s in STACKS.values() for c in s.fleet_equal))
)

_ORDER = {
    cid: index
    for index, cid in enumerate(
        HOST_COMPONENTS
        + TORCH_COMPONENTS
        + tuple(c for ids in STACK_COMPONENTS.values() for c in ids)
    )
}


def display_order(ids: Iterable[str]) -> list[str]:
    """Component ids in report order (host, PyTorch, each stack's); ids chipdoctor does not
    know (a newer chipdoctor's report) after them, sorted."""
    return sorted(ids, key=lambda cid: (_ORDER.get(cid, len(_ORDER)), cid))
