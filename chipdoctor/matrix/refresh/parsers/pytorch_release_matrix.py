"""pytorch/pytorch `RELEASE.md`, "Release Compatibility Matrix": the CUDA builds (and their
cuDNN) of each PyTorch minor release, stable and experimental.

A CUDA cell is a comma-separated list. Since 2.6 each CUDA names its own cuDNN (and NCCL) in
parentheses: `CUDA 12.6 (CUDNN 9.10.2.21) (NCCL 2.29.3)`. Before, one `CUDNN x` item follows the
CUDA versions it belongs to: `CUDA 11.8, CUDA 12.1, CUDNN 9.1.0.70`. `None` and `--` mean no
build. Columns are found by their headers, so the later `C++` column changes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

from chipdoctor.matrix.refresh.model import Generated, RecordedFile, SourceError, one_recorded_file
from chipdoctor.matrix.refresh.tables import Grid, markdown_tables

NAME = "pytorch-release-matrix"
SOURCE_ID = "gen-pt-release-matrix"
_RELEASE = "PyTorch version"
_KINDS = {"Stable CUDA": "stable", "Experimental CUDA": "experimental"}
_NO_BUILD = {"", "None", "--", "-"}
_CUDA = re.compile(r"CUDA (\d+\.\d+)(?:\s*\(CUDNN ([\d.]+)\))?(?:\s*\(NCCL [\d.]+\))?")
_CUDNN = re.compile(r"CUDNN ([\d.]+)")
_MINOR = re.compile(r"\d+\.\d+")


def parse(directory: Path) -> Generated:
    out = Generated(NAME, "cuda")
    recorded = one_recorded_file(directory, "RELEASE.md")
    where = str(recorded.path)
    grid = _matrix(markdown_tables(recorded.text()), where)
    out.sources[SOURCE_ID] = _source(recorded)
    header = grid[0]
    for cells in grid[1:]:
        value = dict(zip(header, cells))
        release = value[_RELEASE].strip()
        if not _MINOR.fullmatch(release):
            raise SourceError(f"PyTorch version {release!r} is not MAJOR.MINOR", path=where)
        for column, kind in _KINDS.items():
            for cuda, cudnn in _builds(value[column], where):
                row: dict[str, object] = {"torch": f"{release}.*", "cuda": cuda}
                if cudnn:
                    row["cudnn"] = cudnn
                row["note"] = kind
                row["source"] = SOURCE_ID
                out.add("torch_cuda", row)
    out.skipped.append(
        "RELEASE.md Python (and C++) columns: no CUDA table holds a PyTorch release's Pythons"
    )
    return out


def _source(recorded: RecordedFile) -> dict[str, str]:
    return recorded.source(
        f"pytorch/pytorch RELEASE.md @ {recorded.short_commit}: "
        "'Release Compatibility Matrix' (Stable CUDA / Experimental CUDA, with cuDNN)"
    )


def _matrix(grids: list[Grid], where: str) -> Grid:
    for grid in grids:
        if grid and _RELEASE in grid[0] and all(column in grid[0] for column in _KINDS):
            return grid
    wanted = [_RELEASE, *_KINDS]
    raise SourceError(f"no Release Compatibility Matrix (columns {wanted})", path=where)


def _builds(cell: str, where: str) -> list[tuple[str, str]]:
    """(CUDA, cuDNN or "") of each build a cell lists; a bare CUDNN item applies to the CUDA
    versions before it that name none."""
    if cell.strip() in _NO_BUILD:
        return []
    builds: list[list[str]] = []
    for item in (part.strip() for part in _split(cell)):
        cuda, cudnn = _CUDA.fullmatch(item), _CUDNN.fullmatch(item)
        if cuda:
            builds.append([cuda.group(1), cuda.group(2) or ""])
        elif cudnn and builds:
            for build in builds:
                build[1] = build[1] or cudnn.group(1)
        else:
            raise SourceError(f"CUDA cell item {item!r} in {cell!r}", path=where)
    return [(cuda, cudnn) for cuda, cudnn in builds]


def _split(cell: str) -> list[str]:
    """The comma-separated items of a cell; commas inside parentheses do not split."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in cell:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return items
