"""Lines for people drawn with rich: prose wraps at the console's width (COLUMNS), but a command
or a URL is printed whole, even past the width, so it can be pasted as it is (issue 12). Used by
`fix`'s plan; `check`'s table lays out the same lines in report/page.py."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING

from chipdoctor.report.page import fix_lines

if TYPE_CHECKING:
    from rich.console import Console


def prose(console: Console, text: str, *, indent: int = 4, style: str = "") -> None:
    """Wrapped at the width, indented; a word longer than a line (a URL) is kept whole."""
    from rich.text import Text

    for paragraph in text.splitlines() or [""]:
        wrapped = textwrap.wrap(
            paragraph, max(console.width - indent, 16), break_long_words=False,
            break_on_hyphens=False,
        ) or [""]  # fmt: skip
        for line in wrapped:
            whole(console, Text(" " * indent + line, style=style))


def command(console: Console, text: str, *, indent: int = 4, style: str = "green") -> None:
    from rich.text import Text

    whole(console, Text(" " * indent + text, style=style))


def whole(console: Console, text: object) -> None:
    """One line as it is: never wrapped, folded or cropped."""
    console.print(text, no_wrap=True, overflow="ignore", crop=False)


def fix_line(console: Console, say: Callable[[str], str], line: str, *, indent: int = 4) -> None:
    """`fix: …`: the prose wraps; a command in it goes whole on its own line (report/page.py
    splits the line, as for `check`'s table). A blank line prints nothing."""
    if not line.strip():
        return
    for piece in fix_lines(say, line, indent):
        if piece.whole:
            command(console, piece.text, indent=piece.indent)
        else:
            prose(console, piece.text, indent=piece.indent, style="green")
