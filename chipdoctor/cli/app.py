"""The Typer application, its global options, and what every command shares: where output
goes, the language, the terminal width, the spinner."""

from __future__ import annotations

import contextlib
import os
import sys
from enum import Enum
from typing import TYPE_CHECKING, Optional

import typer

from chipdoctor import __version__
from chipdoctor.errors import BadInput

if TYPE_CHECKING:
    from chipdoctor.progress import Spinner

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Check that PyTorch, the vendor extension, toolkit, driver and Python go together.",
)
matrix_app = typer.Typer(no_args_is_help=True, help="Inspect and validate compatibility matrices.")
app.add_typer(matrix_app, name="matrix")

ISSUES_URL = "https://github.com/chipdoctor/chipdoctor/issues"


class State:
    debug = False
    #: `check --format npd`: Node Problem Detector reads exit 2 as Unknown, so an internal
    #: error (3) exits 2 too, with a line on stdout, its message (docs/contracts.md).
    npd = False


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    junit = "junit"
    github = "github"
    markdown = "markdown"
    nfd = "nfd"
    npd = "npd"
    ansible_facts = "ansible-facts"


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"chipdoctor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    State.debug = debug


def color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def language(option: Optional[str]) -> str:
    from chipdoctor.i18n import choose_language

    if option is not None and option.lower().replace("-", "_") not in ("en", "zh", "zh_cn"):
        raise BadInput(f"--lang must be en or zh, not {option!r}")
    return choose_language(option)


def width() -> int:
    """The terminal's width (`COLUMNS` where set) for prose; commands are printed whole."""
    import shutil

    return max(20, shutil.get_terminal_size((100, 24)).columns)


def progress_for(lang: str, *, table: bool) -> contextlib.AbstractContextManager[Optional[Spinner]]:
    """A spinner for slow probes when stderr is a terminal and stdout gets the table."""
    if not (table and sys.stderr.isatty()):
        return contextlib.nullcontext()
    from chipdoctor.progress import Spinner

    return Spinner(sys.stderr, lang=lang)
