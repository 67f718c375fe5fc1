"""Every report format with room for it names the data it was judged with and its date."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from chipdoctor.matrix.store import bundled
from tests.conftest import SNAPSHOTS, run_cli

SNAPSHOT = str(SNAPSHOTS / "ascend-910b-healthy")
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "chipdoctor/schemas/report.schema.json").read_text()
)


def _check(fmt: str) -> str:
    result = run_cli("check", "--snapshot", SNAPSHOT, "--format", fmt)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_format_names_the_data_and_its_date() -> None:
    data = bundled()
    assert data.updated  # the bundled matrices are dated
    said = f"data: bundled, refreshed {data.updated} ({data.path})"
    assert said in _check("table").splitlines()[1]
    assert f"_{said}_" in _check("markdown")
    report = json.loads(_check("json"))
    jsonschema.validate(report, SCHEMA)
    assert report["data"] == {"source": "bundled", "path": data.path, "updated": data.updated}
    suite = ET.fromstring(_check("junit")).find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["chipdoctor.data.source"] == "bundled"
    assert properties["chipdoctor.data.updated"] == data.updated
    assert properties["chipdoctor.data.path"] == data.path


def test_the_plan_names_the_data_too() -> None:
    result = run_cli("fix", "--snapshot", SNAPSHOT, "--format", "json")
    assert json.loads(result.stdout)["data"]["updated"] == bundled().updated
