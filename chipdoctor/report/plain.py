"""The table for people without rich, for a stdout that is a pipe or a file (no colour): the
same characters report/text.py draws, at none of rich's import cost (~25 ms of a 70 ms start).

Only what can be drawn exactly as rich draws it is drawn here: tables that fit the width
unshrunk, single-line cells, and text whose every character is one cell wide (rich's own
single-cell ranges). Anything else returns None and the caller draws with rich. Words wrap as
report/page.py's `wrapped` wraps them (rich's draw uses it too, so a URL is never folded);
tests/report/test_plain_table.py holds the two side by side.
"""

from __future__ import annotations

import re
from typing import Optional

from chipdoctor.model import Report
from chipdoctor.report.page import Grid, Line, page, wrapped

#: rich.cells._SINGLE_CELL_UNICODE_RANGES, and the marks and punctuation the report uses
#: (rich measures each as one cell).
_SINGLE = re.compile("[\x20-\x7e\xa0-\xac\xae-\u02ff\u0370-\u0482\u2500-\u25fc\u2800-\u28ff…✗✓•→]*")


def render(report: Report, *, width: int = 100) -> Optional[str]:
    """The table as rich draws it without colour at `width`, or None where only rich can."""
    lines: list[str] = []
    for piece in page(report):
        drawn = _grid(piece, width) if isinstance(piece, Grid) else _paragraph(piece, width)
        if drawn is None:
            return None
        lines += drawn
    return "".join(f"{line.rstrip()}\n" for line in lines)


def _paragraph(line: Line, width: int) -> Optional[list[str]]:
    text = line.text
    if "\t" in text or not _SINGLE.fullmatch(text.replace("\n", "")):
        return None
    if line.indent and not text.strip():
        return None  # rich measures an empty padded text at width 0
    if line.whole:
        return [" " * line.indent + text]
    return [
        " " * line.indent + part
        for paragraph in text.split("\n")
        for part in wrapped(paragraph, width - line.indent)
    ]


def _grid(grid: Grid, width: int) -> Optional[list[str]]:
    """The table when its natural width fits: columns as wide as their widest cell."""
    cells = [grid.headers, *([text for text, _ in row] for row in grid.rows)]
    if not grid.rows or any("\n" in c or not _SINGLE.fullmatch(c) for row in cells for c in row):
        return None
    widths = [max(len(row[i]) for row in cells) for i in range(len(grid.headers))]
    last = len(widths) - 1
    # pad_edge=False: no padding outside the first and last columns; show_edge=False: no frame.
    padded = [w + (i > 0) + (i < last) for i, w in enumerate(widths)]
    if sum(padded) + last > width:
        return None  # rich shrinks the columns and wraps or folds their cells

    def row(texts: tuple[str, ...] | list[str], bar: str) -> str:
        parts = [
            " " * (i > 0) + text.ljust(widths[i]) + " " * (i < last) for i, text in enumerate(texts)
        ]
        return bar.join(parts)

    head = row(grid.headers, "┃")
    rule = "╇".join("━" * w for w in padded)
    return [head, rule, *(row([text for text, _ in cells], "│") for cells in grid.rows)]
