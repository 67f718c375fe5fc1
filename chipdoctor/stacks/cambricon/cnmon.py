"""Parser for the table Cambricon's ``cnmon`` prints when run without arguments.

``cnmon`` has a key-value (``cnmon info``) and a JSON mode, but neither is documented for every
driver generation; the default table is what every install prints and what users paste. Its
layout moved between drivers (samples and sources: ``tests/fixtures/cnmon/SOURCES.md``, facts:
``shared/reference/other-stacks.md`` section A.4):

* driver 5.x: banner ``| CNMON v5.10.22   Driver v5.10.22 |`` and a ``Bus-Id`` column;
* driver 4.x: banner ``| CNMON v4.20.11 |`` with no driver; the second column is
  ``Inited  Driver`` and each card row carries ``On  v4.20.11`` there;
* CNMON 1.x (MLU220, driver 4.6.9): banner ``| CNMON 1.16.0 |`` without the ``v``;
* two rows per card (``0  /  MLU370-X8  v1.1.6`` then fan/temperature), and a process table
  after the card table whose header also starts with ``Card``.

Rows are split on ``|`` and read by cell, never by character column: published outputs drift by
a character (``| 0%               N/A  |`` in the 5.10.10 sample). The parser is pure and never
raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

__all__ = ["CnmonCard", "CnmonInfo", "parse_cnmon"]

_ERROR_MAX_CHARS = 200
_VERSION = r"([0-9]+(?:\.[0-9]+)+(?:-[0-9A-Za-z]+)?)"
# NOTE: "CNMON v5.10.22" on 4.x/5.x drivers, "CNMON 1.16.0" on MLU220 (Firefly AIO-3399J doc).
_TOOL_RE = re.compile(r"\bCNMON\s+v?" + _VERSION)
# NOTE: torch_mlu's collect_env reads the driver with r"Driver (v\d+\.\d+\.\d+)"
# (Cambricon/torch_mlu torch_mlu/utils/collect_env.py); 4.x banners have no such field.
_BANNER_DRIVER_RE = re.compile(r"\bDriver\s+v" + _VERSION)
_CELL_DRIVER_RE = re.compile(r"(?:^|\s)v" + _VERSION + r"$")
# First row of a card: "0     /   MLU370-X8    v1.1.6" (card, VF, name, firmware). The fan
# row starts with "0%", which the whitespace after the card number keeps out.
_CARD_RE = re.compile(r"([0-9]{1,4})\s+(\S+)\s+(\S(?:.*\S)?)\s+(\S+)")
_BUS_ID_RE = re.compile(r"[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]")


@dataclass(frozen=True)
class CnmonCard:
    """One card of the table (its first row)."""

    index: int  # the "Card" column
    name: str  # e.g. "MLU370-X8"; authors sometimes mask it ("MLUXXX-XX")
    firmware: str  # e.g. "v1.1.6", as printed
    bus_id: Optional[str]  # "0000:13:00.0"; None in the 4.x/1.x layouts, which print no bus id
    driver_version: Optional[str]  # the 4.x/1.x per-card "Driver" column ("4.20.11")


@dataclass(frozen=True)
class CnmonInfo:
    """What ``cnmon`` said: versions, cards, or the text it printed instead of a table."""

    tool_version: Optional[str]  # "CNMON v5.10.22" -> "5.10.22"
    driver_version: Optional[str]  # the banner's "Driver v..." or, on 4.x, the cards' column
    cards: tuple[CnmonCard, ...]
    error: Optional[str]  # the first line of non-empty output that holds no cnmon table


def _cells(line: str) -> Optional[list[str]]:
    """A table row's stripped cells, or None for lines that are not rows (borders, text)."""
    if not line.startswith("|"):
        return None
    cells = [cell.strip() for cell in line[1:].split("|")]
    if cells and not cells[-1]:
        cells.pop()
    return cells


def _is_card_header(cells: list[str]) -> bool:
    return bool(cells) and cells[0].startswith("Card") and "Name" in cells[0]


def _card(cells: list[str]) -> Optional[CnmonCard]:
    match = _CARD_RE.fullmatch(cells[0]) if cells else None
    if match is None:
        return None
    second = cells[1] if len(cells) > 1 else ""
    bus = second if _BUS_ID_RE.fullmatch(second) else None
    driver = _CELL_DRIVER_RE.search(second)
    return CnmonCard(
        index=int(match.group(1)),
        name=match.group(3),
        firmware=match.group(4),
        bus_id=bus,
        driver_version=driver.group(1) if driver and bus is None else None,
    )


def parse_cnmon(text: str) -> CnmonInfo:
    """Parse ``cnmon`` output; never raises.

    Cards come only from the card table: parsing stops at the ``Processes:`` table. ``error``
    is the first non-empty line when the text has neither the ``CNMON`` banner nor a card
    table (a shell error, a driver message); it is None for empty text and for a table that
    lists no card, which the caller judges.
    """
    lines = [line.strip() for line in text.splitlines()]
    tool: Optional[str] = None
    banner_driver: Optional[str] = None
    cards: list[CnmonCard] = []
    seen: set[int] = set()
    saw_table = False
    for line in lines:
        cells = _cells(line)
        if cells is None:
            continue
        if any(cell.startswith("Processes") for cell in cells):
            break
        joined = " ".join(cells)
        banner = _TOOL_RE.search(joined)
        if banner is not None and tool is None:
            tool = banner.group(1)
            saw_table = True
            driver = _BANNER_DRIVER_RE.search(joined)
            banner_driver = driver.group(1) if driver else None
            continue
        if _is_card_header(cells):
            saw_table = True
            continue
        card = _card(cells)
        if card is not None and saw_table and card.index not in seen:
            seen.add(card.index)
            cards.append(card)
    driver_version = banner_driver or next(
        (card.driver_version for card in cards if card.driver_version), None
    )
    error: Optional[str] = None
    if not saw_table:
        first = next((line for line in lines if line), None)
        if first is not None:
            error = first[:_ERROR_MAX_CHARS]
    return CnmonInfo(tool, driver_version, tuple(cards), error)
