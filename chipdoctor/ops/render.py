"""`chipdoctor ops` output: a table (worst first), JSON (`chipdoctor-ops/1`), markdown."""

from __future__ import annotations

import json
from typing import Any

from chipdoctor.i18n import T, translate
from chipdoctor.ops.judge import OpsResult, Verdict
from chipdoctor.printable import MAX_CELL, clip, columns, json_visible, visible

OPS_FORMAT = "chipdoctor-ops/1"
#: Column titles, written out so that the message extractor sees each.
_COLUMNS = (T("operator"), T("status"), T("count"), T("detail"), T("source"))
FORMATS = ("table", "json", "markdown")
#: Unknown names the warning line spells out (the JSON lists them all).
MAX_NAMED = 20


def to_json(result: OpsResult) -> dict[str, Any]:
    target = result.target
    document = {
        "format": OPS_FORMAT,
        "target": {"stack": target.stack, "component": target.component, "version": target.version},
        "ops": [
            {"op": v.op, "status": v.status, "count": v.count, "since": v.since, "source": v.source}
            for v in result.ops
        ],
        "coverage": result.coverage,
    }
    if result.unknown:  # only then: a report without one is as DESIGN.md's chipdoctor-ops/1
        document["unknown"] = [{"op": op, "count": count} for op, count in result.unknown]
    return document


def render(result: OpsResult, fmt: str, *, lang: str = "en") -> str:
    if fmt == "json":
        return json_visible(json.dumps(to_json(result), indent=2, ensure_ascii=False)) + "\n"
    if fmt == "markdown":
        return _markdown(result, lang)
    return _table(result, lang)


def _heading(result: OpsResult, lang: str) -> str:
    target = result.target
    coverage = f"{result.coverage:.1%}"
    return translate(
        T(
            "{model} on {component} {version} ({release}, torch {torch}): "
            "{native} of {total} device operators native, coverage {coverage}",
            model=visible(result.model),
            component=target.component,
            version=target.version,
            release=_release(result),
            torch=target.torch,
            native=result.native,
            total=len(result.leaves),
            coverage=coverage,
        ),
        lang,
    )


def _release(result: OpsResult) -> str:
    from chipdoctor.ops.data import stack_ops

    data = stack_ops(result.target.stack)
    if data.named_by_version:
        return result.target.release.name
    return f"{data.family} {result.target.release.name}"


def _status(verdict: Verdict, lang: str) -> str:
    return translate(T("fallback (error)"), lang) if verdict.error else verdict.status


def _detail(verdict: Verdict, lang: str) -> str:
    parts = []
    if verdict.since:
        parts.append(translate(T("native from {since}", since=verdict.since), lang))
    if verdict.via:
        parts.append(translate(T("from {parents}", parents=", ".join(verdict.via)), lang))
    if verdict.note:
        parts.append(verdict.note)
    return "; ".join(parts)


def _unknown(result: OpsResult, lang: str) -> list[str]:
    """The warning line for names that are no operator of torch: not judged, not counted."""
    if not result.unknown:
        return []
    shown = [f"{clip(visible(op), MAX_CELL)} ({count})" for op, count in result.unknown[:MAX_NAMED]]
    if len(result.unknown) > MAX_NAMED:
        shown.append(translate(T("and {more} more", more=len(result.unknown) - MAX_NAMED), lang))
    names = ", ".join(shown)
    warning = T(
        "warning: not ATen operators of torch (its native_functions.yaml has no such name), "
        "not judged: {names}",
        names=names,
    )
    return ["", translate(warning, lang)]


def _table(result: OpsResult, lang: str) -> str:
    head = [translate(title, lang) for title in _COLUMNS[:4]]
    rows = [
        [clip(visible(v.op), MAX_CELL), _status(v, lang), str(v.count), visible(_detail(v, lang))]
        for v in result.ops
    ]
    widths = [max(columns(r[i]) for r in [head, *rows]) for i in range(3)]
    lines = [_heading(result, lang), ""]
    for row in [head, *rows]:
        cells = [cell + " " * (widths[i] - columns(cell)) for i, cell in enumerate(row[:3])]
        lines.append("  ".join([*cells, row[3]]))
    lines += _unknown(result, lang)
    lines += ["", translate(T("sources:"), lang)]
    for source in dict.fromkeys(v.source for v in result.ops):
        lines.append(f"  {visible(source)}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _markdown(result: OpsResult, lang: str) -> str:
    """The report's Markdown cells (HTML and `|` escaped), as `check --format markdown` writes."""
    from chipdoctor.report.markdown import md_cell, md_inline

    head = [md_cell(translate(title, lang)) for title in _COLUMNS]
    lines = [
        f"### {md_inline(_heading(result, lang))}",
        "",
        "| " + " | ".join(head) + " |",
        "|---|---|---:|---|---|",
    ]
    for v in result.ops:
        cells = [f"`{v.op}`", _status(v, lang), str(v.count), _detail(v, lang), f"<{v.source}>"]
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    lines += [md_inline(line) for line in _unknown(result, lang)]
    return "\n".join(lines) + "\n"
