"""What the CI renderers (junit, github, markdown) share: counts, a headline, component groups.

Kept free of rich so that those formats never pay for the table renderer's import.
"""

from __future__ import annotations

from chipdoctor.components import HOST_COMPONENTS, STACK_COMPONENTS, TORCH_COMPONENTS
from chipdoctor.i18n import T
from chipdoctor.model import Report, Severity

#: Severity words, translatable (the same messages as the table's).
SEVERITY = {Severity.ERROR: T("error"), Severity.WARNING: T("warning"), Severity.INFO: T("info")}


def counts(report: Report) -> dict[Severity, int]:
    return {s: sum(1 for f in report.findings if f.severity is s) for s in Severity}


def vouched_status(report: Report) -> str:
    """The status an engine acts on: `error` for an incomplete check, which may have missed a
    problem and so cannot label a node `ok` (as fleet compare fails such a node)."""
    return "error" if report.incomplete else report.status


def headline(report: Report) -> str:
    """`OK: …` / `WARNINGS: …` / `INCOMPATIBLE: …` in the report's language, as the table says;
    `INCOMPLETE: …` before it when a part of the check crashed."""
    n = counts(report)
    errors, warnings = n[Severity.ERROR], n[Severity.WARNING]
    if report.status == "ok":
        text = T("OK: nothing is incompatible.")
    elif report.status == "error":
        text = T(
            "INCOMPATIBLE: {errors} error(s), {warnings} warning(s)",
            errors=errors,
            warnings=warnings,
        )
    else:
        text = T(
            "WARNINGS: {errors} error(s), {warnings} warning(s)", errors=errors, warnings=warnings
        )
    if report.incomplete:
        text = T("INCOMPLETE: {summary} A part of the check failed (see above).", summary=text)
    return report.localized(text)


def data_line(report: Report) -> str | None:
    """Which compatibility data judged the report, and its date, in the report's language."""
    data = report.data
    if data is None:
        return None
    kind = T("updated") if data.kind == "updated" else T("bundled")
    return report.localized(
        T(
            "data: {kind}, refreshed {updated} ({path})",
            kind=kind,
            updated=data.updated or T("on an unknown date"),
            path=data.path,
        )
    )


def component_group(component_id: str) -> str:
    """`host` for host facts and PyTorch, else the stack the component belongs to."""
    if component_id in HOST_COMPONENTS or component_id in TORCH_COMPONENTS:
        return "host"
    for stack, ids in STACK_COMPONENTS.items():
        if component_id in ids:
            return stack
    return "other"


def groups(report: Report) -> list[str]:
    """Component groups in table order: the host, each stack found, then any other group."""
    found = [component_group(c.id) for c in report.inventory.components]
    return list(dict.fromkeys(["host", *report.inventory.stacks, *found]))
