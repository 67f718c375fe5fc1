"""`chipdoctor fleet compare`: many nodes' reports side by side, drift and failed or missing
nodes named (docs/fleet.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from chipdoctor.cli.app import FORCE_OUTPUT, LANG, STRICT, app, emit, language
from chipdoctor.cli.options import Argument, Group, Option
from chipdoctor.errors import EXIT_BAD_INPUT, EXIT_INCOMPATIBLE, EXIT_OK
from chipdoctor.i18n import T

if TYPE_CHECKING:
    from chipdoctor.fleet.compare import Fleet

fleet_app = Group("fleet", T("Judge many nodes' reports together."))
app.add(fleet_app)

FLEET_FORMATS = ("table", "json", "markdown", "junit")


@fleet_app.command(
    "compare",
    T(
        "Compare nodes' reports: versions per component, drift from the majority, nodes with "
        "fewer healthy devices, failed and missing nodes. Exit 0 all agree and pass, 1 drift or "
        "a failed node, 2 an input that is not a report (listed; the others are still compared)."
    ),
    Argument(
        "reports",
        T(
            "chipdoctor-report/1 files (.json or .json.gz), directories of them, or - for "
            "JSON lines on stdin."
        ),
        metavar="REPORT... | DIR | -",
        multiple=True,
    ),
    Option(
        "--format", "output_format", T("Output format."), choices=FLEET_FORMATS, default="table"
    ),
    Option(
        "--expect-nodes",
        "expect_nodes",
        T(
            "The nodes that should have reported: a file of names (one a line) or a Slurm "
            "hostlist expression such as node[01-64]."
        ),
    ),
    STRICT,
    Option(
        "--output",
        "output",
        T("Write the --format output to FILE; the table still goes to stdout."),
        kind=Path,
    ),
    FORCE_OUTPUT,
    LANG,
)
def compare(
    reports: list[str],
    output_format: str,
    expect_nodes: Optional[str],
    strict: bool,
    output: Optional[Path],
    force: bool,
    lang: Optional[str],
) -> int:
    from chipdoctor.fleet.compare import compare as run_compare
    from chipdoctor.fleet.expect import expected_nodes
    from chipdoctor.fleet.inputs import read_all

    chosen = language(lang)
    if output is not None:
        from chipdoctor.delivery import ensure_writable

        ensure_writable(output, force=force)
    expected = expected_nodes(expect_nodes) if expect_nodes is not None else None
    fleet = run_compare(read_all(reports, sys.stdin.buffer), expected)
    text = _render(fleet, output_format, chosen)
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
