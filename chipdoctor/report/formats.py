"""The output formats of `check`, and the one place that maps a format name to its renderer.

Each renderer is imported only when its format is asked for (rich for the table alone).
"""

from __future__ import annotations

from chipdoctor.model import Report


def render(report: Report, name: str, *, strict: bool, color: bool, width: int) -> str:
    if name == "json":
        from chipdoctor.report import json as json_report

        return json_report.render(report)
    if name == "junit":
        from chipdoctor.report import junit

        return junit.render(report, strict=strict)
    if name == "github":
        from chipdoctor.report import github

        return github.render(report)
    if name == "markdown":
        from chipdoctor.report import markdown

        return markdown.render(report)
    if name == "table":
        from chipdoctor.report import text

        return text.render(report, color=color, width=width)
    raise ValueError(f"unknown format {name!r}")
