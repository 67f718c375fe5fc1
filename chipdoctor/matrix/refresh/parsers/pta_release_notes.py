"""Ascend/pytorch `docs/zh/release_notes.md`: the TorchNPU release notes.

Each release's notes carry a Markdown mapping table (branch, PyTorch, TorchNPU package, CANN,
Python) and, from 26.1.0 on, an HTML table saying which TorchNPU trains ("26.1.X") work with
which CANN lines ("9.2.X"). A train's packages are listed only in its own notes, so the
compatibility rows are built from the newest notes' table and the package lists of every
recorded release. Before 26.1.0 the product was "Ascend Extension for PyTorch": its notes
name the columns so, and only their mapping tables are read.
"""

from __future__ import annotations

import re
from pathlib import Path

from chipdoctor.matrix.refresh.model import Generated, RecordedFile, SourceError, recorded_files
from chipdoctor.matrix.refresh.tables import (
    Grid,
    TableTooLarge,
    html_blocks,
    html_tables,
    markdown_tables,
)
from chipdoctor.versions import parse_vendor

NAME = "pta-release-notes"
_PYTHON = re.compile(r"Python\s*(\d+\.\d+)")
#: component -> its column's header; the product's old name replaces "TorchNPU" before 26.1.0
_COLUMNS = {
    "branch": "TorchNPU代码分支名称",
    "torch": "PyTorch版本",
    "torch_npu": "TorchNPU安装包版本",
    "cann": "CANN版本",
    "python": "Python版本",
}
_OLD_NAME = "Ascend Extension for PyTorch"
_CANN_VERSION = re.compile(r"\d+\.\d+\.[0-9A-Za-z][0-9A-Za-z.\-]*")
_TRITON = "Triton Ascend版本"


def parse(directory: Path) -> Generated:
    out = Generated(NAME, "ascend")
    releases = sorted(
        (_release(recorded) for recorded in recorded_files(directory)),
        key=lambda release: parse_vendor(release.train),
    )
    for release in reversed(releases):  # newest first, as the hand-written rows are
        out.sources[release.source_id] = release.source
        for row in release.rows:
            out.add("torch_npu", {**row, "source": release.source_id})
    newest = releases[-1]
    if not newest.compat:
        raise SourceError(
            f"the newest notes ({newest.train}) have no TorchNPU/CANN compatibility table"
        )
    for train, cells in newest.compat:
        own = [r for r in releases if r.train.startswith(train.rstrip("X"))]
        if not own:
            out.skipped.append(
                f"TorchNPU {train}: no recorded release notes list its packages, so its "
                f"compatibility with {', '.join(cann for cann, _ in cells)} is not generated"
            )
            continue
        packages = [row["torch_npu"] for release in own for row in release.rows]
        ids = list(dict.fromkeys([newest.source_id, *(r.source_id for r in own)]))
        for verdict in ("compatible", "incompatible"):
            canns = [cann for cann, ok in cells if ok == (verdict == "compatible")]
            if canns:
                row = {"torch_npu": packages, "cann": canns, "source": ids}
                if verdict == "incompatible":
                    row["verdict"] = verdict
                row["note"] = (
                    f"TorchNPU {train} packages; {newest.train} notes' compatibility table"
                )
                out.add("torch_npu_cann", row)
    return out


class _Release:
    def __init__(self, recorded: RecordedFile, train: str) -> None:
        self.train = train
        self.source_id = f"gen-pta-rn-{train}"
        self.source = recorded.source(
            f"Ascend/pytorch {recorded.repo_path} @ {recorded.short_commit} (TorchNPU {train} "
            "release notes): version mapping and compatibility tables"
        )
        self.rows: list[dict[str, object]] = []
        self.compat: list[tuple[str, list[tuple[str, bool]]]] = []


def label(text: str) -> str:
    """The TorchNPU release a copy of the notes is for (its product table's 产品版本)."""
    return _train(_grids(text, "the fetched notes"), "the fetched notes")


def _grids(text: str, where: str) -> list[Grid]:
    """The HTML tables of the notes (product and compatibility tables are HTML in Markdown)."""
    try:
        return [grid for block in html_blocks(text) for grid in html_tables(block)]
    except TableTooLarge as exc:
        raise SourceError(str(exc), path=where) from None


def _release(recorded: RecordedFile) -> _Release:
    text = recorded.text()
    where = str(recorded.path)
    grids = _grids(text, where)
    release = _Release(recorded, _train(grids, where))
    tables = [[[_new_name(cell) for cell in grid[0]], *grid[1:]] for grid in markdown_tables(text)]
    mapping = _find(tables, _COLUMNS["torch_npu"], where, "version mapping table")
    release.rows = [_mapping_row(mapping[0], cells, where) for cells in mapping[1:]]
    compat = [grid for grid in grids if grid and grid[0][0] == "TorchNPU"]
    release.compat = _compat(compat[0], where) if compat else []
    return release


def _new_name(header: str) -> str:
    return header.replace(_OLD_NAME, "TorchNPU")


def _find(grids: list[Grid], header: str, where: str, what: str) -> Grid:
    """The first table whose header row names `header`."""
    for grid in grids:
        if grid and header in grid[0]:
            return grid
    raise SourceError(f"no {what} (a table whose header names {header!r})", path=where)


def _train(grids: list[Grid], where: str) -> str:
    for grid in grids:
        for cells in grid:
            if len(cells) == 2 and cells[0] == "产品版本":
                return cells[1]
    raise SourceError("no product version (产品版本) in the product table", path=where)


def _mapping_row(header: list[str], cells: list[str], where: str) -> dict[str, object]:
    value = dict(zip(header, cells))
    missing = [name for name in _COLUMNS.values() if name not in value]
    if missing:
        raise SourceError(f"version mapping table lacks column {missing[0]!r}", path=where)
    pythons = _PYTHON.findall(value[_COLUMNS["python"]])
    if not pythons:
        raise SourceError(f"no Python version in {value[_COLUMNS['python']]!r}", path=where)
    # Older notes write the CANN cell as "商用版：9.0.0<br>社区版：9.0.0" (commercial, community).
    canns = list(dict.fromkeys(_CANN_VERSION.findall(value[_COLUMNS["cann"]])))
    if not canns:
        raise SourceError(f"no CANN version in {value[_COLUMNS['cann']]!r}", path=where)
    row: dict[str, object] = {
        "torch_npu": value[_COLUMNS["torch_npu"]],
        "torch": value[_COLUMNS["torch"]],
        "cann": canns[0] if len(canns) == 1 else canns,
        "python": pythons,
        "branch": value[_COLUMNS["branch"]],
    }
    triton = value.get(_TRITON, "")
    if triton.startswith("v"):
        row["note"] = f"Triton Ascend {triton}"
    return row


def _compat(grid: Grid, where: str) -> list[tuple[str, list[tuple[str, bool]]]]:
    """Rows of (train, [(CANN line, compatible?)]); the CANN lines are the last header row."""
    body = [cells for cells in grid if cells and re.fullmatch(r"\d+\.\d+\.X", cells[0])]
    heads = [cells for cells in grid if cells not in body]
    if not body or not heads:
        raise SourceError("the compatibility table has no TorchNPU rows", path=where)
    columns = heads[-1][1:]
    out = []
    for cells in body:
        marks = cells[1:]
        if any(mark not in ("Y", "N") for mark in marks):
            raise SourceError(f"compatibility cell other than Y or N in {cells!r}", path=where)
        out.append((cells[0], [(cann, mark == "Y") for cann, mark in zip(columns, marks)]))
    return out
