"""The table for people: components grouped by stack, devices, then findings with fixes."""

from __future__ import annotations

import io

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from chipdoctor.components import HOST_COMPONENTS, STACK_COMPONENTS, TORCH_COMPONENTS
from chipdoctor.report.model import Component, Report, Severity

_MARK = {
    Severity.ERROR: ("✗", "bold red"),
    Severity.WARNING: ("!", "yellow"),
    Severity.INFO: ("•", "cyan"),
}


def _group(component: Component) -> str:
    if component.id in HOST_COMPONENTS or component.id in TORCH_COMPONENTS:
        return "host"
    for stack, ids in STACK_COMPONENTS.items():
        if component.id in ids:
            return stack
    return "other"


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width,
        highlight=False,
        emoji=False,
    )
    inventory = report.inventory
    stacks = ", ".join(inventory.stacks) or "none found"
    console.print(
        Text(f"chipdoctor {report.tool_version} · accelerator stacks: {stacks}", style="bold")
    )
    table = Table(show_edge=False, pad_edge=False, expand=False)
    table.add_column("stack", style="dim")
    table.add_column("component")
    table.add_column("version", style="bold")
    table.add_column("source", style="dim", overflow="fold")
    groups = ["host", *inventory.stacks, "other"]
    for group in groups:
        for component in inventory.components:
            if _group(component) == group:
                table.add_row(group, component.id, component.version, component.source)
    console.print(table)
    if inventory.devices:
        devices = Table(show_edge=False, pad_edge=False, title=None)
        for name in ("stack", "device", "name", "health"):
            devices.add_column(name)
        for device in inventory.devices:
            style = "" if device.health.upper() in ("OK", "NORMAL") else "yellow"
            devices.add_row(
                device.stack, str(device.index), device.name, Text(device.health, style=style)
            )
        console.print()
        console.print(devices)
    console.print()
    for finding in report.findings:
        mark, style = _MARK[finding.severity]
        head = Text()
        head.append(f"{mark} {finding.severity.value}", style=style)
        head.append(f"  {finding.id}", style="bold")
        console.print(head)
        console.print(Padding(Text(finding.message), (0, 0, 0, 4), expand=False))
        for line in finding.fix.splitlines():
            console.print(Padding(Text("fix: " + line, style="green"), (0, 0, 0, 4), expand=False))
    console.print(Text(_summary(report), style=_MARK[_worst(report)][1] if report.findings else ""))
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


def _worst(report: Report) -> Severity:
    return max((f.severity for f in report.findings), key=lambda s: s.rank, default=Severity.INFO)


def _summary(report: Report) -> str:
    counts = {s: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    if report.status == "ok":
        return "OK: nothing is incompatible."
    parts = [f"{counts[Severity.ERROR]} error(s)", f"{counts[Severity.WARNING]} warning(s)"]
    return ("INCOMPATIBLE: " if report.status == "error" else "WARNINGS: ") + ", ".join(parts)
