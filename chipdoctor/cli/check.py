"""`chipdoctor check`: judge this machine, a snapshot or an image, then gate and deliver."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from chipdoctor.cli.app import (
    FORCE_OUTPUT,
    LANG,
    LOG,
    MATRIX,
    OUTPUT_FORMATS,
    STRICT,
    TIMEOUT,
    State,
    app,
    color,
    emit,
    language,
    progress_for,
    width,
)
from chipdoctor.cli.evidence import evidence_for, interpreter, log_symptoms, note_ignored_keys
from chipdoctor.cli.options import Option
from chipdoctor.errors import BadInput
from chipdoctor.i18n import T

if TYPE_CHECKING:
    from chipdoctor.model import Report
    from chipdoctor.policy.load import Policy
    from chipdoctor.progress import Spinner


@app.command(
    "check",
    T("Check this machine (or a snapshot) and report every mismatch with its fix."),
    Option(
        "--snapshot",
        "snapshot",
        T("Check a snapshot directory instead of this machine."),
        kind=Path,
    ),
    LOG,
    Option(
        "--python", "python", T("Inspect the packages of this interpreter or virtualenv python.")
    ),
    Option(
        "--image",
        "image",
        T(
            "Check a container image (read through the Docker Engine, never started) against "
            "this machine's driver and devices."
        ),
    ),
    TIMEOUT,
    MATRIX,
    Option(
        "--format", "output_format", T("Output format."), choices=OUTPUT_FORMATS, default="table"
    ),
    STRICT,
    Option(
        "--policy",
        "policy",
        T("Policy file (default: .chipdoctor.yaml here, if present)."),
        kind=Path,
    ),
    Option(
        "--require",
        "require",
        T("A version constraint such as 'torch_npu>=2.1' (repeatable)."),
        multiple=True,
    ),
    Option(
        "--output",
        "output",
        T(
            "Write the --format output to FILE, and the table to stdout; '-' writes the "
            "--format output to stdout alone."
        ),
        kind=Path,
        metavar="FILE|-",
    ),
    FORCE_OUTPUT,
    LANG,
    Option(
        "--deep",
        "deep",
        T(
            "Also run a smoke test in a child process: import torch and the vendor extension, "
            "count the devices, allocate and multiply on each."
        ),
        is_flag=True,
    ),
    Option(
        "--deep-timeout",
        "deep_timeout",
        T("Seconds the --deep smoke test may run."),
        kind=float,
        default=120.0,
        minimum=1.0,
    ),
)
def check(
    snapshot: Optional[Path],
    log: Optional[str],
    python: Optional[str],
    image: Optional[str],
    timeout: float,
    matrix: list[Path],
    output_format: str,
    strict: bool,
    policy: Optional[Path],
    require: list[str],
    output: Optional[Path],
    force: bool,
    lang: Optional[str],
    deep: bool,
    deep_timeout: float,
) -> int:
    from chipdoctor.engine import check as run_check
    from chipdoctor.matrix.load import load_matrices

    State.npd = output_format == "npd"
    python = interpreter(python)
    if output == Path("-"):  # as --emit-dockerfile -: the chosen format on stdout, no table
        output = None
    matrices = load_matrices(matrix)
    gate = _policy(policy, require)
    if output is not None:
        from chipdoctor.delivery import ensure_writable

        ensure_writable(output, force=force)
    _refuse_deep_elsewhere(deep, snapshot=snapshot, image=image)
    symptoms = log_symptoms(log) if log is not None else ()
    chosen = language(lang)
    table = output_format == "table" or output is not None
    with contextlib.ExitStack() as scope:
        evidence = evidence_for(snapshot, python, timeout, scope, image=image)
        if log is None and snapshot is not None:
            from chipdoctor.symptoms import recorded

            symptoms = recorded(evidence)
        progress = scope.enter_context(progress_for(chosen, table=table))
        report = run_check(evidence, matrices, observer=progress, symptoms=symptoms)
        if snapshot is not None:
            note_ignored_keys(evidence, report)
        if deep:
            _deep(report, python=python, timeout=deep_timeout, progress=progress)
    report.lang = chosen
    if gate is not None:
        from chipdoctor.policy.apply import apply_policy

        report = apply_policy(report, gate)
        strict = strict or gate.fail_on_warnings
    _deliver(report, output_format, output=output, force=force, strict=strict)
    code = report.exit_code(strict=strict)
    if State.npd:
        from chipdoctor.report.npd import exit_code

        code = exit_code(code)
    return code


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
        emit(render(report, fmt, strict=strict, color=color(), width=width()))
    else:
        from chipdoctor.delivery import write_report

        write_report(
            output, render(report, fmt, strict=strict, color=False, width=100), force=force
        )
        emit(render(report, "table", strict=strict, color=color(), width=width()))
    if fmt == "github":  # the job summary GitHub shows on the run's page
        from chipdoctor.delivery import append_step_summary

        summary = render(report, "markdown", strict=strict, color=False, width=100)
        append_step_summary(summary, os.environ)


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
