"""Command-line entry: parse options, run the pipeline, pick a renderer, return an exit code.

Every error path ends here: bad input -> one line and exit 2, a bug -> one line and exit 3
(the traceback only with --debug), SIGINT -> 130, SIGTERM -> 143.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Optional

import click

from chipdoctor.cli import check, fix, fleet, matrix, snapshot  # noqa: F401  (each registers its command)
from chipdoctor.cli.app import ISSUES_URL, OutputFormat, State, app
from chipdoctor.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    BadInput,
    Stopped,
)
from chipdoctor.printable import visible

__all__ = ["OutputFormat", "main"]


def main(argv: Optional[list[str]] = None) -> None:
    """Console-script entry point; the only place that maps outcomes to exit codes.

    SIGINT and SIGTERM unwind the command (its temporary directories go), then every tool
    still running is killed: exit 130 / 143 with one line.
    """
    from chipdoctor.evidence.process import stop_all, stop_on_signals

    restore = stop_on_signals()
    try:
        code = _exit_code(argv)
    except Stopped as exc:
        stop_all()
        sys.stderr.write(f"chipdoctor: {exc.message}\n")
        code = exc.exit_code
    finally:
        restore()
    sys.exit(code)


def _exit_code(argv: Optional[list[str]]) -> int:
    State.npd = False
    code = _run(argv)
    if State.npd and code == EXIT_INTERNAL:
        code = EXIT_BAD_INPUT  # Node Problem Detector's Unknown
    return code


def _run(argv: Optional[list[str]]) -> int:
    try:
        result = app(args=argv, prog_name="chipdoctor", standalone_mode=False)
        code = result if isinstance(result, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = EXIT_BAD_INPUT
    except (click.exceptions.Abort, KeyboardInterrupt):
        from chipdoctor.evidence.process import stop_all

        stop_all()
        sys.stderr.write("chipdoctor: interrupted\n")
        code = EXIT_INTERRUPTED
    except BadInput as exc:
        # NOTE: a message quotes input (paths, values): escaped, it stays one line and inert.
        sys.stderr.write(f"chipdoctor: error: {visible(str(exc))}\n")
        _unknown_to_npd(f"error: {exc}")
        code = EXIT_BAD_INPUT
    except BrokenPipeError:
        code = EXIT_OK
    except Exception as exc:
        if State.debug or "--debug" in (argv if argv is not None else sys.argv):
            traceback.print_exc()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        sys.stderr.write(
            f"chipdoctor: internal error: {type(exc).__name__}: {visible(str(exc))} "
            f"(at {Path(where.filename).name}:{where.lineno}); this is a bug, please report it "
            f"at {ISSUES_URL} (run with --debug for the traceback)\n"
        )
        _unknown_to_npd(f"internal error: {type(exc).__name__}: {exc}")
        code = EXIT_INTERNAL
    return code


def _unknown_to_npd(message: str) -> None:
    """NPD shows a plugin's stdout as the condition's message: say why the node is Unknown."""
    if State.npd:
        from chipdoctor.report.npd import one_line

        sys.stdout.write(one_line(f"chipdoctor could not check this node: {message}") + "\n")
