"""The component ids of the report contract (docs/contracts.md): the host's and PyTorch's
here, each stack's from its descriptor (chipdoctor/stacks/)."""

from __future__ import annotations

from chipdoctor.stacks import STACKS

HOST_COMPONENTS = ("python", "os", "arch", "glibc")
TORCH_COMPONENTS = ("torch", "torchvision", "torchaudio")

STACK_COMPONENTS: dict[str, tuple[str, ...]] = {
    name: stack.components for name, stack in STACKS.items()
}

ALL_COMPONENTS: frozenset[str] = frozenset(
    HOST_COMPONENTS + TORCH_COMPONENTS + tuple(c for ids in STACK_COMPONENTS.values() for c in ids)
)
