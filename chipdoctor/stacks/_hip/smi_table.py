"""Parser for the concise device table of ``rocm-smi`` and of Hygon's ``hy-smi``.

Both tools descend from AMD's ``rocm_smi.py`` and print the same kind of table: a banner of
``=`` lines, one header row, optional sub-header rows, one row per device whose first cell is
the device index, and an ``End of ... SMI Log`` footer (samples and sources:
``tests/fixtures/rocm_smi/SOURCES.md`` and ``tests/fixtures/hy_smi/SOURCES.md``). The columns
moved between releases, so rows are read by position only where the meaning is certain:

* ROCm 1.x-5.x: ``GPU  Temp  AvgPwr ...`` (leading spaces in ROCm 1.9, ``Temp (DieEdge)`` later);
* ROCm 6.0/6.1: ``Device  [Model : Revision] ...`` with the marketing name on a second line;
* ROCm 6.1+: ``Device  Node  IDs ...`` with a ``(DID, GUID)`` sub-header and no name;
* Hygon DTK 23.10 ``rocm-smi``: ``DCU  Temp ...``; ``hy-smi``: ``HCU  Temp ... Mode``.

The parser is pure and never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

__all__ = ["SmiDevice", "SmiTable", "parse_smi_table"]

_ERROR_MAX_CHARS = 200
#: The first header cell names the device column: GPU (ROCm <= 5), Device (ROCm 6+),
#: DCU (Hygon DTK rocm-smi) or HCU (hy-smi).
_HEADER_RE = re.compile(r"^\s*(GPU|Device|DCU|HCU)\s+(?=.*\bTemp\b)(.*)$")
_ROW_RE = re.compile(r"^\s*(\d{1,6})\s+(\S.*?)\s*$")
_RULE_RE = re.compile(r"^\s*=+\s*$")
_DEVICE_ID_RE = re.compile(r"\b(0x[0-9A-Fa-f]{4})\b")
# NOTE: rocm_smi.py exits 0 after logging "Driver not initialized (amdgpu not found in modules)"
# (ROCm/rocm_smi_lib python_smi_tools/rocm_smi.py initializeRsmi), so the text decides.
_ERROR_RE = re.compile(r"^\s*(?:ERROR\b|Error\b|.*\bcommand not found\b|.*\bfailed\b)", re.I)
_WARNING_RE = re.compile(r"^\s*(?:GPU\[\d+\]\s*:\s*)?WARNING:\s*(.*\S)", re.I)
_DRIVER_RE = re.compile(r"^\s*Driver version:\s*(\S+)", re.I)


@dataclass(frozen=True)
class SmiDevice:
    """One device row of the concise table."""

    index: int
    name: Optional[str]  # the marketing name, printed only by the ROCm 6.0/6.1 layout
    device_id: Optional[str]  # PCI device id such as "0x74a1", where a column prints it
    mode: Optional[str]  # hy-smi's "Mode" column ("Normal"), a performance setting


@dataclass(frozen=True)
class SmiTable:
    """What the tool printed: its device label, devices, warnings, or the failure instead."""

    label: Optional[str]  # "GPU", "Device", "DCU" or "HCU"; None when no table was printed
    devices: tuple[SmiDevice, ...]
    warnings: tuple[str, ...]  # e.g. "No AMD GPUs specified"
    driver_version: Optional[str]  # a "Driver version:" line, when the output has one
    error: Optional[str]


def _truncate(line: str) -> str:
    return line.strip()[:_ERROR_MAX_CHARS]


def _device(index: int, rest: str, mode_column: bool) -> SmiDevice:
    cells = rest.split()
    device_id = _DEVICE_ID_RE.search(rest)
    mode = cells[-1] if mode_column and cells and cells[-1].isalpha() else None
    return SmiDevice(index, None, device_id.group(1) if device_id else None, mode)


def parse_smi_table(text: str) -> SmiTable:
    """Parse ``rocm-smi`` / ``hy-smi`` default output; never raises.

    Devices come from the rows between the header and the next ``=`` rule. ``error`` is the
    first ``ERROR``/``failed`` line when no device row was read, or the first non-empty line
    of text that holds no table at all (``bash: hy-smi: command not found``); it is None for
    empty input and for a table without rows (see ``warnings`` for why it is empty).
    """
    lines = text.splitlines()
    label: Optional[str] = None
    mode_column = False
    names_follow = False
    in_rows = False
    done = False
    devices: list[SmiDevice] = []
    warnings: list[str] = []
    driver: Optional[str] = None
    error_line: Optional[str] = None
    for line in lines:
        warning = _WARNING_RE.match(line)
        if warning:
            warnings.append(_truncate(warning.group(1)))
            continue
        driver_match = _DRIVER_RE.match(line)
        if driver_match and driver is None:
            driver = driver_match.group(1)
            continue
        if error_line is None and _ERROR_RE.match(line):
            error_line = _truncate(line)
        if done:
            continue
        header = _HEADER_RE.match(line) if label is None else None
        if header:
            label = header.group(1)
            mode_column = line.split()[-1] == "Mode"
            continue
        if label is None:
            continue
        if _RULE_RE.match(line) or "End of" in line:
            if devices:
                done = True
            in_rows = True
            continue
        row = _ROW_RE.match(line)
        if row:
            devices.append(_device(int(row.group(1)), row.group(2), mode_column))
            in_rows = True
            continue
        stripped = line.strip()
        if not stripped:
            continue
        if not in_rows and stripped.startswith("Name"):
            # NOTE: ROCm 6.0/6.1 print "Name (20 chars)" under the header and the marketing
            # name indented under each row (stas00/ml-engineering, 8x MI300X).
            names_follow = True
        elif in_rows and names_follow and devices and devices[-1].name is None:
            last = devices[-1]
            devices[-1] = SmiDevice(last.index, stripped, last.device_id, last.mode)
    error = None
    if not devices:
        if error_line is not None:
            error = error_line
        elif label is None:
            first = next((line for line in lines if line.strip()), None)
            if first is not None and driver is None and not warnings:
                error = _truncate(first)
    return SmiTable(label, tuple(devices), tuple(warnings), driver, error)
