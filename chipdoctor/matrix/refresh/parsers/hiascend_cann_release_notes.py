"""hiascend.com CANN release notes (English, CANN 9.1 on): the 'CANN Software Version Mapping
Table' (the driver a CANN release ships with) and 'CANN and Ascend HDK Version Compatibility'
(a Y/N grid of CANN lines against Ascend HDK lines).

NOTE: what is recorded is a text rendering of each page (tests/fixtures/sources/
hiascend-cann-release-notes/SOURCE.md): a table's cells are separated by spaces and its rows by
line breaks, under a caption line and the header line 'CANN Driver Version (Ascend HDK)'. No cell
of these two tables holds a space, so splitting a line on whitespace gives its cells; a line
whose cells do not fit the table ends it. A merged column (`26.0.RC1/25.7.RC1`) names two
drivers.
"""

from __future__ import annotations

from pathlib import Path

from chipdoctor.matrix.refresh.model import Generated, SourceError, recorded_files

NAME = "hiascend-cann-release-notes"
_MAPPING = "CANN Software Version Mapping Table"
_COMPATIBILITY = "CANN and Ascend HDK Version Compatibility"
_HEADER = "CANN Driver Version (Ascend HDK)"
_MARKS = {"Y": True, "N": False}


def parse(directory: Path) -> Generated:
    out = Generated(NAME, "ascend")
    for recorded in recorded_files(directory):
        where = str(recorded.path)
        lines = [line.strip() for line in recorded.text().splitlines()]
        version = recorded.meta.get("version", "")
        if not version:  # the source id is the version: two pages without one would merge
            raise SourceError("SOURCE.md gives no 'version' for this page", path=where)
        source_id = f"gen-hiascend-cann-rn-{version}"
        out.sources[source_id] = recorded.source(
            f"hiascend CANN {version} Release Notes: '{_MAPPING}' and '{_COMPATIBILITY}'"
            " (read from a text rendering of the page)"
        )
        for cann, driver in _rows(lines, _MAPPING, where):
            if len(driver) != 1:
                raise SourceError(f"{_MAPPING}: {cann} names {driver}, not one driver", path=where)
            out.add(
                "cann_driver",
                {"cann": cann, "ascend_driver": driver[0], "source": source_id, "note": _MAPPING},
            )
        columns, grid = _grid(lines, where)
        for cann, marks in grid:
            for mark, verdict in (("Y", None), ("N", "incompatible")):
                drivers = [d for column, m in zip(columns, marks) if m == mark for d in column]
                if not drivers:
                    continue
                row: dict[str, object] = {"cann": cann, "ascend_driver": drivers}
                if verdict:
                    row["verdict"] = verdict
                row["source"] = source_id
                row["note"] = f"'{mark}' cells of '{_COMPATIBILITY}'"
                out.add("cann_driver", row)
    return out


def _grid(lines: list[str], where: str) -> tuple[list[list[str]], list[tuple[str, list[str]]]]:
    """The compatibility grid: its driver columns (each one or more drivers) and, per CANN
    line, its Y/N marks."""
    start = _table_start(lines, _COMPATIBILITY, where)
    columns = [cell.split("/") for cell in lines[start].split()]
    grid = []
    for line in lines[start + 1 :]:
        cells = line.split()
        if len(cells) != len(columns) + 1:
            break
        if any(mark not in _MARKS for mark in cells[1:]):
            raise SourceError(f"{_COMPATIBILITY}: a mark other than Y or N in {line!r}", path=where)
        grid.append((cells[0], cells[1:]))
    if not grid:
        raise SourceError(f"{_COMPATIBILITY}: no CANN line under the driver columns", path=where)
    return columns, grid


def _rows(lines: list[str], caption: str, where: str) -> list[tuple[str, list[str]]]:
    """(first cell, the others) of each row of the table under `caption`."""
    rows = []
    for line in lines[_table_start(lines, caption, where) :]:
        cells = line.split()
        if len(cells) < 2 or not cells[0][:1].isdigit():
            break
        rows.append((cells[0], cells[1:]))
    if not rows:
        raise SourceError(f"{caption}: no row under its header", path=where)
    return rows


def _table_start(lines: list[str], caption: str, where: str) -> int:
    """The index of the line after the caption's header line ('CANN Driver Version …')."""
    for i, line in enumerate(lines):
        if line == caption:
            for j in range(i + 1, len(lines)):
                if lines[j]:
                    if lines[j] != _HEADER:
                        break
                    return j + 1
    raise SourceError(f"no table {caption!r} with the header {_HEADER!r}", path=where)
