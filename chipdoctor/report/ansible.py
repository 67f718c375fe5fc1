"""`--format ansible-facts`: a flat, stable JSON object for an Ansible local fact
(`/etc/ansible/facts.d/chipdoctor.fact`, seen as `ansible_local.chipdoctor`).

Flat so that a play reads it without filters: `status`, `stacks`, `components` (id -> version),
`errors` and `warnings` (finding ids), `data_date` (the date of the data the verdict used;
null until the report carries one). Keys are sorted; a component seen twice keeps its first
version.
"""

from __future__ import annotations

import json
from typing import Any

from chipdoctor.model import Report, Severity


def facts(report: Report) -> dict[str, Any]:
    components: dict[str, str] = {}
    for component in report.inventory.components:
        components.setdefault(component.id, component.version)
    data_date = getattr(report, "data_date", None)
    return {
        "status": report.status,
        "stacks": list(report.inventory.stacks),
        "components": components,
        "errors": _ids(report, Severity.ERROR),
        "warnings": _ids(report, Severity.WARNING),
        "data_date": None if data_date is None else str(data_date),
    }


def render(report: Report) -> str:
    return json.dumps(facts(report), sort_keys=True, ensure_ascii=False) + "\n"


def _ids(report: Report, severity: Severity) -> list[str]:
    return list(dict.fromkeys(f.id for f in report.findings if f.severity is severity))
