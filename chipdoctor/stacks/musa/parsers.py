"""Parsers for what Moore Threads' tools and toolkit print: pure functions, text in, data out.

* ``mthreads-gmi`` without arguments prints a banner ``mthreads-gmi:2.2.0   Driver
  Version:3.0.0`` between dashed rules, then one block of three rows per GPU
  (``0    MTT S4000   |00000000:08:00.0    |0%    0MiB(49152MiB)``, then device type and
  ECC rows), each block closed by a ``+---+`` rule, and a ``Processes:`` table. Samples and
  their sources: ``tests/fixtures/mthreads_gmi/README.md``; facts: docs/matrix-sources/musa.md.
* The MUSA toolkit records its version in ``/usr/local/musa/version.json`` under
  ``"musa_toolkits": {"version": "5.1.0", …}``; ``musa_version_query`` prints the same object
  after a bare ``musa_toolkits:`` label, one such object per component.

Rows are split on ``|`` and read by cell, never by character column: the column widths differ
between tool versions (1.x and 2.x layouts). Nothing here raises on junk: it returns nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["GmiGpu", "GmiInfo", "parse_mthreads_gmi", "parse_toolkit_version"]

_ERROR_MAX_CHARS = 200
_VERSION = r"([0-9]+(?:\.[0-9]+)+(?:[-+_][0-9A-Za-z]+)*)"
_TOOL_RE = re.compile(r"\bmthreads-gmi:\s*" + _VERSION)
_DRIVER_RE = re.compile(r"\bDriver Version:\s*" + _VERSION)
# First cell of a GPU block: "0    MTT S4000" (index, then the name, which has spaces).
_GPU_RE = re.compile(r"([0-9]{1,4})\s+(\S(?:.*\S)?)")
_BUS_ID_RE = re.compile(r"[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]")
# Third cell: "0%    0MiB(49152MiB)" (utilisation, memory used and total).
_MEMORY_RE = re.compile(r"(?:[0-9]{1,3}%\s+)?([0-9]{1,9})MiB\(([0-9]{1,9})MiB\)")
# NOTE: MooreThreads/torch_musa benchmark/operator_benchmark/utils/sw_stack_detection.py reads
# the toolkit the same way: strip the `musa_toolkits:` label, then a JSON object.
_TOOLKIT_RE = re.compile(
    r"\"?musa_toolkits\"?\s*:\s*\{[^{}]*?\"version\"\s*:\s*\"([0-9]+(?:\.[0-9]+)+)\""
)


@dataclass(frozen=True)
class GmiGpu:
    """One GPU block of ``mthreads-gmi`` (its first row)."""

    index: int
    name: str  # e.g. "MTT S4000"
    bus_id: str  # "00000000:08:00.0"
    memory_used_mib: int | None
    memory_total_mib: int | None


@dataclass(frozen=True)
class GmiInfo:
    """What ``mthreads-gmi`` said: versions, GPUs, or the text it printed instead of a table."""

    tool_version: str | None  # "mthreads-gmi:2.2.0" -> "2.2.0"
    driver_version: str | None  # "Driver Version:3.3.5-server" -> "3.3.5-server"
    gpus: tuple[GmiGpu, ...]
    error: str | None  # first line of non-empty output that holds neither banner nor GPU


def _gpu(line: str) -> GmiGpu | None:
    cells = [cell.strip() for cell in line.split("|")]
    if len(cells) < 2:
        return None
    first = _GPU_RE.fullmatch(cells[0])
    if first is None or not _BUS_ID_RE.fullmatch(cells[1]):
        return None
    memory = _MEMORY_RE.fullmatch(cells[2]) if len(cells) > 2 else None
    return GmiGpu(
        index=int(first.group(1)),
        name=first.group(2),
        bus_id=cells[1],
        memory_used_mib=int(memory.group(1)) if memory else None,
        memory_total_mib=int(memory.group(2)) if memory else None,
    )


def parse_mthreads_gmi(text: str) -> GmiInfo:
    """Parse ``mthreads-gmi`` output; never raises.

    GPUs come only from rows whose second cell is a PCI bus id, before the ``Processes:`` table.
    ``error`` is the first non-empty line when the text has neither the banner nor a GPU row (a
    shell error, a driver message); None for empty text and for a table without GPUs.
    """
    lines = [line.strip() for line in text.splitlines()]
    tool: str | None = None
    driver: str | None = None
    gpus: list[GmiGpu] = []
    seen: set[int] = set()
    for line in lines:
        if line.startswith("Processes:"):
            break
        if tool is None and (match := _TOOL_RE.search(line)):
            tool = match.group(1)
            found = _DRIVER_RE.search(line)
            driver = found.group(1) if found else driver
            continue
        gpu = _gpu(line)
        if gpu is not None and gpu.index not in seen:
            seen.add(gpu.index)
            gpus.append(gpu)
    error: str | None = None
    if tool is None and not gpus:
        error = next((line[:_ERROR_MAX_CHARS] for line in lines if line), None)
    return GmiInfo(tool, driver, tuple(gpus), error)


def parse_toolkit_version(text: str) -> str | None:
    """The ``musa_toolkits`` version of a ``version.json`` or ``musa_version_query`` output."""
    match = _TOOLKIT_RE.search(text)
    return match.group(1) if match else None
