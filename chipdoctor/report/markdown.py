"""`--format markdown`: the report for an issue, a PR comment or a CI job summary.

GitHub-flavoured Markdown: a components table per stack, devices, then each finding with its
fix in a code block that can be copied as is. Text follows the report's language. Control
characters read from the machine show as visible escapes (`printable.visible`): the same text
is printed to terminals and CI logs.
"""

from __future__ import annotations

import re

from chipdoctor.i18n import T
from chipdoctor.model import Finding, Report, Severity
from chipdoctor.printable import visible
from chipdoctor.report.common import SEVERITY, component_group, data_line, groups, headline

_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}
_STATUS_ICON = {"ok": "✅", "warning": "⚠️", "error": "❌"}
# `<` opens HTML in Markdown; keep the `<https://…>` autolinks messages cite their sources with.
_HTML_OPEN = re.compile(r"<(?!https?://[^\s<>]+>)")


def render(report: Report) -> str:
    say = report.localized
    inventory = report.inventory
    stacks = ", ".join(inventory.stacks) or say(T("none found"))
    heading = T(
        "chipdoctor {version} · accelerator stacks: {stacks}",
        version=report.tool_version,
        stacks=stacks,
    )
    lines = [
        f"## {md_inline(say(heading))}",
        "",
        f"**{_STATUS_ICON[report.status]} {headline(report)}**",
    ]
    data = data_line(report)
    if data is not None:
        lines += ["", f"_{md_inline(data)}_"]
    columns = [say(T(name)) for name in ("component", "version", "source")]
    for group in groups(report):
        components = [c for c in inventory.components if component_group(c.id) == group]
        if components:
            lines += ["", f"### {group}", "", *_table_head(columns)]
            lines += [
                f"| `{visible(c.id)}` | {md_cell(c.version)} | {md_cell(c.source)} |"
                for c in components
            ]
    if inventory.devices:
        title = say(T("Devices"))
        lines += ["", f"### {title}", ""]
        lines += _table_head([say(T(name)) for name in ("stack", "device", "name", "health")])
        lines += [
            f"| {md_cell(d.stack)} | {d.index} | {md_cell(d.name)} | {md_cell(d.health)} |"
            for d in inventory.devices
        ]
    title = say(T("Findings"))
    lines += ["", f"### {title}", ""]
    if not report.findings:
        lines.append(say(T("None.")))
    for finding in report.findings:
        lines += _finding(report, finding)
    return "\n".join(lines).rstrip("\n") + "\n"


def _table_head(columns: list[str]) -> list[str]:
    return ["| " + " | ".join(md_cell(c) for c in columns) + " |", "|" + " --- |" * len(columns)]


def _finding(report: Report, finding: Finding) -> list[str]:
    say = report.localized
    severity = say(SEVERITY[finding.severity])
    message = md_inline(say(finding.message))
    out = [f"- {_ICON[finding.severity]} **{severity}** `{visible(finding.id)}`: {message}"]
    fix = say(finding.fix)
    if fix:
        fence = _fence(fix)
        # "fix: {line}" with an empty line is the table's own "fix:" label, translated.
        label = say(T("fix: {line}", line="")).strip()
        lines = [f"  {visible(line)}" for line in fix.splitlines()]
        out += ["", f"  {label}", "", f"  {fence}", *lines]
        out += [f"  {fence}", ""]
    return out


def md_inline(text: str) -> str:
    """A message on Markdown lines: its own line breaks as `<br>`, other controls visible."""
    return _HTML_OPEN.sub("&lt;", visible(text, keep="\n")).replace("\n", "<br>")


def md_cell(text: str) -> str:
    """A table cell: a `|` inside would end the cell."""
    return md_inline(text).replace("|", "\\|")


def _fence(text: str) -> str:
    """A backtick fence longer than any backtick run inside the text."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)
