"""Applying a policy: ignores (active, expired), required stacks and version constraints."""

from __future__ import annotations

import datetime as dt

from chipdoctor.model import Component, Finding, Inventory, Report, Severity
from chipdoctor.policy.apply import apply_policy
from chipdoctor.policy.load import Constraint, Ignore, Policy, RequiredStack, parse_require
from tests import planning

TODAY = dt.date(2026, 6, 1)


def report(*findings: Finding, stacks: tuple[str, ...] = ("ascend",)) -> Report:
    inventory = Inventory(
        stacks=list(stacks),
        components=[
            Component("python", "3.11.6", "python interpreter"),
            Component("torch", "2.4.0+cpu", "package metadata: torch"),
            Component("torch_npu", "2.4.0.post2", "package metadata: torch_npu"),
            Component("cann", "8.0.RC3", "/usr/local/Ascend/ascend-toolkit/latest/…"),
            Component("ascend_driver", "not-a-version", "/usr/local/Ascend/driver/version.info"),
        ],
    )
    return Report("0.1.0", inventory, list(findings))


ENV = Finding("ascend.env-not-sourced", Severity.WARNING, (), "set_env.sh not sourced", "source x")
MISMATCH = Finding("ascend.torch-torch_npu", Severity.ERROR, ("torch",), "mismatch", "pip x")


def test_an_empty_policy_changes_nothing() -> None:
    before = report(MISMATCH)
    assert apply_policy(before, Policy(path="p.yaml"), today=TODAY) is before


def test_an_active_ignore_demotes_to_info_with_the_reason() -> None:
    ignore = Ignore("ascend.torch-torch_npu", "pinned by the base image", None, "p.yaml:7")
    result = apply_policy(report(MISMATCH, ENV), Policy(ignores=(ignore,)), today=TODAY)
    finding = planning.by_id(result.findings)["ascend.torch-torch_npu"]
    assert finding.severity is Severity.INFO
    assert finding.message == (
        "Ignored by policy p.yaml:7: pinned by the base image. (Was error: mismatch)"
    )
    assert finding.fix == "pip x"  # still visible, still fixable
    assert result.status == "warning"  # the env warning still counts
    assert [f.id for f in result.findings] == ["ascend.env-not-sourced", "ascend.torch-torch_npu"]


def test_an_ignore_applies_through_its_last_day() -> None:
    ignore = Ignore("ascend.env-not-sourced", "r", TODAY, "p.yaml:3")
    result = apply_policy(report(ENV), Policy(ignores=(ignore,)), today=TODAY)
    assert result.status == "ok"
    assert "until 2026-06-01" in result.findings[0].message


def test_an_expired_ignore_stops_applying_and_says_so() -> None:
    ignore = Ignore("ascend.env-not-sourced", "r", dt.date(2026, 5, 31), "p.yaml:3")
    result = apply_policy(report(ENV), Policy(ignores=(ignore,)), today=TODAY)
    found = planning.by_id(result.findings)
    assert found["ascend.env-not-sourced"].severity is Severity.WARNING
    expired = found["policy.ignore-expired"]
    assert expired.severity is Severity.WARNING
    assert "ascend.env-not-sourced at p.yaml:3 expired on 2026-05-31" in expired.message
    assert "p.yaml:3" in expired.fix


def test_required_stack_present_and_absent() -> None:
    policy = Policy(stacks=(RequiredStack("ascend", "p.yaml:1"), RequiredStack("cuda", "p.yaml:1")))
    found = planning.by_id(apply_policy(report(), policy, today=TODAY).findings)
    assert found["policy.stack-ascend"].severity is Severity.INFO
    missing = found["policy.stack-cuda"]
    assert missing.severity is Severity.ERROR
    assert "requires the cuda stack (p.yaml:1)" in missing.message
    assert missing.fix


def test_constraints_pass_fail_missing_and_uncomparable() -> None:
    constraints = (
        Constraint("torch_npu", ">=2.1,<2.5", "p.yaml:4", "policy.version-torch_npu"),
        Constraint("cann", ">=8.0.RC2", "p.yaml:5", "policy.version-cann"),
        Constraint("torch", "<2.4", "p.yaml:6", "policy.version-torch"),
        Constraint("python", ">=3.12", "p.yaml:7", "policy.version-python"),
        Constraint("cudnn", ">=9", "p.yaml:8", "policy.version-cudnn"),
        Constraint("ascend_driver", ">=24.1", "p.yaml:9", "policy.version-ascend_driver"),
    )
    result = apply_policy(report(), Policy(constraints=constraints), today=TODAY)
    found = planning.by_id(result.findings)
    assert found["policy.version-torch_npu"].severity is Severity.INFO
    assert found["policy.version-cann"].severity is Severity.INFO  # 8.0.RC3 >= 8.0.RC2
    torch = found["policy.version-torch"]
    assert torch.severity is Severity.ERROR
    assert torch.message == "torch 2.4.0+cpu does not satisfy <2.4 (required by p.yaml:6)."
    assert "p.yaml:6" in torch.fix
    python = found["policy.version-python"]  # a vendor-scheme comparison
    assert python.severity is Severity.ERROR
    assert python.components == ("python",)
    cudnn = found["policy.version-cudnn"]
    assert cudnn.severity is Severity.ERROR
    assert "cudnn is not installed" in cudnn.message
    assert "matrix show cuda" in cudnn.fix
    driver = found["policy.version-ascend_driver"]
    assert driver.severity is Severity.ERROR
    assert "cannot be compared" in driver.message
    assert result.exit_code() == 1


def test_require_option_finding_names_the_option() -> None:
    policy = Policy().with_requires([parse_require("torch_npu>=2.5")])
    finding = planning.by_id(apply_policy(report(), policy, today=TODAY).findings)[
        "policy.require-torch_npu"
    ]
    assert finding.severity is Severity.ERROR
    assert "(required by --require 'torch_npu>=2.5')" in finding.message


def test_policy_findings_never_get_ignored_by_the_same_policy_and_sort_worst_first() -> None:
    policy = Policy(
        stacks=(RequiredStack("ascend", "p.yaml:1"),),
        constraints=(Constraint("torch", "<2.4", "p.yaml:6", "policy.version-torch"),),
        ignores=(Ignore("ascend.env-not-sourced", "r", None, "p.yaml:9"),),
    )
    result = apply_policy(report(ENV), policy, today=TODAY)
    severities = [f.severity.rank for f in result.findings]
    assert severities == sorted(severities, reverse=True)
    assert result.findings[0].id == "policy.version-torch"
