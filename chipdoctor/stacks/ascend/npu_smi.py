"""Parser for the human-readable table printed by Huawei's ``npu-smi info``.

``npu-smi`` has no machine-readable mode that every driver generation supports, so the table
itself is the evidence. Its layout moved between releases (samples and sources:
``tests/fixtures/npu_smi/SOURCES.md``, facts: ``shared/reference/ascend.md`` section 4):

* 80 to 116 characters wide depending on the driver (21.x ... 26.0.rc2) and chip family;
* a second header row of ``Chip``, ``Chip  Phy-ID`` (A3) or ``Chip    Device`` (310/310P);
* two rows per chip, with ``+----+`` lines between the dies of one NPU (A3, 310P Duo);
* a process table after the device table whose rows look like chip rows;
* README pastes that indent the whole table or strip its first border.

So rows are split on ``|`` and read by cell position, never by character column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

__all__ = ["NpuChip", "NpuSmiInfo", "parse_npu_smi_info"]

_ERROR_MAX_CHARS = 200

# The banner: "| npu-smi 23.0.rc3.3              Version: 23.0.rc3.3   |".
# NOTE: the tool and driver versions can differ ("npu-smi 22.0.2 ... Version: 22.0.4",
# Ascend/ModelZoo-PyTorch DBNet_MobileNetV3 README) and some READMEs drop the space after the
# colon ("Version:22.0.2", Ascend/ModelZoo-PyTorch FasterRCNN-DCN readme).
_TOOL_RE = re.compile(r"npu-smi\s+([0-9][^\s|]*)")
_DRIVER_RE = re.compile(r"\bVersion:\s*([0-9][^\s|]*)")
# First row of a chip: "0     910B1" | "OK" | ... The health cell must be a word, which keeps
# process rows ("0       0" | "576489" | ...) out.
# NOTE: the name alone cannot tell the rows apart: Ascend 310 prints "0       310" on the first
# row and "0       0" on the second (Ascend/mindxsdk-referenceapps StyleTransfer README).
_FIRST_ROW_ID_RE = re.compile(r"([0-9]{1,9})\s+(\S(?:.*\S)?)")
_HEALTH_RE = re.compile(r"[A-Za-z][A-Za-z ]*")
# Second row: "0" or "0     1" (A3 Chip/Phy-ID, 310P Chip/Device) | bus id or "NA" | ...
_SECOND_ROW_ID_RE = re.compile(r"([0-9]{1,9})(?:\s+([0-9]{1,9}))?")
_BUS_ID_RE = re.compile(r"[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]")
# NOTE: failures seen in containers (ascend.md section 4.8): vllm-project/vllm-ascend#2698
# prints "dcmi module initialize failed. ret is -8005", Ascend/cann-container-image#46 prints
# "dcmi model initialized failed, because the device is used. ret is -8020"; both are
# preceded by "DrvMngGetConsoleLogLevel failed. (g_conLogLevel=3)".
_DCMI_FAILURE_RE = re.compile(r"dcmi\s+(?:module|model)\s+initiali[sz]ed?\s+failed", re.IGNORECASE)
_DRV_LOG_FAILURE = "drvmnggetconsoleloglevel failed"


@dataclass(frozen=True)
class NpuChip:
    """One chip (die) row pair of the device table."""

    npu_id: int
    chip_id: int  # the "Chip" column of the second row (0 for single-chip NPUs; A3 dies 0/1)
    name: str  # e.g. "910B1", "Ascend910", "310P3"
    health: str  # e.g. "OK", "Warning", "Alarm", "Critical", as printed
    bus_id: Optional[str]  # "0000:C1:00.0"; None where the tool prints "NA" (310, 310B)
    logic_id: Optional[int]  # 310P "Device" column or A3 "Phy-ID" column, when printed


@dataclass(frozen=True)
class NpuSmiInfo:
    """What ``npu-smi info`` said: versions, chips, or the failure it printed instead."""

    tool_version: Optional[str]  # "npu-smi 22.0.2" -> "22.0.2"
    driver_version: Optional[str]  # "Version: 22.0.4" -> "22.0.4"
    chips: tuple[NpuChip, ...]
    error: Optional[str]  # a recognised failure line, e.g. "dcmi module initialize failed. ..."


@dataclass
class _PendingRow:
    npu_id: int
    name: str
    health: str


def _cells(line: str) -> Optional[list[str]]:
    """Split a table row into stripped cells, or None for lines that are not rows.

    Truncated pastes lose the closing ``|``; the cells that remain are still usable.
    """
    if not line.startswith("|"):
        return None
    cells = [cell.strip() for cell in line[1:].split("|")]
    if cells and not cells[-1]:
        cells.pop()
    return cells


def _is_device_header(cells: list[str]) -> bool:
    return (
        len(cells) >= 2
        and cells[0].startswith("NPU")
        and "Name" in cells[0]
        and cells[1].startswith("Health")
    )


def _is_chip_header(cells: list[str]) -> bool:
    return len(cells) >= 2 and cells[0].startswith("Chip") and cells[1].startswith("Bus-Id")


def _is_process_header(cells: list[str]) -> bool:
    return any(cell.startswith("Process id") for cell in cells)


def _first_row(cells: list[str]) -> Optional[_PendingRow]:
    if len(cells) < 2:
        return None
    ident = _FIRST_ROW_ID_RE.fullmatch(cells[0])
    if ident is None or not _HEALTH_RE.fullmatch(cells[1]):
        return None
    return _PendingRow(npu_id=int(ident.group(1)), name=ident.group(2), health=cells[1])


def _second_row(cells: list[str], pending: _PendingRow) -> Optional[NpuChip]:
    if len(cells) < 2:
        return None
    ident = _SECOND_ROW_ID_RE.fullmatch(cells[0])
    if ident is None:
        return None
    words = cells[1].split()
    bus = words[0] if words else ""
    logic = ident.group(2)
    return NpuChip(
        npu_id=pending.npu_id,
        chip_id=int(ident.group(1)),
        name=pending.name,
        health=pending.health,
        bus_id=bus if _BUS_ID_RE.fullmatch(bus) else None,
        logic_id=int(logic) if logic is not None else None,
    )


def _versions(lines: list[str]) -> tuple[Optional[str], Optional[str]]:
    for line in lines:
        if "npu-smi" not in line or "Version" not in line:
            continue
        tool = _TOOL_RE.search(line)
        driver = _DRIVER_RE.search(line)
        if tool is not None or driver is not None:
            return (
                tool.group(1) if tool is not None else None,
                driver.group(1) if driver is not None else None,
            )
    return None, None


def _failure_line(lines: list[str]) -> Optional[str]:
    """Return the most specific recognised failure line, if any."""
    drv_log: Optional[str] = None
    for line in lines:
        if _DCMI_FAILURE_RE.search(line):
            return line
        if drv_log is None and _DRV_LOG_FAILURE in line.casefold():
            drv_log = line
    return drv_log


def _truncate(line: str) -> str:
    return line[:_ERROR_MAX_CHARS]


def parse_npu_smi_info(text: str) -> NpuSmiInfo:
    """Parse ``npu-smi info`` output; never raises.

    Chips come only from the device table: parsing stops at the process table, whose rows
    have the same shape. A chip is reported only when both of its rows are present, so a
    truncated paste yields the complete chips it holds. ``error`` is set when the output is a
    DCMI initialisation failure, or when non-empty text has neither a table header nor chips
    (for example ``bash: npu-smi: command not found``); it is None for empty input.
    """
    lines = [line.strip() for line in text.splitlines()]
    tool_version, driver_version = _versions(lines)
    chips, saw_table_header = _device_table(lines)
    saw_header = tool_version is not None or driver_version is not None or saw_table_header
    return NpuSmiInfo(
        tool_version=tool_version,
        driver_version=driver_version,
        chips=tuple(chips),
        error=_error(lines, chips, saw_header),
    )


def _device_table(lines: list[str]) -> tuple[list[NpuChip], bool]:
    """The chips of the device table, and whether a table header was seen."""
    chips: list[NpuChip] = []
    saw_header = False
    pending: Optional[_PendingRow] = None
    for line in lines:
        if not line:
            continue
        cells = _cells(line)
        if cells is None:
            # Borders ("+---", "+===", and the "+---|---" variant) end a row pair.
            pending = None
            continue
        if _is_process_header(cells):
            break
        if _is_device_header(cells) or _is_chip_header(cells):
            saw_header = True
            pending = None
            continue
        if pending is not None:
            chip = _second_row(cells, pending)
            pending = None
            if chip is not None:
                chips.append(chip)
                continue
        pending = _first_row(cells)
    return chips, saw_header


def _error(lines: list[str], chips: list[NpuChip], saw_header: bool) -> Optional[str]:
    """A DCMI failure, or the first line of text that holds neither a header nor chips."""
    failure = _failure_line(lines)
    # NOTE: a dcmi failure is always fatal. "DrvMngGetConsoleLogLevel failed" alone is only
    # trusted when no chip was listed: it is a logging-setup message that also shows up as
    # noise before working output (vllm-project/vllm-ascend#13399 starts with
    # "DrvMngGetConsoleLogLevel failed. (ret=4)").
    if failure is not None and (_DCMI_FAILURE_RE.search(failure) or not chips):
        return _truncate(failure)
    if not chips and not saw_header:
        first = next((line for line in lines if line), None)
        if first is not None:
            return _truncate(first)
    return None
