"""Policies through the real console script: discovery, gating, FILE:LINE, --require, --strict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from tests.cli.test_scenarios import REPORT_SCHEMA
from tests.conftest import SNAPSHOTS, run_cli

MISMATCH = str(SNAPSHOTS / "ascend-torch-mismatch")
HEALTHY = str(SNAPSHOTS / "ascend-910b-healthy")
NO_ACCELERATOR = str(SNAPSHOTS / "no-accelerator")


def check_json(*args: str, cwd: Path | None = None) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--format", "json", *args, cwd=cwd)
    assert result.stderr == "", result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, REPORT_SCHEMA)
    return result.returncode, report


def findings(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in report["findings"]}


def test_policy_in_the_working_directory_gates_the_check(tmp_path: Path) -> None:
    (tmp_path / ".chipdoctor.yaml").write_text(
        "require_stacks: [ascend]\nversions:\n  torch_npu: '>=2.1,<2.5'\n  cann: '>=8.0.RC2'\n"
    )
    code, report = check_json("--snapshot", HEALTHY, cwd=tmp_path)
    assert code == 1  # the healthy machine's torch_npu 2.5.1.post1 is outside the policy
    found = findings(report)
    violation = found["policy.version-torch_npu"]
    assert violation["severity"] == "error"
    assert violation["message"] == (
        "torch_npu 2.5.1.post1 does not satisfy >=2.1,<2.5 (required by .chipdoctor.yaml:3)."
    )
    assert violation["components"] == ["torch_npu"]
    assert found["policy.version-cann"]["severity"] == "info"
    assert found["policy.stack-ascend"]["severity"] == "info"


def test_table_names_the_policy_line(tmp_path: Path) -> None:
    policy = tmp_path / "gate.yaml"
    policy.write_text("# CI gate\nrequire_stacks:\n  - cuda\n")
    result = run_cli("check", "--snapshot", HEALTHY, "--policy", str(policy))
    assert result.returncode == 1
    assert "policy.stack-cuda" in result.stdout
    assert f"({policy}:3)" in result.stdout.replace("\n    ", " ")


def test_failing_scenario_with_an_ignore_passes_and_keeps_the_finding_visible(
    tmp_path: Path,
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "ignore:\n"
        "  - id: ascend.torch-torch_npu\n"
        "    reason: torch is pinned by the base image (OPS-7)\n"
        "    until: 2999-12-31\n"
    )
    code, report = check_json("--snapshot", MISMATCH, "--policy", str(policy))
    assert code == 0
    finding = findings(report)["ascend.torch-torch_npu"]
    assert finding["severity"] == "info"
    assert finding["message"].startswith(
        f"Ignored by policy {policy}:2 until 2999-12-31: torch is pinned by the base image (OPS-7)."
    )
    assert finding["fix"].startswith("pip install torch==2.5.1")


def test_expired_ignore_fails_again_with_a_warning(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "ignore:\n  - id: ascend.torch-torch_npu\n    reason: r\n    until: 2001-01-01\n"
    )
    code, report = check_json("--snapshot", MISMATCH, "--policy", str(policy))
    assert code == 1
    found = findings(report)
    assert found["ascend.torch-torch_npu"]["severity"] == "error"
    assert found["policy.ignore-expired"]["severity"] == "warning"
    assert f"{policy}:2 expired on 2001-01-01" in found["policy.ignore-expired"]["message"]


def test_fail_on_warnings_is_strict(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    snapshot = str(SNAPSHOTS / "cuda-minor-version-compat")
    relaxed, _ = check_json("--snapshot", snapshot)
    policy.write_text("fail_on_warnings: false\n")
    assert check_json("--snapshot", snapshot, "--policy", str(policy))[0] == relaxed == 0
    policy.write_text("fail_on_warnings: true\n")
    strict, report = check_json("--snapshot", snapshot, "--policy", str(policy))
    assert report["status"] == "warning"
    assert strict == 1


def test_require_option(tmp_path: Path) -> None:
    code, report = check_json(
        "--snapshot", HEALTHY, "--require", "torch_npu>=2.1", "--require", "cann<8.2"
    )
    assert code == 1
    found = findings(report)
    assert found["policy.require-torch_npu"]["severity"] == "info"
    cann = found["policy.require-cann"]
    assert cann["severity"] == "error"
    assert "(required by --require 'cann<8.2')" in cann["message"]


def test_require_on_a_machine_without_the_component() -> None:
    code, report = check_json("--snapshot", NO_ACCELERATOR, "--require", "torch_npu>=2.1")
    assert code == 1
    assert "torch_npu is not installed" in findings(report)["policy.require-torch_npu"]["message"]


def test_policy_and_require_together(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("versions:\n  torch: '>=2.0'\n")
    code, report = check_json(
        "--snapshot", MISMATCH, "--policy", str(policy), "--require", "torch<2.5"
    )
    found = findings(report)
    assert found["policy.version-torch"]["severity"] == "info"
    assert found["policy.require-torch"]["severity"] == "info"
    assert code == 1  # the scenario's own error still counts


def test_malformed_policy_is_one_line_exit_2(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("require_stacks: [ascend]\nversions:\n  torch_npu: '>=2.1,<<2.5'\n")
    result = run_cli("check", "--snapshot", HEALTHY, "--policy", str(policy))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"chipdoctor: error: {policy}:3: torch_npu: not a PEP 440 pattern: '>=2.1,<<2.5'"
    )


def test_default_policy_errors_name_the_default_file(tmp_path: Path) -> None:
    (tmp_path / ".chipdoctor.yaml").write_text("fail_on_warning: true\n")
    result = run_cli("check", "--snapshot", HEALTHY, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "chipdoctor: error: .chipdoctor.yaml:1: unknown key 'fail_on_warning'"
    )


def test_explicitly_named_missing_policy_is_exit_2(tmp_path: Path) -> None:
    result = run_cli("check", "--snapshot", HEALTHY, "--policy", str(tmp_path / "gone.yaml"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"chipdoctor: error: {tmp_path / 'gone.yaml'}: no such file"


def test_bad_require_is_exit_2() -> None:
    result = run_cli("check", "--snapshot", HEALTHY, "--require", "torchnpu>=2")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "chipdoctor: error: --require 'torchnpu>=2': unknown component 'torchnpu'; "
        "did you mean 'torch_npu'?"
    )


def test_policy_violation_in_ci_formats(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("versions:\n  cann: '>=8.3.RC1'\n")
    github = run_cli("check", "--snapshot", HEALTHY, "--policy", str(policy), "--format", "github")
    assert github.returncode == 1
    assert (
        f"::error title=policy.version-cann::cann 8.2.RC1 does not satisfy >=8.3.RC1 "
        f"(required by {policy}:2)."
    ) in github.stdout
    junit = run_cli("check", "--snapshot", HEALTHY, "--policy", str(policy), "--format", "junit")
    assert junit.returncode == 1
    assert 'name="policy.version-cann"' in junit.stdout
    assert f"(required by {policy}:2)" in junit.stdout


def test_the_documented_example_policy_loads() -> None:
    """docs/policy.md's example is a real, valid policy."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    from chipdoctor.policy.load import build_policy
    from chipdoctor.yamlio import parse_yaml

    policy = build_policy(parse_yaml(example, ".chipdoctor.yaml"))
    assert policy.stacks and policy.constraints and policy.ignores
