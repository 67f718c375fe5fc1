"""Command-line entry: parse options, run the pipeline, pick a renderer, return an exit code.

Every error path ends here: bad input -> one line and exit 2, a bug -> one line and exit 3
(the traceback only with --debug), SIGINT -> 130, SIGTERM -> 143.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import click
import typer

from chipdoctor import __version__
from chipdoctor.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    BadInput,
    Stopped,
)
from chipdoctor.printable import visible
from chipdoctor.stacks import STACKS

if TYPE_CHECKING:
    from chipdoctor.evidence.base import Evidence
    from chipdoctor.model import Report
    from chipdoctor.policy.load import Policy
    from chipdoctor.progress import Spinner
    from chipdoctor.resolve.pins import Pin

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
    junit = "junit"
    github = "github"
    markdown = "markdown"


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
    image: Optional[str] = typer.Option(
        None,
        "--image",
        help="Check a container image (read through the Docker Engine, never started) against "
        "this machine's driver and devices.",
    ),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds each command may run."),
    matrix: list[Path] = typer.Option(
        [], "--matrix", help="A matrix file laid over the bundled ones (repeatable)."
    ),
    output_format: OutputFormat = typer.Option(
        OutputFormat.table, "--format", help="Output format."
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 1) on warnings too."),
    policy: Optional[Path] = typer.Option(
        None, "--policy", help="Policy file (default: .chipdoctor.yaml here, if present)."
    ),
    require: list[str] = typer.Option(
        [], "--require", help="A version constraint such as 'torch_npu>=2.1' (repeatable)."
    ),
    output: Optional[Path] = typer.Option(
        None, "--output", help="Write the --format output to FILE; the table still goes to stdout."
    ),
    force: bool = typer.Option(False, "--force", help="Let --output overwrite an existing file."),
    lang: Optional[str] = typer.Option(
        None, "--lang", help="en or zh (default: zh when LC_ALL/LC_MESSAGES/LANG start with zh)."
    ),
    deep: bool = typer.Option(
        False,
        "--deep",
        help="Also run a smoke test in a child process: import torch and the vendor extension, "
        "count the devices, allocate and multiply on each.",
    ),
    deep_timeout: float = typer.Option(
        120.0, "--deep-timeout", min=1.0, help="Seconds the --deep smoke test may run."
    ),
) -> int:
    """Check this machine (or a snapshot) and report every mismatch with its fix."""
    from chipdoctor.engine import check as run_check
    from chipdoctor.matrix.load import load_matrices

    matrices = load_matrices(matrix)
    gate = _policy(policy, require)
    if output is not None:
        from chipdoctor.delivery import ensure_writable

        ensure_writable(output, force=force)
    _refuse_deep_elsewhere(deep, snapshot=snapshot, image=image)
    language = _language(lang)
    table = output_format is OutputFormat.table or output is not None
    with contextlib.ExitStack() as scope:
        evidence = _evidence(snapshot, python, timeout, scope, image=image)
        progress = scope.enter_context(_progress(language, table=table))
        report = run_check(evidence, matrices, observer=progress)
        if snapshot is not None:
            _note_ignored_keys(evidence, report)
        if deep:
            _deep(report, python=python, timeout=deep_timeout, progress=progress)
    report.lang = language
    if gate is not None:
        from chipdoctor.policy.apply import apply_policy

        report = apply_policy(report, gate)
        strict = strict or gate.fail_on_warnings
    _deliver(report, output_format.value, output=output, force=force, strict=strict)
    return report.exit_code(strict=strict)


def _refuse_deep_elsewhere(deep: bool, *, snapshot: Optional[Path], image: Optional[str]) -> None:
    """--deep imports torch here: it cannot check a snapshot or an image."""
    if deep and snapshot is not None:
        raise BadInput("--deep runs on this machine and cannot be combined with --snapshot")
    if deep and image is not None:
        raise BadInput("--deep runs on this machine and cannot be combined with --image")


def _policy(path: Optional[Path], require: list[str]) -> Optional[Policy]:
    """The policy to gate on: --policy or ./.chipdoctor.yaml, plus --require; None if none."""
    from chipdoctor.policy import DEFAULT_FILE

    if path is None and not require and not os.path.lexists(DEFAULT_FILE):
        return None  # the common case costs one stat, no imports
    from chipdoctor.policy.load import load_policy, parse_require

    return load_policy(path).with_requires([parse_require(text) for text in require])


def _deliver(
    report: Report, fmt: str, *, output: Optional[Path], force: bool, strict: bool
) -> None:
    """Stdout gets the chosen format, or the table when --output takes the format to a file."""
    from chipdoctor.report.formats import render

    if output is None:
        _emit(render(report, fmt, strict=strict, color=_color(), width=_width()))
    else:
        from chipdoctor.delivery import write_report

        write_report(
            output, render(report, fmt, strict=strict, color=False, width=100), force=force
        )
        _emit(render(report, "table", strict=strict, color=_color(), width=_width()))
    if fmt == "github":  # the job summary GitHub shows on the run's page
        from chipdoctor.delivery import append_step_summary

        summary = render(report, "markdown", strict=strict, color=False, width=100)
        append_step_summary(summary, os.environ)


def _language(option: Optional[str]) -> str:
    from chipdoctor.i18n import choose_language

    if option is not None and option.lower().replace("-", "_") not in ("en", "zh", "zh_cn"):
        raise BadInput(f"--lang must be en or zh, not {option!r}")
    return choose_language(option)


def _width() -> int:
    import shutil

    return max(80, min(shutil.get_terminal_size((100, 24)).columns, 160))


def _progress(lang: str, *, table: bool) -> contextlib.AbstractContextManager[Optional[Spinner]]:
    """A spinner for slow probes when stderr is a terminal and stdout gets the table."""
    if not (table and sys.stderr.isatty()):
        return contextlib.nullcontext()
    from chipdoctor.progress import Spinner

    return Spinner(sys.stderr, lang=lang)


def _deep(
    report: Report, *, python: Optional[str], timeout: float, progress: Optional[Spinner]
) -> None:
    from chipdoctor.smoke import run_deep

    if progress is not None:
        progress.started("smoke test")
    try:
        run_deep(report, python=python, timeout=timeout)
    finally:
        if progress is not None:
            progress.finished("smoke test")


def _evidence(
    snapshot: Optional[Path],
    python: Optional[str],
    timeout: float,
    scope: contextlib.ExitStack,
    *,
    image: Optional[str] = None,
) -> Evidence:
    """Where to look; an archive given to --snapshot is extracted for as long as `scope` lasts,
    an image's container exists as long as it does."""
    if image is not None:
        if snapshot is not None or python is not None:
            raise BadInput("--image cannot be combined with --snapshot or --python")
        return _image_evidence(image, timeout, scope)
    if snapshot is not None:
        if python is not None:
            raise BadInput("--python and --snapshot cannot be combined")
        from chipdoctor.evidence.archive import snapshot_directory
        from chipdoctor.evidence.snapshot import SnapshotEvidence

        return SnapshotEvidence(scope.enter_context(snapshot_directory(snapshot)))
    from chipdoctor.evidence.host import HostEvidence

    return HostEvidence(python=python, timeout=timeout)


def _note_ignored_keys(evidence: Evidence, report: Report) -> None:
    """A /3 snapshot's keys this chipdoctor does not know are ignored, and the table says so."""
    from chipdoctor.evidence.snapshot import SnapshotEvidence
    from chipdoctor.i18n import T
    from chipdoctor.model import NOTE_PREFIX

    if isinstance(evidence, SnapshotEvidence) and evidence.ignored:
        report.inventory.facts[f"{NOTE_PREFIX}snapshot-keys"] = T(
            "This snapshot has keys this chipdoctor does not know ({keys}): a newer "
            "chipdoctor wrote it, and they were ignored.",
            keys=", ".join(evidence.ignored),
        )


def _image_evidence(image: str, timeout: float, scope: contextlib.ExitStack) -> Evidence:
    """The image's files and Python, with the host paths its `docker run` line mounts."""
    from chipdoctor.container.engine import connect
    from chipdoctor.evidence.combined import ImageOnHostEvidence
    from chipdoctor.evidence.host import HostEvidence
    from chipdoctor.evidence.image import ImageEvidence
    from chipdoctor.recipes.data import mounts

    client = connect()
    scope.callback(client.close)
    inner = scope.enter_context(ImageEvidence(client, image))
    volumes = [pair for layout in mounts().values() for pair in layout.host_paths()]
    devices = [device for layout in mounts().values() for device in layout.devices]
    return ImageOnHostEvidence(inner, HostEvidence(timeout=timeout), volumes, devices)


@app.command()
def fix(
    snapshot: Optional[Path] = typer.Option(
        None, "--snapshot", help="Plan for a snapshot directory instead of this machine."
    ),
    interpreter: Optional[str] = typer.Option(
        None, "--interpreter", help="Inspect the packages of this interpreter or virtualenv python."
    ),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds each command may run."),
    matrix: list[Path] = typer.Option(
        [], "--matrix", help="A matrix file laid over the bundled ones (repeatable)."
    ),
    torch: Optional[str] = typer.Option(None, "--torch", help="Pin torch (a prefix: 2.4)."),
    cann: Optional[str] = typer.Option(None, "--cann", help="Pin the CANN toolkit (8.0.RC3)."),
    python: Optional[str] = typer.Option(None, "--python", help="Pin Python (3.10)."),
    pin: list[str] = typer.Option(
        [], "--pin", help="Pin any component: component=version (repeatable)."
    ),
    stack: Optional[str] = typer.Option(
        None, "--stack", help=f"The stack to resolve: {', '.join(STACKS)} (default: the one found)."
    ),
    keep_driver: bool = typer.Option(
        False, "--keep-driver", help="Never change the installed driver: a conflict instead."
    ),
    chip: Optional[str] = typer.Option(
        None, "--chip", help="NPU series for package names and image tags (910b, a3, 310p, 910)."
    ),
    output_format: OutputFormat = typer.Option(
        OutputFormat.table, "--format", help="Output format: table or json."
    ),
    emit_dockerfile: Optional[str] = typer.Option(
        None, "--emit-dockerfile", metavar="PATH|-", help="Write a Dockerfile for the stack."
    ),
    emit_apptainer: Optional[str] = typer.Option(
        None, "--emit-apptainer", metavar="PATH|-", help="Write an Apptainer definition."
    ),
    wheelhouse: Optional[Path] = typer.Option(
        None, "--wheelhouse", help="Install from these local wheels (offline build)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite existing recipe files."),
    build: bool = typer.Option(
        False, "--build", help="Build the Dockerfile through the Docker Engine."
    ),
    tag: Optional[str] = typer.Option(None, "--tag", help="Tag for --build."),
    lang: Optional[str] = typer.Option(
        None, "--lang", help="en or zh (default: zh when LC_ALL/LC_MESSAGES/LANG start with zh)."
    ),
) -> int:
    """Resolve the nearest compatible stack, print the plan, write container recipes."""
    from chipdoctor.fix.command import FixOptions, run_fix

    if output_format not in (OutputFormat.table, OutputFormat.json):
        raise BadInput("fix --format: table or json")
    options = FixOptions(
        evidence=lambda scope: _evidence(snapshot, interpreter, timeout, scope),
        matrix=matrix,
        pins=_pins(torch, cann, python, pin),
        stack=stack,
        keep_driver=keep_driver,
        chip=chip,
        output_format=output_format.value,
        emit_dockerfile=emit_dockerfile,
        emit_apptainer=emit_apptainer,
        wheelhouse=wheelhouse,
        force=force,
        build=build,
        tag=tag,
        lang=_language(lang),
        color=_color(),
        width=_width(),
    )
    return run_fix(options, sys.stdout, sys.stderr)


def _pins(
    torch: Optional[str], cann: Optional[str], python: Optional[str], pin: list[str]
) -> list[Pin]:
    """--torch, --cann and --python, then each --pin component=version."""
    from chipdoctor.resolve.pins import parse_generic, parse_pin

    pins = [
        parse_pin(component, value, f"--{name} {value}")
        for name, component, value in (
            ("torch", "torch", torch),
            ("cann", "cann", cann),
            ("python", "python", python),
        )
        if value is not None
    ]
    pins += [parse_generic(spec) for spec in pin]
    return pins


@app.command()
def snapshot(
    directory: Path = typer.Argument(..., help="Where to write the snapshot (absent or empty)."),
    python: Optional[str] = typer.Option(
        None, "--python", help="Interpreter whose packages to record."
    ),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds each command may run."),
    force: bool = typer.Option(
        False, "--force", help="Write into a non-empty directory (and replace the archive)."
    ),
    archive: bool = typer.Option(
        False, "--archive", help="Also pack the snapshot into DIR.tar.gz (or ARCHIVE) to attach."
    ),
    archive_file: Optional[Path] = typer.Argument(
        None, metavar="[ARCHIVE]", help="With --archive: the .tar.gz to write (default DIR.tar.gz)."
    ),
) -> int:
    """Record everything the probes read on this machine, for `check --snapshot` elsewhere."""
    from chipdoctor.snapshotting import take_snapshot

    target = None
    if archive_file is not None and not archive:
        raise BadInput(f"{archive_file}: an archive name needs --archive")
    if archive:
        from chipdoctor.evidence.archive import check_target, default_archive, pack

        target = archive_file or default_archive(directory)
        check_target(target, force=force)
    with _progress(_language(None), table=True) as progress:
        take_snapshot(directory, python=python, timeout=timeout, force=force, observer=progress)
    if target is None:
        sys.stderr.write(f"chipdoctor: snapshot written to {directory}\n")
        return EXIT_OK
    pack(directory, target, force=force)
    sys.stderr.write(f"chipdoctor: snapshot written to {directory} and packed into {target}\n")
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
        code = EXIT_BAD_INPUT
    except BrokenPipeError:
        code = EXIT_OK
    except Exception as exc:
        if _State.debug or "--debug" in (argv if argv is not None else sys.argv):
            traceback.print_exc()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        sys.stderr.write(
            f"chipdoctor: internal error: {type(exc).__name__}: {visible(str(exc))} "
            f"(at {Path(where.filename).name}:{where.lineno}); this is a bug, please report it "
            f"at {ISSUES_URL} (run with --debug for the traceback)\n"
        )
        code = EXIT_INTERNAL
    return code
