"""`chipdoctor fix`: options in, a FixOptions out; the work is in chipdoctor.fix."""

from __future__ import annotations

import re
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from chipdoctor.cli.app import app, color, language, width
from chipdoctor.cli.evidence import evidence_for, interpreter
from chipdoctor.stacks import STACKS

if TYPE_CHECKING:
    from chipdoctor.resolve.pins import Pin

#: `fix --python 3.10`, the pin's spelling before `--python` named an interpreter everywhere.
_VERSION = re.compile(r"\d+(\.\d+)*")


class FixFormat(str, Enum):
    """What `fix` prints: its own choices, so `fix --help` lists no format it refuses."""

    table = "table"
    json = "json"


@app.command()
def fix(
    snapshot: Optional[Path] = typer.Option(
        None, "--snapshot", help="Plan for a snapshot directory instead of this machine."
    ),
    python: Optional[str] = typer.Option(
        None, "--python", help="Inspect the packages of this interpreter or virtualenv."
    ),
    old_interpreter: Optional[str] = typer.Option(
        None, "--interpreter", hidden=True, help="Deprecated: --python."
    ),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds each command may run."),
    matrix: list[Path] = typer.Option(
        [], "--matrix", help="A matrix file laid over the bundled ones (repeatable)."
    ),
    torch: Optional[str] = typer.Option(None, "--torch", help="Pin torch (a prefix: 2.4)."),
    cann: Optional[str] = typer.Option(None, "--cann", help="Pin the CANN toolkit (8.0.RC3)."),
    pin: list[str] = typer.Option(
        [],
        "--pin",
        help="Pin any component: component=version, e.g. python=3.10 (repeatable).",
    ),
    stack: Optional[str] = typer.Option(
        None, "--stack", help=f"The stack to resolve: {', '.join(STACKS)} (default: the one found)."
    ),
    keep_driver: bool = typer.Option(
        False, "--keep-driver", help="Never change the installed driver: a conflict instead."
    ),
    allow_downgrade: bool = typer.Option(
        False,
        "--allow-downgrade",
        help="Plan even when it downgrades a component newer than the data (which it cannot "
        "judge).",
    ),
    chip: Optional[str] = typer.Option(
        None, "--chip", help="NPU series for package names and image tags (910b, a3, 310p, 910)."
    ),
    output_format: FixFormat = typer.Option(FixFormat.table, "--format", help="Output format."),
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

    python, pin = _deprecated(python, old_interpreter, pin)
    python = interpreter(python)
    options = FixOptions(
        evidence=lambda scope: evidence_for(snapshot, python, timeout, scope),
        matrix=matrix,
        pins=_pins(torch, cann, pin),
        stack=stack,
        keep_driver=keep_driver,
        allow_downgrade=allow_downgrade,
        chip=chip,
        output_format=output_format.value,
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
