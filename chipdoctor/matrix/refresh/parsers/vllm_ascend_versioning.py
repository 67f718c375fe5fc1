"""vllm-project/vllm-ascend `docs/source/community/versioning_policy.md`, "Release compatibility
matrix": each vLLM Ascend release with its vLLM, stable CANN, PyTorch/torch_npu and Triton Ascend.

Cells as published: a `v` before versions (`v0.9.1`), several vLLM releases joined by `/`
(`v0.10.1/v0.10.1.1`), PyTorch and torch_npu in one cell (`2.5.1 / 2.5.1.post1`), `N/A` where a
release has no Triton Ascend. The `main` branch's table holds template variables and is not
read. Columns are found by their headers.
"""

from __future__ import annotations

import re
from pathlib import Path

from chipdoctor.matrix.refresh.model import Generated, RecordedFile, SourceError, one_recorded_file
from chipdoctor.matrix.refresh.tables import Grid, markdown_tables

NAME = "vllm-ascend-versioning"
SOURCE_ID = "gen-vllm-ascend-versioning"
TABLE = "vllm_ascend"
_RELEASE = "vLLM Ascend"
_COLUMNS = (_RELEASE, "vLLM", "Stable CANN", "PyTorch/torch_npu", "Triton Ascend")
_VERSION = re.compile(r"v?(\d+(?:\.\d+)+(?:rc\d+)?(?:\.post\d+)?)")
_PAIR = re.compile(r"([^\s/]+)\s*/\s*([^\s/]+)")
_NONE = {"N/A", ""}


def parse(directory: Path) -> Generated:
    out = Generated(NAME, "ascend")
    recorded = one_recorded_file(directory, "versioning_policy.md")
    where = str(recorded.path)
    grid = _matrix(markdown_tables(recorded.text()), where)
    out.sources[SOURCE_ID] = _source(recorded)
    header = grid[0]
    for cells in grid[1:]:
        value = {column: cell.strip() for column, cell in zip(header, cells)}
        release = _version(value[_RELEASE], where)
        pair = _PAIR.fullmatch(value["PyTorch/torch_npu"])
        if pair is None:
            raise SourceError(
                f"PyTorch/torch_npu cell {value['PyTorch/torch_npu']!r} is not 'torch / torch_npu'",
                path=where,
            )
        vllm = [_version(item, where) for item in value["vLLM"].split("/")]
        row: dict[str, object] = {
            "vllm-ascend": release,
            "vllm": vllm[0] if len(vllm) == 1 else vllm,
            "cann": value["Stable CANN"],
            "torch": pair.group(1),
            "torch_npu": pair.group(2),
        }
        if value["Triton Ascend"] not in _NONE:
            row["triton-ascend"] = value["Triton Ascend"]
        row["source"] = SOURCE_ID
        out.add(TABLE, row)
    out.skipped.append(
        "the Python and Mooncake columns, and the main branch's table (template variables)"
    )
    return out


def _source(recorded: RecordedFile) -> dict[str, str]:
    return recorded.source(
        f"vllm-project/vllm-ascend {recorded.repo_path} @ "
        f"{recorded.short_commit}: 'Release compatibility matrix' (vLLM, "
        "stable CANN, PyTorch/torch_npu, Triton Ascend of each release)"
    )


def _matrix(grids: list[Grid], where: str) -> Grid:
    for grid in grids:
        # NOTE: the main branch's table has the same columns, with template variables
        if (
            grid[1:]
            and all(column in grid[0] for column in _COLUMNS)
            and _VERSION.fullmatch(grid[1][grid[0].index(_RELEASE)].strip())
        ):
            return grid
    raise SourceError(f"no release compatibility matrix (columns {list(_COLUMNS)})", path=where)


def _version(cell: str, where: str) -> str:
    match = _VERSION.fullmatch(cell.strip())
    if match is None:
        raise SourceError(f"{cell!r} is not a release version such as v0.9.1", path=where)
    return match.group(1)
