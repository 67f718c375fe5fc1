"""The table for people: components grouped by stack, devices, then findings with fixes.

Everything read from the machine reaches a terminal here, so every such string goes through
`printable.visible`: an escape sequence in a version or a device name shows as `\x1b…` and
cannot retitle the window, clear the screen or hide text.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from chipdoctor.i18n import T
from chipdoctor.model import NOTE_PREFIX, Report, Severity
from chipdoctor.printable import visible
from chipdoctor.report import lines
from chipdoctor.report.common import SEVERITY, component_group, headline

_MARK = {
    Severity.ERROR: ("✗", "bold red"),
    Severity.WARNING: ("!", "yellow"),
    Severity.INFO: ("•", "cyan"),
}


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    buffer = io.StringIO()
    # NOTE: markup off: text from evidence and matrices is printed as it is, never parsed as
    # rich markup ("[bold red]…" in a version string would otherwise style or hide text).
    console = Console(
        markup=False,
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width,
        highlight=False,
        emoji=False,
    )
    inventory = report.inventory
    say = report.localized
    stacks = visible(", ".join(inventory.stacks)) or say(T("none found"))
    heading = T(
        "chipdoctor {version} · accelerator stacks: {stacks}",
        version=report.tool_version,
        stacks=stacks,
    )
    console.print(Text(say(heading), style="bold"))
    console.print(_components_table(report))
    if inventory.devices:
        console.print()
        console.print(_devices_table(report))
    if report.smoke:
        console.print()
        console.print(Text(say(T("Smoke test (--deep)")), style="bold"))
        console.print(_smoke_table(report))
    console.print()
    _findings(console, report)
    for key, note in sorted(inventory.facts.items()):
        if key.startswith(NOTE_PREFIX):
            console.print(Text(say(T("note: {note}", note=visible(note))), style="dim"))
    summary = headline(report)
    console.print(Text(summary, style=_MARK[_worst(report)][1] if report.findings else ""))
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


def _components_table(report: Report) -> Table:
    """Components grouped: the host's first, then each stack's, then the rest."""
    inventory = report.inventory
    say = report.localized
    table = Table(show_edge=False, pad_edge=False, expand=False)
    table.add_column(say(T("stack")), style="dim")
    table.add_column(say(T("component")))
    table.add_column(say(T("version")), style="bold")
    table.add_column(say(T("source")), style="dim", overflow="fold")
    groups = ["host", *inventory.stacks, "other"]
    for group in groups:
        for component in inventory.components:
            if component_group(component.id) == group:
                table.add_row(
                    group,
                    visible(component.id),
                    visible(component.version),
                    visible(component.source),
                )
    return table


def _devices_table(report: Report) -> Table:
    say = report.localized
    devices = Table(show_edge=False, pad_edge=False, title=None)
    for name in (T("stack"), T("device"), T("name"), T("health")):
        devices.add_column(say(name))
    for device in report.inventory.devices:
        style = "" if device.health.upper() in ("OK", "NORMAL") else "yellow"
        devices.add_row(
            visible(device.stack),
            str(device.index),
            visible(device.name),
            Text(visible(device.health), style=style),
        )
    return devices


def _findings(console: Console, report: Report) -> None:
    """Each finding with its fix, less the passed smoke-test steps the smoke table shows."""
    say = report.localized
    # A passed smoke-test step is already a row of its table.
    tabled = {f"deep.{step.step}" for step in report.smoke if step.result == "passed"}
    for finding in report.findings:
        if finding.id in tabled and finding.severity is Severity.INFO:
            continue
        mark, style = _MARK[finding.severity]
        head = Text()
        head.append(f"{mark} {say(SEVERITY[finding.severity])}", style=style)
        head.append(f"  {visible(finding.id)}", style="bold")
        console.print(head)
        message = visible(say(finding.message), keep="\n")
        lines.prose(console, message)
        for line in say(finding.fix).splitlines():
            lines.fix_line(console, say, visible(line))


_SMOKE_RESULT = {
    "passed": ("✓", "green", T("passed")),
    "failed": ("✗", "bold red", T("failed")),
    "timed out": ("✗", "bold red", T("timed out")),
    "crashed": ("✗", "bold red", T("crashed")),
    "skipped": ("•", "cyan", T("skipped")),
}


def _smoke_table(report: Report) -> Table:
    say = report.localized
    table = Table(show_edge=False, pad_edge=False, expand=False)
    for name in (T("step"), T("result"), T("time"), T("detail")):
        table.add_column(say(name))
    for step in report.smoke:
        mark, style, result = _SMOKE_RESULT.get(step.result, ("•", "", step.result))
        seconds = "" if step.seconds is None else f"{step.seconds:.2f} s"
        table.add_row(
            visible(step.step),
            Text(f"{mark} {visible(say(result))}", style=style),
            seconds,
            visible(say(step.detail), keep="\n"),
        )
    return table


def _worst(report: Report) -> Severity:
    return max((f.severity for f in report.findings), key=lambda s: s.rank, default=Severity.INFO)
