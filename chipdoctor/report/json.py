"""`--format json`: the chipdoctor-report/1 document, and nothing else on stdout."""

from __future__ import annotations

import json

from chipdoctor.model import Report
from chipdoctor.printable import json_visible


def render(report: Report) -> str:
    return json_visible(json.dumps(report.to_dict(), indent=2, ensure_ascii=False)) + "\n"
