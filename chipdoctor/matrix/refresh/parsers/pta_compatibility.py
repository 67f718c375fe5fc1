"""Ascend/pytorch `COMPATIBILITY.en.md`: which TorchNPU package goes with which PyTorch and
CANN, and which Pythons each PyTorch release is published for.

The file has two mapping tables with the same columns (the active releases, and the historical
ones, EOL included, folded in a `<details>` block) and one "PyTorch and Python versions" table.
A mapping row takes its Pythons from that table when it lists the row's PyTorch release.
"""

from __future__ import annotations

import re
from pathlib import Path

from chipdoctor.matrix.refresh.model import Generated, SourceError, one_recorded_file
from chipdoctor.matrix.refresh.tables import Grid, markdown_tables
from chipdoctor.versions import InvalidVersion, parse_vendor

NAME = "pta-compatibility"
SOURCE_ID = "gen-pta-compat"
_PACKAGE = "TorchNPU installation package version"
_COLUMNS = {
    "torch_npu": _PACKAGE,
    "branch": "GitCode Branch",
    "torch": "PyTorch Version",
    "cann": "CANN version",
}
_PYTHON_TABLE = ("PyTorch Version", "Python version")
#: "1.11.0.rc2 (beta)": the package, then an optional parenthesised remark
_PACKAGE_CELL = re.compile(r"(\S+)(?:\s*\((.+)\))?")
#: "Python3.10", "Python 3.12", "Python3.7(>=3.7.5)"
_PYTHON = re.compile(r"Python\s*(\d+\.\d+)(?:\s*\(>=\s*(\d+\.\d+\.\d+)\))?")


def parse(directory: Path) -> Generated:
    out = Generated(NAME, "ascend")
    recorded = one_recorded_file(directory, "COMPATIBILITY.en.md")
    where = str(recorded.path)
    grids = markdown_tables(recorded.text())
    mappings = [grid for grid in grids if grid and _PACKAGE in grid[0]]
    if not mappings:
        raise SourceError(f"no version mapping table (a header naming {_PACKAGE!r})", path=where)
    pythons = _pythons(grids, where)
    out.sources[SOURCE_ID] = recorded.source(
        f"Ascend/pytorch COMPATIBILITY.en.md @ {recorded.short_commit}: "
        "TorchNPU version mapping tables and the PyTorch/Python table"
    )
    for index, grid in enumerate(mappings):
        for cells in grid[1:]:
            row = _row(grid[0], cells, pythons, where)
            if index:
                remark = row.get("note")
                row["note"] = f"historical table; {remark}" if remark else "historical table"
            out.add("torch_npu", {**row, "source": SOURCE_ID})
    out.skipped.append(
        "COMPATIBILITY.en.md 'Recommended Version Combination' and 'Hardware support': "
        "advice and a product list, not pairings"
    )
    return out


def _pythons(grids: list[Grid], where: str) -> dict[str, list[str]]:
    """PyTorch release -> the Python patterns the PyTorch/Python table lists for it."""
    tables = [grid for grid in grids if grid and tuple(grid[0]) == _PYTHON_TABLE]
    if not tables:
        raise SourceError(f"no PyTorch/Python table (header {list(_PYTHON_TABLE)})", path=where)
    out = {}
    for cells in tables[0][1:]:
        torch = cells[0].removeprefix("PyTorch").strip()
        found = _PYTHON.findall(cells[1])
        if not found:
            raise SourceError(f"no Python version in {cells[1]!r}", path=where)
        # "Python3.7(>=3.7.5)": only 3.7.5 and later of the 3.7 line.
        out[torch] = [f">={floor},<={line}" if floor else line for line, floor in found]
    return out


def _row(
    header: list[str], cells: list[str], pythons: dict[str, list[str]], where: str
) -> dict[str, object]:
    value = dict(zip(header, cells))
    missing = [name for name in _COLUMNS.values() if name not in value]
    if missing:
        raise SourceError(f"version mapping table lacks column {missing[0]!r}", path=where)
    package = _PACKAGE_CELL.fullmatch(value[_COLUMNS["torch_npu"]])
    if package is None:
        raise SourceError(f"package cell {value[_COLUMNS['torch_npu']]!r}", path=where)
    cann = value[_COLUMNS["cann"]].removeprefix("CANN").strip()
    try:
        parse_vendor(cann)
    except InvalidVersion:
        raise SourceError(f"not a CANN version: {value[_COLUMNS['cann']]!r}", path=where) from None
    torch = value[_COLUMNS["torch"]]
    row: dict[str, object] = {"torch_npu": package.group(1), "torch": torch, "cann": cann}
    if torch in pythons:
        row["python"] = pythons[torch]
    row["branch"] = value[_COLUMNS["branch"]]
    if package.group(2):
        row["note"] = package.group(2)
    return row
