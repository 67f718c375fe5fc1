"""`chipdoctor fix`: options in, a FixOptions out; the work is in chipdoctor.fix."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from chipdoctor.cli.app import LANG, LOG, MATRIX, TIMEOUT, app, color, language, width
from chipdoctor.cli.evidence import evidence_for, interpreter, log_symptoms
from chipdoctor.cli.options import Option
from chipdoctor.i18n import T
from chipdoctor.stacks import STACKS

if TYPE_CHECKING:
    from chipdoctor.resolve.pins import Pin

#: `fix --python 3.10`, the pin's spelling before `--python` named an interpreter everywhere.
_VERSION = re.compile(r"\d+(\.\d+)*")

#: What `fix` prints: its own choices, so `fix --help` lists no format it refuses.
FIX_FORMATS = ("table", "json")


@app.command(
    "fix",
    T("Resolve the nearest compatible stack, print the plan, write container recipes."),
    Option(
        "--snapshot",
        "snapshot",
        T("Plan for a snapshot directory instead of this machine."),
        kind=Path,
    ),
    LOG,
    Option("--python", "python", T("Inspect the packages of this interpreter or virtualenv.")),
    Option("--interpreter", "old_interpreter", T("Deprecated: --python."), hidden=True),
    TIMEOUT,
    MATRIX,
    Option("--torch", "torch", T("Pin torch (a prefix: 2.4).")),
    Option("--cann", "cann", T("Pin the CANN toolkit (8.0.RC3).")),
    Option(
        "--pin",
        "pin",
        T("Pin any component: component=version, e.g. python=3.10 (repeatable)."),
        multiple=True,
    ),
    Option(
        "--stack",
        "stack",
        T("The stack to resolve: {stacks} (default: the one found).", stacks=", ".join(STACKS)),
    ),
    Option(
        "--keep-driver",
        "keep_driver",
        T("Never change the installed driver: a conflict instead."),
        is_flag=True,
    ),
    Option(
        "--allow-downgrade",
        "allow_downgrade",
        T("Plan even when it downgrades a component newer than the data (which it cannot judge)."),
        is_flag=True,
    ),
    Option(
        "--chip",
        "chip",
        T("NPU series for package names and image tags (910b, a3, 310p, 910)."),
    ),
    Option("--format", "output_format", T("Output format."), choices=FIX_FORMATS, default="table"),
    Option(
        "--emit-dockerfile",
        "emit_dockerfile",
        T("Write a Dockerfile for the stack."),
        metavar="PATH|-",
    ),
    Option(
        "--emit-apptainer", "emit_apptainer", T("Write an Apptainer definition."), metavar="PATH|-"
    ),
    Option(
        "--wheelhouse",
        "wheelhouse",
        T("Install from these local wheels (offline build)."),
        kind=Path,
    ),
    Option("--force", "force", T("Overwrite existing recipe files."), is_flag=True),
    Option("--build", "build", T("Build the Dockerfile through the Docker Engine."), is_flag=True),
    Option("--tag", "tag", T("Tag for --build.")),
    LANG,
)
def fix(
    snapshot: Optional[Path],
    log: Optional[str],
    python: Optional[str],
    old_interpreter: Optional[str],
    timeout: float,
    matrix: list[Path],
    torch: Optional[str],
    cann: Optional[str],
    pin: list[str],
    stack: Optional[str],
    keep_driver: bool,
    allow_downgrade: bool,
    chip: Optional[str],
    output_format: str,
    emit_dockerfile: Optional[str],
    emit_apptainer: Optional[str],
    wheelhouse: Optional[Path],
    force: bool,
    build: bool,
    tag: Optional[str],
    lang: Optional[str],
) -> int:
    from chipdoctor.fix.command import FixOptions, run_fix

    python, pin = _deprecated(python, old_interpreter, pin)
    python = interpreter(python)
    options = FixOptions(
        evidence=lambda scope: evidence_for(snapshot, python, timeout, scope),
        symptoms=log_symptoms(log) if log is not None else (),
        matrix=matrix,
        pins=_pins(torch, cann, pin),
        stack=stack,
        keep_driver=keep_driver,
        allow_downgrade=allow_downgrade,
        chip=chip,
        output_format=output_format,
        emit_dockerfile=emit_dockerfile,
        emit_apptainer=emit_apptainer,
        wheelhouse=wheelhouse,
        force=force,
        build=build,
        tag=tag,
        lang=language(lang),
        color=color(),
        width=width(),
    )
    return run_fix(options, sys.stdout, sys.stderr)


def _deprecated(
    python: Optional[str], old_interpreter: Optional[str], pin: list[str]
) -> tuple[Optional[str], list[str]]:
    """`--interpreter PY` is `--python PY`; `--python 3.10`, a version and no file, is the
    Python pin `--pin python=3.10`. Each still works, with one line on stderr."""
    if old_interpreter is not None:
        sys.stderr.write("chipdoctor: warning: --interpreter is deprecated: write --python\n")
        python = python or old_interpreter
    if python is not None and _VERSION.fullmatch(python) and not Path(python).exists():
        sys.stderr.write(
            f"chipdoctor: warning: fix --python {python} as a version pin is deprecated: "
            f"write --pin python={python} (--python names an interpreter)\n"
        )
        return None, [f"python={python}", *pin]
    return python, pin


def _pins(torch: Optional[str], cann: Optional[str], pin: list[str]) -> list[Pin]:
    """--torch and --cann, then each --pin component=version."""
    from chipdoctor.resolve.pins import parse_generic, parse_pin

    pins = [
        parse_pin(component, value, f"--{component} {value}")
        for component, value in (("torch", torch), ("cann", cann))
        if value is not None
    ]
    pins += [parse_generic(spec) for spec in pin]
    return pins
