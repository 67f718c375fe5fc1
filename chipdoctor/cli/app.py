"""The application's command tree, its global options, and what every command shares: where
output goes, the language, the terminal width, the spinner."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from chipdoctor import __version__
from chipdoctor.cli.options import Exit, Group, Option
from chipdoctor.errors import BadInput
from chipdoctor.i18n import T

if TYPE_CHECKING:
    from chipdoctor.progress import Spinner

ISSUES_URL = "https://github.com/chipdoctor/chipdoctor/issues"


class State:
    debug = False
    #: `check --format npd`: Node Problem Detector reads exit 2 as Unknown, so an internal
    #: error (3) exits 2 too, with a line on stdout, its message (docs/contracts.md).
    npd = False


#: Every `--format` of `check`, the human table first (report/formats.py RENDERERS).
OUTPUT_FORMATS = ("table", "json", "junit", "github", "markdown", "nfd", "npd", "ansible-facts")


def _version() -> None:
    sys.stdout.write(f"chipdoctor {__version__}\n")
    raise Exit(0)


def _global(values: dict[str, object]) -> None:
    State.debug = bool(values["debug"])


app = Group(
    "chipdoctor",
    T("Check that PyTorch, the vendor extension, toolkit, driver and Python go together."),
    [
        Option("--debug", "debug", T("Show tracebacks of internal errors."), is_flag=True),
        Option("--version", "version", T("Print the version."), is_flag=True, action=_version),
    ],
    apply=_global,
)


#: Options several commands take alike.
LANG = Option(
    "--lang",
    "lang",
    T("en or zh (default: zh when LC_ALL/LC_MESSAGES/LANG start with zh)."),
)
TIMEOUT = Option(
    "--timeout",
    "timeout",
    T("Seconds each command may run."),
    kind=float,
    default=10.0,
    minimum=0.1,
)
LOG = Option(
    "--log",
    "log",
    T(
        "The output of the job that failed ('-': standard input): the errors it shows are "
        "weighed with this machine's facts."
    ),
    metavar="FILE|-",
)
STRICT = Option("--strict", "strict", T("Fail (exit 1) on warnings too."), is_flag=True)
FORCE_OUTPUT = Option(
    "--force", "force", T("Let --output overwrite an existing file."), is_flag=True
)
MATRIX = Option(
    "--matrix",
    "matrix",
    T("A matrix file laid over the bundled ones (repeatable)."),
    kind=Path,
    multiple=True,
)


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
    """The terminal's width (`COLUMNS` where set) for prose; commands are printed whole.

    What shutil.get_terminal_size((100, 24)) says, without importing shutil (~2 ms)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return max(20, columns or 100)


def progress_for(lang: str, *, table: bool) -> contextlib.AbstractContextManager[Optional[Spinner]]:
    """A spinner for slow probes when stderr is a terminal and stdout gets the table."""
    if not (table and sys.stderr.isatty()):
        return contextlib.nullcontext()
    from chipdoctor.progress import Spinner

    return Spinner(sys.stderr, lang=lang)
