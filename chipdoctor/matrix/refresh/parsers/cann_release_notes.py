"""CANN release notes from Huawei's release-management repository (`<version>/release-notes.md`):
Markdown tables pairing each CANN version with the Ascend HDK versions it supports
(CANN与Ascend HDK版本配套关系) and each ops package with the toolkits it pairs with
(ops版本 / 配套toolkit版本). Cells hold links and several values separated by `<br>`.
"""

from __future__ import annotations

import re
from pathlib import Path

from chipdoctor.matrix.refresh.model import Generated, RowData, SourceError, recorded_files
from chipdoctor.matrix.refresh.tables import Grid, markdown_tables
from chipdoctor.versions import InvalidVersion, parse_vendor

NAME = "cann-release-notes"
_TITLE = re.compile(r"^#\s*CANN\s+(\S+?)(?:版本说明)?\s*$", re.M)
_VERSION = r"(\d+\.\d+\.[0-9A-Za-z][0-9A-Za-z.\-]*)"
_CANN = re.compile(rf"CANN\s+{_VERSION}")
_HDK = re.compile(rf"Ascend HDK\s+{_VERSION}")
_OPS = re.compile(rf"ascend-cann-ops\s+{_VERSION}")
_TOOLKIT = re.compile(rf"ascend-cann-toolkit\s+{_VERSION}")


def label(text: str) -> str:
    """The CANN version a copy of the notes is for, from its title."""
    match = _TITLE.search(text)
    if match is None:
        raise SourceError("no '# CANN <version>' title")
    return match.group(1)


def parse(directory: Path) -> Generated:
    out = Generated(NAME, "ascend")
    notes = []
    for recorded in recorded_files(directory):
        where = str(recorded.path)
        text = recorded.text()
        try:
            version = label(text)
            order = parse_vendor(version)
        except (SourceError, InvalidVersion):
            raise SourceError("no '# CANN <version>' title with a version", path=where) from None
        notes.append((order, version, recorded, markdown_tables(text)))
    # A "9.0.0" pattern also covers 9.0.0-beta.N, so pre-releases' rows come first.
    notes = [n for n in notes if n[0].is_prerelease] + sorted(
        (n for n in notes if not n[0].is_prerelease), key=lambda n: n[0], reverse=True
    )
    for _order, version, recorded, grids in notes:
        source_id = f"gen-cann-rn-{version}"
        out.sources[source_id] = recorded.source(
            f"hicann/release-management {version}/release-notes.md @ "
            f"{recorded.short_commit}: CANN/Ascend HDK and ops/toolkit tables"
        )
        hdk = _table(grids, "配套Ascend HDK版本")
        if hdk is None:
            raise SourceError(
                "no CANN/Ascend HDK table (配套Ascend HDK版本)", path=str(recorded.path)
            )
        for row in _pairs(hdk, _HDK_TABLE, str(recorded.path)):
            out.add("cann_driver", {**row, "source": source_id})
        ops = _table(grids, "配套toolkit版本")
        if ops is None:
            out.skipped.append(f"CANN {version}: no ops/toolkit table")
            continue
        for row in _pairs(ops, _OPS_TABLE, str(recorded.path)):
            out.add("cann_kernels", {**row, "source": source_id})
    return out


def _table(grids: list[Grid], header: str) -> Grid | None:
    return next((g for g in grids if g and any(header in cell for cell in g[0])), None)


Column = tuple[re.Pattern[str], str]  # how to find the versions in a cell, and their component
_HDK_TABLE = ((_CANN, "cann"), (_HDK, "ascend_driver"))
_OPS_TABLE = ((_OPS, "cann_kernels"), (_TOOLKIT, "cann"))


def _pairs(grid: Grid, columns: tuple[Column, Column], where: str) -> list[RowData]:
    (left, key), (right, other) = columns
    rows = []
    for cells in grid[1:]:
        if len(cells) < 2:
            raise SourceError(f"a row of two cells expected, not {cells!r}", path=where)
        keys, values = left.findall(cells[0]), right.findall(cells[1])
        if not keys or not values:
            raise SourceError(f"no versions in the row {cells[:2]!r}", path=where)
        rows.append({key: _one_or_list(keys), other: _one_or_list(values)})
    return rows


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values
