"""The one way chipdoctor makes a rich Console: inert to the text it prints.

Text from evidence and matrices is printed as it is: never parsed as rich markup ("[bold red]…"
in a version string would otherwise style or hide text), never turned into an emoji (":x:"),
never highlighted.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console


def inert_console(file: TextIO, *, color: bool, width: int) -> Console:
    return Console(
        markup=False,
        file=file,
        force_terminal=color,
        no_color=not color,
        width=width,
        highlight=False,
        emoji=False,
    )
