"""The table for people, drawn with rich: colours on a terminal, and columns that shrink and
fold when the terminal is narrower than the table (report/page.py says what it holds).

Everything read from the machine reaches a terminal here, so every such string went through
`printable.visible` (report/page.py): an escape sequence in a version or a device name shows as
`\x1b…` and cannot retitle the window, clear the screen or hide text.
"""

from __future__ import annotations

import io

from rich.console import Console, OverflowMethod
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from chipdoctor.model import Report
from chipdoctor.report.console import inert_console
from chipdoctor.report.page import Grid, Line, page, wrapped


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    buffer = io.StringIO()
    console = inert_console(buffer, color=color, width=width)
    for piece in page(report):
        if isinstance(piece, Grid):
            console.print(_table(piece))
        elif not piece.spans:
            console.print()
        elif piece.whole or len(piece.spans) == 1:
            _lines(console, piece, width)
        elif piece.indent:
            console.print(Padding(_text(piece), (0, 0, 0, piece.indent), expand=False))
        else:
            console.print(_text(piece))
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


def _lines(console: Console, line: Line, width: int) -> None:
    """A command whole; prose wrapped as report/plain.py wraps it (a URL never folded)."""
    text, style = line.text, line.spans[0][1]
    parts = (
        [text]
        if line.whole
        else [p for paragraph in text.split("\n") for p in wrapped(paragraph, width - line.indent)]
    )
    for part in parts:
        console.print(
            Text(" " * line.indent + part, style=style), no_wrap=True, overflow="ignore", crop=False
        )


def _text(line: Line) -> Text:
    text = Text()
    for part, style in line.spans:
        text.append(part, style=style)
    return text


def _table(grid: Grid) -> Table:
    table = Table(show_edge=False, pad_edge=False, expand=False)
    last = len(grid.headers) - 1
    for index, (header, style) in enumerate(zip(grid.headers, grid.styles)):
        overflow: OverflowMethod = "fold" if grid.fold_last and index == last else "ellipsis"
        table.add_column(header, style=style or None, overflow=overflow)
    for row in grid.rows:
        table.add_row(*(Text(text, style=style) for text, style in row))
    return table
