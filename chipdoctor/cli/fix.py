"""`chipdoctor fix`: options in, a FixOptions out; the work is in chipdoctor.fix."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from chipdoctor.cli.app import OutputFormat, app, color, language, width
from chipdoctor.cli.evidence import evidence_for
from chipdoctor.errors import BadInput
from chipdoctor.stacks import STACKS

if TYPE_CHECKING:
    from chipdoctor.resolve.pins import Pin


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
    allow_downgrade: bool = typer.Option(
        False,
        "--allow-downgrade",
        help="Plan even when it downgrades a component newer than the data (which it cannot "
        "judge).",
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
        evidence=lambda scope: evidence_for(snapshot, interpreter, timeout, scope),
        matrix=matrix,
        pins=_pins(torch, cann, python, pin),
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
