"""The fixed list of commands probes may run.

A snapshot records each one under its key, the argv joined by single spaces. Commands are never
built from data: a probe names a key from this table and nothing else.
"""

from __future__ import annotations

COMMANDS: dict[str, tuple[str, ...]] = {
    "npu-smi info": ("npu-smi", "info"),
    "rocm-smi": ("rocm-smi",),
    "amd-smi version": ("amd-smi", "version"),
    "hy-smi": ("hy-smi",),
    "nvidia-smi": ("nvidia-smi",),
    "cnmon": ("cnmon",),
}


def argv_for(key: str) -> tuple[str, ...]:
    try:
        return COMMANDS[key]
    except KeyError:
        raise ValueError(f"unknown command key {key!r}: add it to COMMANDS") from None
