"""`--format nfd`: a Node Feature Discovery feature file (docs/contracts.md, DESIGN.md).

NFD's local feature source reads `/etc/kubernetes/node-feature-discovery/features.d/`: one
`<namespace>/<name>[=<value>]` a line, at most 64 kB a file, `# +expiry-time=<RFC3339>` to let
the labels lapse when the writer stops (kubernetes-sigs/node-feature-discovery,
docs/usage/customization-guide.md). Values are label values: `[A-Za-z0-9_.-]`, at most 63
characters, alphanumeric at both ends; a version's `+` (and any other character outside that
set) is written as `_`. A component whose version has no alphanumeric character gets no line.
An incomplete check labels the node `status=error`: it cannot vouch for the node.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from chipdoctor.model import Report
from chipdoctor.report.common import vouched_status

NAMESPACE = "chipdoctor.io"
#: How long NFD keeps the labels after the check: the DaemonSet rewrites the file well before.
EXPIRY = timedelta(hours=1)
#: NFD reads at most this many bytes of a feature file.
MAX_BYTES = 64 * 1024
_MAX_VALUE = 63
_OUTSIDE = re.compile(r"[^A-Za-z0-9_.-]")
_NAME = re.compile(r"[a-z0-9]([a-z0-9_.-]{0,61}[a-z0-9])?")


def label_value(text: str) -> str:
    """`text` in label-value syntax; '' when nothing alphanumeric is left."""
    value = _OUTSIDE.sub("_", text)
    value = value.strip("_.-")[:_MAX_VALUE]
    return value.rstrip("_.-")


def render(report: Report, *, now: datetime) -> str:
    expiry = (now + EXPIRY).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [f"# +expiry-time={expiry}", f"{NAMESPACE}/status={vouched_status(report)}"]
    size = sum(len(line) + 1 for line in lines)
    seen: set[str] = set()
    for component in report.inventory.components:
        value = label_value(component.version)
        if component.id in seen or not value or not _NAME.fullmatch(component.id):
            continue
        line = f"{NAMESPACE}/{component.id}={value}"
        if size + len(line) + 1 > MAX_BYTES:
            break
        seen.add(component.id)
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"
