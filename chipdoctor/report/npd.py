"""`--format npd`: a Node Problem Detector custom plugin's message (docs/contracts.md).

NPD runs the plugin, reads its exit code (0 OK, 1 NonOK, 2 Unknown) and takes its stdout as
the condition's message, cut at `max_output_length` (kubernetes/node-problem-detector,
docs/custom_plugin_monitor.md; pkg/custompluginmonitor/plugin/plugin.go). So the message is
one line of at most 1024 bytes (so 1024 characters at most) that
names the worst finding first; the CLI maps the exit code (`exit_code`).
"""

from __future__ import annotations

from chipdoctor.errors import EXIT_BAD_INPUT, EXIT_INTERNAL
from chipdoctor.model import Report
from chipdoctor.printable import visible
from chipdoctor.report.common import headline

MAX_CHARS = 1024


def render(report: Report) -> str:
    worst = sorted(report.findings, key=lambda f: -f.severity.rank)
    shown = [f for f in worst if f.severity.rank > 0]
    text = headline(report)
    if shown:
        first = shown[0]
        text += f" {first.id}: {report.localized(first.message)}"
        if len(shown) > 1:
            text += " (also: " + ", ".join(f.id for f in shown[1:]) + ")"
    return one_line(text) + "\n"


def one_line(text: str) -> str:
    """`text` with its controls escaped (no line break survives), cut to MAX_CHARS UTF-8 bytes.

    Bytes, not characters: NPD cuts a Go string, `output[:max_output_length]`, which counts
    bytes, so a longer Chinese message would lose its end mid-character (plugin.go, "cut at
    position max_output_length if stdout is longer than max_output_length bytes")."""
    line = visible(" ".join(text.split()))
    if len(line.encode()) <= MAX_CHARS:
        return line
    room = MAX_CHARS - len("…".encode())
    return line.encode()[:room].decode(errors="ignore") + "…"


def exit_code(code: int) -> int:
    """NPD's exit code for one of ours: 2 (Unknown) for bad input or an incomplete check.

    The one documented exception to chipdoctor's exit codes (docs/contracts.md)."""
    return EXIT_BAD_INPUT if code in (EXIT_BAD_INPUT, EXIT_INTERNAL) else code
