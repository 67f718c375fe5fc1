"""`--format github`: GitHub Actions workflow commands, one annotation per finding.

`::error title=<id>::<message> fix: <fix>` (and `::warning`, `::notice`), the inventory in a
collapsed log group, and the table's last line. The Markdown job summary is the `markdown`
renderer's output; the CLI appends it to `$GITHUB_STEP_SUMMARY`.
"""

from __future__ import annotations

from chipdoctor.i18n import T
from chipdoctor.model import Finding, Report, Severity
from chipdoctor.printable import visible
from chipdoctor.report.common import headline

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(report: Report) -> str:
    lines = ["::group::chipdoctor inventory"]
    # NOTE: every plain line starts with fixed text and its fields are escaped, so nothing read
    # from the machine (a version, a path) can start a line with `::` and inject a command.
    lines += [
        f"component {escape_data(c.id)} {escape_data(c.version)} ({escape_data(c.source)})"
        for c in report.inventory.components
    ]
    lines += [
        f"device {escape_data(d.stack)} {d.index} {escape_data(d.name)} {escape_data(d.health)}"
        for d in report.inventory.devices
    ]
    lines.append("::endgroup::")
    lines += [annotation(report, finding) for finding in report.findings]
    lines.append(f"chipdoctor {report.tool_version}: {escape_data(headline(report))}")
    return "\n".join(lines) + "\n"


def annotation(report: Report, finding: Finding) -> str:
    """`::error title=<id>::<message> fix: <fix>`, in the report's language."""
    text = report.localized(finding.message)
    fix = report.localized(finding.fix)
    if fix:
        text += " " + report.localized(T("fix: {line}", line=fix))
    command = _COMMAND[finding.severity]
    data = escape_data(text, keep="\r\n")
    return f"::{command} title={escape_property(finding.id)}::{data}"


# NOTE: the escaping of actions/toolkit packages/core/src/command.ts (escapeData and
# escapeProperty @ a944251692e50709e44d95e64d43c80236b9f6af), which the runner undoes; before
# it, every other control character is made visible (`printable.visible`), since the runner
# prints the text to the log as it is. `keep="\r\n"`: a message's own line breaks stay
# (%0D%0A), as the runner decodes them.
def escape_data(text: str, *, keep: str = "") -> str:
    shown = visible(text, keep=keep)
    return shown.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text, keep="\r\n").replace(":", "%3A").replace(",", "%2C")
