"""The fixed list of commands probes may run.

A snapshot records each one under its key, the argv joined by single spaces. Commands are never
built from data: a probe names a key from this table and nothing else.
"""

from __future__ import annotations

from chipdoctor.stacks import commands

#: Each stack declares its own (chipdoctor/stacks/<name>/__init__.py).
COMMANDS: dict[str, tuple[str, ...]] = commands()


def argv_for(key: str) -> tuple[str, ...]:
    try:
        return COMMANDS[key]
    except KeyError:
        raise ValueError(f"unknown command key {key!r}: add it to its stack's `commands`") from None
