"""The registry of accelerator stacks: the one list everything that enumerates stacks derives
from (component ids, version schemes, snapshot commands, `--stack` choices, smoke backends,
the JSON schemas' enums via scripts/schemas.py).

Importing it loads each stack's descriptor (data only); a stack's probe, rules, resolver and
steps are imported when first asked for. Adding a stack: docs/adding-a-stack.md.
"""

from __future__ import annotations

from chipdoctor.errors import BadInput
from chipdoctor.stacks import ascend, cambricon, cuda, dcu, musa, rocm
from chipdoctor.stacks.interface import Stack

#: Every stack, in the order probes run and reports list them.
STACKS: dict[str, Stack] = {
    stack.name: stack
    for stack in (
        ascend.STACK,
        cambricon.STACK,
        dcu.STACK,
        rocm.STACK,
        cuda.STACK,
        musa.STACK,
    )
}


def get(name: str, option: str = "--stack") -> Stack:
    """The stack called `name`; an unknown name is bad input naming the known ones."""
    try:
        return STACKS[name]
    except KeyError:
        known = ", ".join(STACKS)
        raise BadInput(f"{option} {name}: not a stack chipdoctor knows ({known})") from None


def commands() -> dict[str, tuple[str, ...]]:
    """Every command a probe may run, by snapshot key."""
    return {key: argv for stack in STACKS.values() for key, argv in stack.commands.items()}
