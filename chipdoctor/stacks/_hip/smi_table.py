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
from dataclasses import dataclass, field
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


@dataclass
class _Reader:
    """The parser's state from line to line: where in the table it is and what it has read."""

    label: Optional[str] = None
    mode_column: bool = False
    names_follow: bool = False
    in_rows: bool = False
    done: bool = False
    devices: list[SmiDevice] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    driver: Optional[str] = None
    error_line: Optional[str] = None

    def read(self, line: str) -> None:
        if self._anywhere(line) or self.done:
            return
        if self.label is None:
            self._header(line)
        else:
            self._table(line)

    def _anywhere(self, line: str) -> bool:
        """Warnings, the driver line and error lines count wherever they appear; True when used."""
        warning = _WARNING_RE.match(line)
        if warning:
            self.warnings.append(_truncate(warning.group(1)))
            return True
        driver_match = _DRIVER_RE.match(line)
        if driver_match and self.driver is None:
            self.driver = driver_match.group(1)
            return True
        if self.error_line is None and _ERROR_RE.match(line):
            self.error_line = _truncate(line)
        return False

    def _header(self, line: str) -> None:
        header = _HEADER_RE.match(line)
        if header:
            self.label = header.group(1)
            self.mode_column = line.rsplit(maxsplit=1)[-1] == "Mode"

    def _table(self, line: str) -> None:
        if _RULE_RE.match(line) or "End of" in line:
            if self.devices:
                self.done = True
            self.in_rows = True
            return
        row = _ROW_RE.match(line)
        if row:
            self.devices.append(_device(int(row.group(1)), row.group(2), self.mode_column))
            self.in_rows = True
            return
        self._name(line.strip())

    def _name(self, stripped: str) -> None:
        if not stripped:
            return
        if not self.in_rows and stripped.startswith("Name"):
            # NOTE: ROCm 6.0/6.1 print "Name (20 chars)" under the header and the marketing
            # name indented under each row (stas00/ml-engineering, 8x MI300X).
            self.names_follow = True
        elif self.in_rows and self.names_follow and self.devices and self.devices[-1].name is None:
            last = self.devices[-1]
            self.devices[-1] = SmiDevice(last.index, stripped, last.device_id, last.mode)

    def error(self, lines: list[str]) -> Optional[str]:
        """The error line when no device was read, else text that holds no table at all."""
        if self.devices:
            return None
        if self.error_line is not None:
            return self.error_line
        if self.label is not None:
            return None
        first = next((line for line in lines if line.strip()), None)
        if first is not None and self.driver is None and not self.warnings:
            return _truncate(first)
        return None


def parse_smi_table(text: str) -> SmiTable:
    """Parse ``rocm-smi`` / ``hy-smi`` default output; never raises.

    Devices come from the rows between the header and the next ``=`` rule. ``error`` is the
    first ``ERROR``/``failed`` line when no device row was read, or the first non-empty line
    of text that holds no table at all (``bash: hy-smi: command not found``); it is None for
    empty input and for a table without rows (see ``warnings`` for why it is empty).
    """
    lines = text.splitlines()
    reader = _Reader()
    for line in lines:
        reader.read(line)
    return SmiTable(
        reader.label,
        tuple(reader.devices),
        tuple(reader.warnings),
        reader.driver,
        reader.error(lines),
    )
