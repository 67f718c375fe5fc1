"""Lines for people: prose wraps at the console's width (COLUMNS), but a command or a URL is
printed whole, even past the width, so it can be pasted as it is (issue 12). Shared by
`check`'s table and `fix`'s plan."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING

from chipdoctor.i18n import T

if TYPE_CHECKING:
    from rich.console import Console

#: Where a command starts in a fix line: at its start, or after the prose that introduces it
#: (`…: pip install …`, `… && pip install …`).
_COMMAND = re.compile(
    r"(?:^|(?<=: )|(?<=&& ))(?:sudo )?(?:pip3? install|python3? -m|source |export |conda |"
    r"docker |apt-get |yum |dnf |wget |curl |chmod |\./)"
)


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
    """`fix: …`: the prose wraps; a command in it goes whole on its own line."""
    found = _COMMAND.search(line)
    text, cmd = (line, "") if found is None else (line[: found.start()], line[found.start() :])
    if text.strip():
        prose(console, say(T("fix: {line}", line=text.rstrip())), indent=indent, style="green")
        if cmd:
            command(console, cmd, indent=indent + 2)
    elif cmd:
        command(console, say(T("fix: {line}", line=cmd)), indent=indent)
