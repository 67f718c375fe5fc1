"""The output formats of `check`: the one registry from a format name to its renderer
(report/interface.py). Each renderer is imported only when its format is asked for (rich for
a table on a terminal, or one only rich can draw)."""

from __future__ import annotations

from collections.abc import Callable

from chipdoctor.model import Report
from chipdoctor.report.interface import Renderer, RenderOptions


def _table() -> Renderer:
    def draw(report: Report, options: RenderOptions) -> str:
        if not options.color:  # a pipe or a file: rich only for what the plain drawer cannot
            from chipdoctor.report import plain

            drawn = plain.render(report, width=options.width)
            if drawn is not None:
                return drawn
        from chipdoctor.report import text

        return text.render(report, color=options.color, width=options.width)

    return draw


def _json() -> Renderer:
    from chipdoctor.report import json

    return lambda report, options: json.render(report)


def _junit() -> Renderer:
    from chipdoctor.report import junit

    return lambda report, options: junit.render(report, strict=options.strict)


def _github() -> Renderer:
    from chipdoctor.report import github

    return lambda report, options: github.render(report)


def _markdown() -> Renderer:
    from chipdoctor.report import markdown

    return lambda report, options: markdown.render(report)


def _nfd() -> Renderer:
    from datetime import datetime, timezone

    from chipdoctor.report import nfd

    return lambda report, options: nfd.render(report, now=datetime.now(timezone.utc))


def _npd() -> Renderer:
    from chipdoctor.report import npd

    return lambda report, options: npd.render(report)


def _ansible_facts() -> Renderer:
    from chipdoctor.report import ansible

    return lambda report, options: ansible.render(report)


#: Every `--format` of `check`, the human table first.
RENDERERS: dict[str, Callable[[], Renderer]] = {
    "table": _table,
    "json": _json,
    "junit": _junit,
    "github": _github,
    "markdown": _markdown,
    "nfd": _nfd,
    "npd": _npd,
    "ansible-facts": _ansible_facts,
}


def render(report: Report, name: str, *, strict: bool, color: bool, width: int) -> str:
    return RENDERERS[name]()(report, RenderOptions(strict=strict, color=color, width=width))
