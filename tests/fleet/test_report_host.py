"""The report names its node (`host`, additive to chipdoctor-report/1), and fleet compare names
nodes by it: the live check on this machine, end to end."""

from __future__ import annotations

import gzip
import json
import socket
from pathlib import Path

import jsonschema

from tests.conftest import run_cli
from tests.fleet.nodes import FLEET_SCHEMA

REPORT_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "chipdoctor/schemas/report.schema.json").read_text()
)


def test_a_live_report_names_this_node_and_fleet_compare_uses_the_name(tmp_path: Path) -> None:
    report = tmp_path / "this.json"
    checked = run_cli("check", "--format", "json", "--output", str(report))
    assert checked.returncode in (0, 1), checked.stderr
    doc = json.loads(report.read_text())
    jsonschema.validate(doc, REPORT_SCHEMA)
    assert doc["host"] == socket.gethostname()
    compared = run_cli("fleet", "compare", "--format", "json", str(report))
    fleet = json.loads(compared.stdout)
    jsonschema.validate(fleet, FLEET_SCHEMA)
    assert [n["name"] for n in fleet["nodes"]] == [socket.gethostname()]


def test_a_report_without_host_is_named_by_its_file(tmp_path: Path) -> None:
    report = tmp_path / "old-node.json.gz"
    checked = run_cli(
        "check", "--snapshot", "tests/fixtures/snapshots/cuda-healthy", "--format", "json"
    )
    doc = json.loads(checked.stdout)
    assert "host" not in doc  # a chipdoctor-snapshot/1 records no host
    report.write_bytes(gzip.compress(json.dumps(doc).encode()))
    fleet = json.loads(run_cli("fleet", "compare", "--format", "json", str(report)).stdout)
    assert [n["name"] for n in fleet["nodes"]] == ["old-node"]
