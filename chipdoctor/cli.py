"""Command-line entry: parse options, run the pipeline, pick a renderer, return an exit code.

Every error path ends here: bad input -> one line and exit 2, a bug -> one line and exit 3
(the traceback only with --debug), Ctrl-C -> 130.
"""

from __future__ import annotations

import os
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import Optional

import click
import typer

from chipdoctor import __version__
from chipdoctor.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    BadInput,
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Check that PyTorch, the vendor extension, toolkit, driver and Python go together.",
)
matrix_app = typer.Typer(no_args_is_help=True, help="Inspect and validate compatibility matrices.")
app.add_typer(matrix_app, name="matrix")

ISSUES_URL = "https://github.com/chipdoctor/chipdoctor/issues"


class _State:
    debug = False


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


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
    _State.debug = debug


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@app.command()
def check(
    snapshot: Optional[Path] = typer.Option(
        None, "--snapshot", help="Check a snapshot directory instead of this machine."
    ),
    python: Optional[str] = typer.Option(
        None, "--python", help="Inspect the packages of this interpreter or virtualenv python."
    ),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds each command may run."),
    matrix: list[Path] = typer.Option(
        [], "--matrix", help="A matrix file laid over the bundled ones (repeatable)."
    ),
    output_format: OutputFormat = typer.Option(
        OutputFormat.table, "--format", help="Output format."
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 1) on warnings too."),
    lang: Optional[str] = typer.Option(
        None, "--lang", help="en or zh (default: zh when LC_ALL/LC_MESSAGES/LANG start with zh)."
    ),
) -> int:
    """Check this machine (or a snapshot) and report every mismatch with its fix."""
    from chipdoctor.engine import check as run_check
    from chipdoctor.matrix.load import load_matrices

    matrices = load_matrices(matrix)
    evidence = _evidence(snapshot, python, timeout)
    report = run_check(evidence, matrices)
    report.lang = _language(lang)
    if output_format is OutputFormat.json:
        from chipdoctor.report import json as json_report

        _emit(json_report.render(report))
    else:
        from chipdoctor.report import text

        _emit(text.render(report, color=_color(), width=_width()))
    return report.exit_code(strict=strict)


def _language(option: Optional[str]) -> str:
    from chipdoctor.i18n import choose_language

    if option is not None and option.lower().replace("-", "_") not in ("en", "zh", "zh_cn"):
        raise BadInput(f"--lang must be en or zh, not {option!r}")
    return choose_language(option)


def _width() -> int:
    import shutil

    return max(80, min(shutil.get_terminal_size((100, 24)).columns, 160))


def _evidence(snapshot: Optional[Path], python: Optional[str], timeout: float):  # type: ignore[no-untyped-def]
    if snapshot is not None:
        if python is not None:
            raise BadInput("--python and --snapshot cannot be combined")
        from chipdoctor.evidence.snapshot import SnapshotEvidence

        return SnapshotEvidence(snapshot)
    from chipdoctor.evidence.host import HostEvidence

    return HostEvidence(python=python, timeout=timeout)


@app.command()
def snapshot(
    directory: Path = typer.Argument(..., help="Where to write the snapshot (absent or empty)."),
    python: Optional[str] = typer.Option(
        None, "--python", help="Interpreter whose packages to record."
    ),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds each command may run."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty directory."),
) -> int:
    """Record everything the probes read on this machine, for `check --snapshot` elsewhere."""
    from chipdoctor.snapshotting import take_snapshot

    take_snapshot(directory, python=python, timeout=timeout, force=force)
    sys.stderr.write(f"chipdoctor: snapshot written to {directory}\n")
    return EXIT_OK


@matrix_app.command("lint")
def matrix_lint(files: list[Path] = typer.Argument(..., help="Matrix files to validate.")) -> int:
    """Validate matrix files; errors print as FILE:LINE: message."""
    from chipdoctor.matrix.load import load_file

    status = EXIT_OK
    for path in files:
        try:
            matrix = load_file(path)
        except BadInput as exc:
            sys.stdout.write(f"{exc}\n")
            status = EXIT_BAD_INPUT
            continue
        rows = sum(len(t.rows) for t in matrix.tables.values())
        sys.stdout.write(f"{path}: ok ({matrix.stack}: {len(matrix.tables)} tables, {rows} rows)\n")
    return status


@matrix_app.command("show")
def matrix_show(
    stack: str = typer.Argument(..., help="Stack name, e.g. ascend."),
    table: Optional[str] = typer.Option(None, "--table", help="Only this table."),
    matrix: list[Path] = typer.Option(
        [], "--matrix", help="A matrix file laid over the bundled ones."
    ),
) -> int:
    """Print a stack's matrix as tables."""
    from chipdoctor.matrix.load import load_matrices
    from chipdoctor.matrix.show import render

    matrices = load_matrices(matrix)
    if stack not in matrices.stacks:
        known = ", ".join(matrices.stacks) or "none"
        raise BadInput(f"no matrix for stack {stack!r} (known: {known})")
    _emit(render(matrices.get(stack), table=table, color=_color(), width=_width()))
    return EXIT_OK


def main(argv: Optional[list[str]] = None) -> None:
    """Console-script entry point; the only place that maps outcomes to exit codes."""
    try:
        result = app(args=argv, prog_name="chipdoctor", standalone_mode=False)
        code = result if isinstance(result, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = EXIT_BAD_INPUT
    except (click.exceptions.Abort, KeyboardInterrupt):
        sys.stderr.write("chipdoctor: interrupted\n")
        code = EXIT_INTERRUPTED
    except BadInput as exc:
        sys.stderr.write(f"chipdoctor: error: {exc}\n")
        code = EXIT_BAD_INPUT
    except BrokenPipeError:
        code = EXIT_OK
    except Exception as exc:
        if _State.debug or "--debug" in (argv if argv is not None else sys.argv):
            traceback.print_exc()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        sys.stderr.write(
            f"chipdoctor: internal error: {type(exc).__name__}: {exc} "
            f"(at {Path(where.filename).name}:{where.lineno}); this is a bug, please report it "
            f"at {ISSUES_URL} (run with --debug for the traceback)\n"
        )
        code = EXIT_INTERNAL
    sys.exit(code)
