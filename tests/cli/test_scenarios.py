"""Every scenario snapshot through the real console script: findings, exit codes, JSON schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import SNAPSHOTS, run_cli

REPORT_SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[2] / "chipdoctor" / "schemas" / "report.schema.json"
    ).read_text()
)

SCENARIOS = sorted(p.name for p in SNAPSHOTS.iterdir() if (p / "snapshot.yaml").is_file())


def expected(scenario: str) -> tuple[int, dict[str, str]]:
    """The scenario's expected.yaml: its exit code and every error/warning finding by id."""
    data = yaml.safe_load((SNAPSHOTS / scenario / "expected.yaml").read_text())
    return int(data["exit"]), dict(data.get("findings") or {})


def check_json(snapshot: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--snapshot", str(snapshot), "--format", "json", *extra)
    assert result.stderr == "", result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, REPORT_SCHEMA)
    return result.returncode, report


def test_every_scenario_has_an_expectation() -> None:
    assert len(SCENARIOS) >= 7
    for scenario in SCENARIOS:
        assert (SNAPSHOTS / scenario / "expected.yaml").is_file(), scenario


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario: str) -> None:
    code, report = check_json(SNAPSHOTS / scenario)
    expected_code, wanted = expected(scenario)
    found = {f["id"]: f["severity"] for f in report["findings"] if f["severity"] != "info"}
    assert found == wanted
    assert code == expected_code
    assert report["status"] == ("error" if code else ("warning" if found else "ok"))
    for finding in report["findings"]:
        if finding["severity"] == "error":
            assert finding["fix"], f"{finding['id']} has no fix"


def test_no_accelerator_says_so() -> None:
    _code, report = check_json(SNAPSHOTS / "no-accelerator")
    assert report["stacks"] == []
    assert [f["id"] for f in report["findings"]] == ["host.no-accelerator"]
    assert {c["id"]: c["version"] for c in report["components"]}["torch"] == "2.13.0+cpu"


def test_healthy_910b_inventory() -> None:
    _, report = check_json(SNAPSHOTS / "ascend-910b-healthy")
    versions = {c["id"]: c["version"] for c in report["components"]}
    assert versions == {
        "python": "3.11.6",
        "os": "openEuler 22.03",
        "arch": "aarch64",
        "glibc": "2.34",
        "torch": "2.5.1",
        "torch_npu": "2.5.1.post1",
        "ascend_driver": "25.0.rc1.1",
        "ascend_firmware": "7.7.0.1.231",
        "cann": "8.2.RC1",
        "cann_kernels": "8.2.RC1",
        "nnal": "8.2.RC1",
    }
    assert report["stacks"] == ["ascend"]
    assert report["devices"] == [{"stack": "ascend", "index": 0, "name": "910B2C", "health": "OK"}]


def test_torch_mismatch_fix_is_the_pip_line() -> None:
    _, report = check_json(SNAPSHOTS / "ascend-torch-mismatch")
    (finding,) = [f for f in report["findings"] if f["id"] == "ascend.torch-torch_npu"]
    assert (
        finding["fix"]
        == "pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cpu"
    )
    assert finding["components"] == ["torch", "torch_npu"]


def test_env_not_sourced_fix_is_the_source_line() -> None:
    _, report = check_json(SNAPSHOTS / "ascend-env-not-sourced")
    (finding,) = [f for f in report["findings"] if f["id"] == "ascend.env-not-sourced"]
    assert finding["fix"].startswith("source /usr/local/Ascend/ascend-toolkit/set_env.sh")


def test_driver_failure_names_the_dcmi_error() -> None:
    _, report = check_json(SNAPSHOTS / "ascend-driver-failing")
    (finding,) = [f for f in report["findings"] if f["id"] == "ascend.npu-smi-failed"]
    assert "ret is -8005" in finding["message"]
    assert "another container" in finding["fix"]


def test_strict_fails_on_warnings() -> None:
    code, _report = check_json(SNAPSHOTS / "ascend-env-not-sourced")
    assert code == 1
    code, _ = check_json(SNAPSHOTS / "no-accelerator", "--strict")
    assert code == 0


def test_table_output_lists_findings_and_fixes() -> None:
    result = run_cli("check", "--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"))
    assert result.returncode == 1
    assert "ascend.torch-torch_npu" in result.stdout
    assert "fix: pip install torch==2.5.1" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
