"""Renderers of a plan: a table and numbered steps for people, `chipdoctor-plan/1` JSON for
machines. They return text; the CLI decides where it goes."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from chipdoctor.fix.plan import Plan
from chipdoctor.i18n import T, translate
from chipdoctor.printable import visible
from chipdoctor.report import lines

if TYPE_CHECKING:
    from rich.console import Console

_ACTION_STYLE = {
    "keep": "dim",
    "install": "green",
    "upgrade": "green",
    "downgrade": "yellow",
    "change": "yellow",
}


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_text(plan: Plan, *, color: bool = False, width: int = 100, lang: str = "en") -> str:
    from rich.text import Text

    from chipdoctor.report.console import inert_console

    buffer = io.StringIO()
    console = inert_console(buffer, color=color, width=width)

    def say(text: str) -> str:
        # NOTE: a plan quotes evidence (versions, paths): its control characters are shown
        # escaped, so nothing from a snapshot can drive the terminal or break a line.
        return visible(translate(text, lang), keep="\n")

    resolution = plan.resolution
    pins = ", ".join(p.option for p in resolution.pins) or T("none")
    head = T(
        "chipdoctor {version} · fix plan for {stack} · pins: {pins}",
        version=plan.tool_version,
        stack=plan.stack,
        pins=pins,
    )
    console.print(Text(say(head), style="bold"))
    if plan.data is not None:
        data = plan.data
        line = T(
            "data: {kind}, refreshed {updated} ({path})",
            kind=T("updated") if data.kind == "updated" else T("bundled"),
            updated=data.updated or T("on an unknown date"),
            path=data.path,
        )
        console.print(Text(say(line), style="dim"))
    if not resolution.ok:
        _conflicts(console, say, plan)
        return _strip(buffer.getvalue())
    _changes(console, say, plan)
    for warning in resolution.warnings:
        lines.prose(console, say(T("! not published: {warning}", warning=warning)), indent=0,
                    style="yellow")  # fmt: skip
    _steps(console, say, plan)
    _also(console, say, plan)
    console.print(Text(say(_summary(plan)), style="bold"))
    return _strip(buffer.getvalue())


def _conflicts(console: Console, say: Callable[[str], str], plan: Plan) -> None:
    from rich.padding import Padding
    from rich.text import Text

    conflicts = plan.resolution.conflicts
    # NOTE: a conflict no pin takes part in (no image; a version newer than the data) is not
    # the user's pins' fault, and the lines around it say so
    pinned = any(c.options for c in conflicts)
    head = T("No stack in the matrix satisfies these pins:") if pinned else T("No plan:")
    console.print(Text(say(head), style="bold red"))
    for conflict in conflicts:
        console.print(Padding(Text("✗ " + say(conflict.message)), (0, 0, 0, 2), expand=False))
    foot = (
        T("CONFLICT: drop or change one of the pins above.")
        if pinned
        else T("CONFLICT: nothing was planned (see above).")
    )
    console.print(Text(say(foot), style="bold red"))


def _changes(console: Console, say: Callable[[str], str], plan: Plan) -> None:
    """One row per component: current, target, and why."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, pad_edge=False)
    for name in (T("component"), T("current"), "", T("target"), T("why")):
        table.add_column(say(name), overflow="fold")
    for change in plan.changes:
        action = change.action
        table.add_row(
            Text(visible(change.component)),
            Text(visible(change.current or "-")),
            "→" if action != "keep" else "=",
            Text(visible(change.target or "-"), style=_ACTION_STYLE[action]),
            Text(say(change.reason)),
        )
    console.print(table)


def _steps(console: Console, say: Callable[[str], str], plan: Plan) -> None:
    from rich.text import Text

    if plan.steps:
        console.print()
        console.print(Text(say(T("Steps, in order:")), style="bold"))
    for number, step in enumerate(plan.steps, 1):
        console.print(Text(f"{number}. [{step.kind}] {say(step.title)}"))
        for command in step.commands:
            lines.command(console, visible(command), indent=5)


def _also(console: Console, say: Callable[[str], str], plan: Plan) -> None:
    """The check's findings that are not version problems, with their fixes."""
    from rich.text import Text

    if not plan.also:
        return
    console.print()
    console.print(Text(say(T("Also reported by check (not a version problem):")), style="bold"))
    for finding in plan.also:
        lines.prose(console, f"{visible(finding.id)}: {say(finding.message)}", indent=2)
        for line in say(finding.fix).splitlines():
            lines.fix_line(console, say, line)


def _summary(plan: Plan) -> str:
    if plan.status == "ok":
        return T("OK: the installed stack is already the one to keep.")
    return T(
        "PLAN: {changes} change(s), {steps} step(s).",
        changes=sum(c.action != "keep" for c in plan.changes),
        steps=len(plan.steps),
    )


def _strip(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n"))
