"""Nodes for fleet tests: copies of a real fixture snapshot that name their host, some with a
file changed, checked by the real engine into real chipdoctor-report/1 documents."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from chipdoctor.engine import check
from chipdoctor.evidence.snapshot import SnapshotEvidence
from chipdoctor.matrix.load import load_matrices
from tests.conftest import SNAPSHOTS

FLEET_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "chipdoctor/schemas/fleet.schema.json").read_text()
)
ASCEND = "ascend-910b-healthy"
CANN_INFO = "files/usr/local/Ascend/ascend-toolkit/latest/aarch64-linux/ascend_toolkit_install.info"


def node_snapshot(
    tmp: Path,
    host: str,
    *,
    fixture: str = ASCEND,
    replace: dict[str, tuple[str, str]] | None = None,
) -> Path:
    """`fixture` copied as a chipdoctor-snapshot/3 that records `host`; `replace` maps a file
    in the snapshot to (old text, new text)."""
    target = tmp / host
    shutil.copytree(SNAPSHOTS / fixture, target)
    meta = target / "snapshot.yaml"
    text = re.sub(
        r"^format: chipdoctor-snapshot/\d", "format: chipdoctor-snapshot/3", meta.read_text()
    )
    meta.write_text(text + f"host: {host}\n")
    for name, (old, new) in (replace or {}).items():
        path = target / name
        content = path.read_text()
        assert old in content, (name, old)
        path.write_text(content.replace(old, new))
    return target


def report_of(snapshot: Path) -> dict[str, Any]:
    """The snapshot's report, as `check --snapshot --format json` prints it."""
    return check(SnapshotEvidence(snapshot), load_matrices([])).to_dict()


def base_report(tmp: Path, fixture: str = ASCEND) -> dict[str, Any]:
    return report_of(node_snapshot(tmp, "base-node", fixture=fixture))


def with_host(report: dict[str, Any], host: str, **versions: str) -> dict[str, Any]:
    """A copy of `report` from another node, some component versions changed."""
    out: dict[str, Any] = json.loads(json.dumps(report))
    out["host"] = host
    for component in out["components"]:
        if component["id"] in versions:
            component["version"] = versions[component["id"]]
    return out


def write(directory: Path, reports: list[dict[str, Any]]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for report in reports:
        path = directory / f"{report['host']}.json"
        path.write_text(json.dumps(report))
        paths.append(path)
    return paths
