"""`chipdoctor fleet compare`: many nodes' reports side by side, drift and failed or missing
nodes named (docs/fleet.md)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from chipdoctor.cli.app import app, emit, language
from chipdoctor.errors import EXIT_BAD_INPUT, EXIT_INCOMPATIBLE, EXIT_OK

if TYPE_CHECKING:
    from chipdoctor.fleet.compare import Fleet

fleet_app = typer.Typer(no_args_is_help=True, help="Judge many nodes' reports together.")
app.add_typer(fleet_app, name="fleet")


class FleetFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    junit = "junit"


@fleet_app.command("compare")
def compare(
    reports: list[str] = typer.Argument(
        ...,
        metavar="REPORT... | DIR | -",
        help="chipdoctor-report/1 files (.json or .json.gz), directories of them, or - for "
        "JSON lines on stdin.",
    ),
    output_format: FleetFormat = typer.Option(FleetFormat.table, "--format", help="Output format."),
    expect_nodes: Optional[str] = typer.Option(
        None,
        "--expect-nodes",
        help="The nodes that should have reported: a file of names (one a line) or a Slurm "
        "hostlist expression such as node[01-64].",
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 1) on warnings too."),
    output: Optional[Path] = typer.Option(
        None, "--output", help="Write the --format output to FILE; the table still goes to stdout."
    ),
    force: bool = typer.Option(False, "--force", help="Let --output overwrite an existing file."),
    lang: Optional[str] = typer.Option(None, "--lang", help="en or zh."),
) -> int:
    """Compare nodes' reports: versions per component, drift from the majority, nodes with
    fewer healthy devices, failed and missing nodes. Exit 0 all agree and pass, 1 drift or a
    failed node, 2 an input that is not a report (listed; the others are still compared)."""
    from chipdoctor.fleet.compare import compare as run_compare
    from chipdoctor.fleet.expect import expected_nodes
    from chipdoctor.fleet.inputs import read_all

    chosen = language(lang)
    if output is not None:
        from chipdoctor.delivery import ensure_writable

        ensure_writable(output, force=force)
    expected = expected_nodes(expect_nodes) if expect_nodes is not None else None
    fleet = run_compare(read_all(reports, sys.stdin.buffer), expected)
    text = _render(fleet, output_format.value, chosen)
    if output is None:
        emit(text)
    else:
        from chipdoctor.delivery import write_report

        write_report(output, text, force=force)
        emit(_render(fleet, "table", chosen))
    if fleet.unreadable:
        return EXIT_BAD_INPUT
    if fleet.status == "error" or (strict and fleet.status == "warning"):
        return EXIT_INCOMPATIBLE
    return EXIT_OK


def _render(fleet: Fleet, fmt: str, lang: str) -> str:
    from chipdoctor.fleet import render

    if fmt == "json":
        return render.render_json(fleet)
    if fmt == "markdown":
        return render.render_markdown(fleet, lang)
    if fmt == "junit":
        return render.render_junit(fleet, lang)
    return render.render_table(fleet, lang)
