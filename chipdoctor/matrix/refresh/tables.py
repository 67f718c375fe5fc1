"""Tables out of published documents, read with real parsers: Markdown with markdown-it (the
CommonMark parser rich already depends on), HTML with the standard library's html.parser.

Both return a table as a list of rows of cell texts, with HTML row/column spans filled in, so a
parser reads a grid whatever the markup.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.token import Token

Grid = list[list[str]]
MAX_SPAN = 100  # a published table spans a few rows or columns; more is a broken or hostile page
MAX_CELLS = 200_000  # per table, spans included: bounds the memory a grid can take


class TableTooLarge(ValueError):
    """A table whose spans would fill more cells than any published compatibility table has."""


_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def markdown_tables(text: str) -> list[Grid]:
    """Every pipe table of a Markdown document, header row first, cells as plain text."""
    tables: list[Grid] = []
    row: list[str] | None = None
    for token in _markdown().parse(text):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            tables[-1].append(row)
            row = None
        elif token.type == "inline" and row is not None:
            row.append(_inline_text(token.children or []))
    return tables


def _inline_text(children: list[Token]) -> str:
    """The text of an inline token: emphasis and links are markup, their content is text, and a
    `<br>` (how tables put several values in one cell) is a line break."""
    out = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak") or (
            child.type == "html_inline" and _BR.fullmatch(child.content)
        ):
            out.append("\n")
    return "".join(out).strip()


def html_blocks(text: str) -> list[str]:
    """The raw HTML of a Markdown document, joined: a table can span blocks split by blank lines."""
    blocks = [token.content for token in _markdown().parse(text) if token.type == "html_block"]
    return ["".join(blocks)] if blocks else []


def html_tables(html: str) -> list[Grid]:
    """Every <table> of an HTML fragment as a grid; a nested table comes out as one of its own.

    Raises TableTooLarge past MAX_CELLS cells in one table."""
    reader = _TableReader()
    reader.feed(html)
    reader.close()
    return reader.tables


class _TableReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Grid] = []
        self._stack: list[_Building] = []
        self._cell: list[str] | None = None
        self._span = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append(_Building())
        elif not self._stack:
            return
        elif tag == "tr":
            self._stack[-1].rows.append([])
        elif tag in ("td", "th"):
            values = dict(attrs)
            self._cell = []
            self._span = (_span(values.get("rowspan")), _span(values.get("colspan")))
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        if tag in ("td", "th") and self._cell is not None:
            self._stack[-1].place(" ".join("".join(self._cell).split()), *self._span)
            self._cell = None
        elif tag == "table":
            self.tables.append(self._stack.pop().grid())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), MAX_SPAN))
    except ValueError:
        return 1


class _Building:
    """A table being read: cells placed row by row, skipping slots that spans above have filled."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self._taken: dict[tuple[int, int], str] = {}

    def place(self, text: str, rowspan: int, colspan: int) -> None:
        if not self.rows:
            self.rows.append([])
        r = len(self.rows) - 1
        c = 0
        while (r, c) in self._taken:
            c += 1
        if len(self._taken) + rowspan * colspan > MAX_CELLS:
            raise TableTooLarge(f"a table of more than {MAX_CELLS} cells")
        for dr in range(rowspan):
            for dc in range(colspan):
                self._taken[(r + dr, c + dc)] = text

    def grid(self) -> Grid:
        if not self._taken:
            return []
        height = max(r for r, _ in self._taken) + 1
        width = max(c for _, c in self._taken) + 1
        return [[self._taken.get((r, c), "") for c in range(width)] for r in range(height)]
