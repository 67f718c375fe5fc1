"""`--format ansible-facts`: a flat, stable JSON object for an Ansible local fact
(`/etc/ansible/facts.d/chipdoctor.fact`, seen as `ansible_local.chipdoctor`).

Flat so that a play reads it without filters: `status`, `stacks`, `components` (id -> version),
`errors` and `warnings` (finding ids), `data_date` (the date of the data the verdict used,
the report's `data.updated`; null when no data file states one). `status` is `error` for an
incomplete check, which cannot vouch for the node. Keys are sorted; a component seen twice keeps
its first version.
"""

from __future__ import annotations

import json
from typing import Any

from chipdoctor.model import Report, Severity
from chipdoctor.printable import json_visible
from chipdoctor.report.common import vouched_status


def facts(report: Report) -> dict[str, Any]:
    components: dict[str, str] = {}
    for component in report.inventory.components:
        components.setdefault(component.id, component.version)
    data_date = report.data.updated if report.data is not None else None
    return {
        "status": vouched_status(report),
        "stacks": list(report.inventory.stacks),
        "components": components,
        "errors": _ids(report, Severity.ERROR),
        "warnings": _ids(report, Severity.WARNING),
        "data_date": data_date or None,
    }


def render(report: Report) -> str:
    return json_visible(json.dumps(facts(report), sort_keys=True, ensure_ascii=False)) + "\n"


def _ids(report: Report, severity: Severity) -> list[str]:
    return list(dict.fromkeys(f.id for f in report.findings if f.severity is severity))
