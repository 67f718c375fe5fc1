"""`--format junit`: the elements and attributes of the JUnit XML that Jenkins' xunit schema
(jenkinsci/xunit-plugin, junit-10.xsd) and GitLab's unit-test report parser accept, in every
scenario."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from chipdoctor.model import Component, Finding, Inventory, Report, Severity
from chipdoctor.report import junit
from tests.conftest import SNAPSHOTS, run_cli

SCENARIOS = sorted(p.name for p in SNAPSHOTS.iterdir() if (p / "snapshot.yaml").is_file())


# Element -> (allowed attributes, allowed children), as junit-10.xsd defines them.
_ALLOWED: dict[str, tuple[set[str], set[str]]] = {
    "testsuites": ({"name", "time", "tests", "failures", "disabled", "errors"}, {"testsuite"}),
    "testsuite": (
        {
            "name",
            "tests",
            "failures",
            "errors",
            "time",
            "disabled",
            "skipped",
            "timestamp",
            "hostname",
            "id",
            "package",
        },
        {"properties", "testcase", "system-out", "system-err"},
    ),
    "testcase": (
        {"name", "assertions", "time", "classname", "status"},
        {"skipped", "error", "failure", "system-out", "system-err"},
    ),
    "failure": ({"type", "message"}, set()),
    "error": ({"type", "message"}, set()),
    "skipped": ({"message"}, set()),
    "system-out": (set(), set()),
    "system-err": (set(), set()),
    "properties": (set(), {"property"}),
    "property": ({"name", "value"}, set()),
}


def _check_structure(element: ET.Element) -> None:
    attributes, children = _ALLOWED[element.tag]
    assert set(element.attrib) <= attributes, (element.tag, element.attrib)
    for child in element:
        assert child.tag in children, (element.tag, child.tag)
        _check_structure(child)


def parse(text: str) -> ET.Element:
    """Check the JUnit structure and what GitLab relies on, and return the root."""
    root = ET.fromstring(text)
    _check_structure(root)
    assert root.tag == "testsuites"
    (suite,) = root
    assert suite.tag == "testsuite"
    cases = suite.findall("testcase")
    # GitLab keys a test by classname + name and keeps only the first of duplicates.
    keys = [(c.get("classname"), c.get("name")) for c in cases]
    assert len(keys) == len(set(keys)), keys
    assert all(c and n for c, n in keys)
    failures = [c for c in cases if c.find("failure") is not None]
    assert suite.get("tests") == root.get("tests") == str(len(cases))
    assert suite.get("failures") == root.get("failures") == str(len(failures))
    return root


def cases_by_name(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in root.iter("testcase")}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_is_valid_junit_with_exit_code_unchanged(scenario: str) -> None:
    snapshot = str(SNAPSHOTS / scenario)
    table = run_cli("check", "--snapshot", snapshot)
    result = run_cli("check", "--snapshot", snapshot, "--format", "junit")
    assert result.returncode == table.returncode
    assert result.stderr == ""
    root = parse(result.stdout)
    assert len(list(root.iter("testcase"))) >= 1  # a clean run still has testcases
    failed = {c.get("name") for c in root.iter("testcase") if c.find("failure") is not None}
    assert bool(failed) == (result.returncode == 1)


def test_failing_snapshot_has_a_failure_with_message_and_fix() -> None:
    result = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"), "--format", "junit"
    )
    assert result.returncode == 1
    root = parse(result.stdout)
    cases = cases_by_name(root)
    case = cases["ascend.torch-torch_npu"]
    assert case.get("classname") == "chipdoctor.ascend"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == "error"
    assert (failure.get("message") or "").startswith("torch_npu 2.5.1.post1 is built for torch")
    assert "fix: pip install torch==2.5.1" in (failure.text or "")
    component = cases["torch_npu 2.5.1.post1"]  # one passing testcase per component
    assert component.find("failure") is None
    assert component.findtext("system-out") == "source: package metadata: torch_npu"


def test_warnings_pass_with_system_out_unless_strict() -> None:
    snapshot = str(SNAPSHOTS / "ascend-env-not-sourced")
    relaxed = run_cli("check", "--snapshot", snapshot, "--format", "junit")
    strict = run_cli("check", "--snapshot", snapshot, "--format", "junit", "--strict")
    warning = cases_by_name(parse(relaxed.stdout))["ascend.nnal-not-sourced"]
    assert warning.find("failure") is None
    assert (warning.findtext("system-out") or "").startswith("warning: ")
    failed = cases_by_name(parse(strict.stdout))["ascend.nnal-not-sourced"].find("failure")
    assert failed is not None
    assert failed.get("type") == "warning"
    assert strict.returncode == 1


def report_with(*findings: Finding, components: tuple[Component, ...] = ()) -> Report:
    return Report(
        "0.1.0", Inventory(stacks=["ascend"], components=list(components)), list(findings)
    )


def test_control_characters_are_escaped_not_emitted() -> None:
    nasty = 'npu-smi said \x1b[31mFAIL\x1b[0m\x00 <&> "quoted" \ud800 end'
    text = junit.render(
        report_with(
            Finding("ascend.npu-smi-failed", Severity.ERROR, (), nasty, "fix\x07 it"),
            components=(Component("cann", "8.0.RC2\x1b", "/x\x00y"),),
        )
    )
    root = parse(text)  # well-formed and valid despite the input
    failure = cases_by_name(root)["ascend.npu-smi-failed"].find("failure")
    assert failure is not None
    assert failure.get("message") == (
        'npu-smi said \\x1b[31mFAIL\\x1b[0m\\x00 <&> "quoted" \\ud800 end'
    )
    assert "fix: fix\\x07 it" in (failure.text or "")
    assert "cann 8.0.RC2\\x1b" in cases_by_name(root)


def test_findings_with_one_id_are_one_testcase_and_names_stay_unique() -> None:
    text = junit.render(
        report_with(
            Finding("policy.version-torch", Severity.ERROR, (), "first", "f1"),
            Finding("policy.version-torch", Severity.INFO, (), "second"),
            components=(
                Component("cann", "8.0.RC2", "/a"),
                Component("cann", "8.0.RC2", "/b"),
            ),
        )
    )
    root = parse(text)
    cases = cases_by_name(root)
    assert set(cases) == {"policy.version-torch", "cann 8.0.RC2", "cann 8.0.RC2 (2)"}
    failure = cases["policy.version-torch"].find("failure")
    assert failure is not None
    assert failure.get("message") == "first"
    assert "info: second" in (failure.text or "")


def test_no_findings_and_no_components_is_still_valid() -> None:
    root = parse(junit.render(Report("0.1.0", Inventory(), [])))
    assert root.get("tests") == "0"
