"""`check --format nfd | npd | ansible-facts`: the engines' contracts (docs/contracts.md)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chipdoctor.engine import check
from chipdoctor.evidence.snapshot import SnapshotEvidence
from chipdoctor.model import Component, Finding, Inventory, Report, Severity
from chipdoctor.report import ansible, nfd, npd
from tests.conftest import SNAPSHOTS, run_cli
from tests.planning import fixed

NOW = datetime(2026, 12, 6, 5, 0, 0, tzinfo=timezone.utc)
# NFD's label value syntax (Kubernetes: at most 63 characters, alphanumeric at both ends).
LABEL_VALUE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?")
FEATURE = re.compile(r"chipdoctor\.io/([a-z0-9_]+)=(.*)")


def judged(name: str) -> Report:
    return check(SnapshotEvidence(SNAPSHOTS / name), fixed())


def made(*versions: tuple[str, str], findings: tuple[Finding, ...] = ()) -> Report:
    inventory = Inventory(
        stacks=["cuda"], components=[Component(i, v, "test") for i, v in versions]
    )
    return Report(tool_version="0", inventory=inventory, findings=list(findings))


def test_nfd_file_lists_status_and_every_component_in_label_syntax() -> None:
    report = judged("ascend-torch-mismatch")
    lines = nfd.render(report, now=NOW).splitlines()
    assert lines[0] == "# +expiry-time=2026-12-06T06:00:00Z"
    assert lines[1] == "chipdoctor.io/status=error"
    matches = [FEATURE.fullmatch(line) for line in lines[2:]]
    features = {m.group(1): m.group(2) for m in matches if m}
    assert len(features) == len(matches)
    assert features["cann"] == "8.2.RC1"
    assert features["torch_npu"] == "2.5.1.post1"
    assert features["os"] == "openEuler_22.03"
    assert set(features) == {c.id for c in report.inventory.components}
    assert all(LABEL_VALUE.fullmatch(value) for value in features.values())


@pytest.mark.parametrize(
    ("version", "value"),
    [
        ("2.3.0+cu121", "2.3.0_cu121"),
        ("+cpu", "cpu"),
        ("1:2.0~rc1", "1_2.0_rc1"),
        ("9" * 80, "9" * 63),
        ("1." + "x" * 60 + "-.z", "1." + "x" * 60),
        ("+++", ""),
    ],
)
def test_nfd_values_follow_label_syntax(version: str, value: str) -> None:
    assert nfd.label_value(version) == value
    text = nfd.render(made(("torch", version)), now=NOW)
    assert (f"chipdoctor.io/torch={value}" in text.splitlines()) is bool(value)


def test_nfd_file_stays_under_64_kib_and_names_a_component_once() -> None:
    many = [(f"c{n:05d}", "1.0") for n in range(10_000)]
    text = nfd.render(made(("torch", "2.0"), ("torch", "2.1"), *many), now=NOW)
    assert len(text.encode()) <= nfd.MAX_BYTES
    assert text.count("chipdoctor.io/torch=") == 1


def test_npd_names_the_worst_finding_on_one_bounded_line() -> None:
    report = made(
        ("torch", "2.0"),
        findings=(
            Finding("cuda.a-warning", Severity.WARNING, (), "mild"),
            Finding("cuda.the-error", Severity.ERROR, (), "line one\nline two " + "x" * 2000),
        ),
    )
    text = npd.render(report)
    assert text.endswith("\n") and text.count("\n") == 1
    assert len(text.encode()) - 1 <= npd.MAX_CHARS and text.endswith("…\n")
    assert text.startswith("INCOMPATIBLE: 1 error(s), 1 warning(s) cuda.the-error: line one")
    assert npd.render(made(("torch", "2.0"))) == "OK: nothing is incompatible.\n"


def test_npd_line_fits_npd_s_byte_cut_in_chinese() -> None:
    """NPD cuts stdout at max_output_length bytes: a long Chinese line must fit whole."""
    report = made(
        ("torch", "2.0"),
        findings=(Finding("cuda.the-error", Severity.ERROR, (), "驱动与固件不配套" * 300),),
    )
    text = npd.render(report)
    assert len(text.encode()) - 1 <= npd.MAX_CHARS
    assert text.endswith("…\n") and text[-3] in "驱动与固件不配套"  # cut between characters


@pytest.mark.parametrize(("ours", "theirs"), [(0, 0), (1, 1), (2, 2), (3, 2), (130, 130)])
def test_npd_exit_codes_are_the_engine_s(ours: int, theirs: int) -> None:
    assert npd.exit_code(ours) == theirs


def test_npd_cli_exit_codes_and_stdout(tmp_path: Path) -> None:
    failing = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"), "--format", "npd"
    )
    assert failing.returncode == 1
    assert failing.stdout.count("\n") == 1 and "ascend.torch-torch_npu" in failing.stdout
    healthy = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / "ascend-910b-healthy"), "--format", "npd"
    )
    assert (healthy.returncode, healthy.stdout) == (0, "OK: nothing is incompatible.\n")
    bad = run_cli("check", "--snapshot", str(tmp_path / "absent"), "--format", "npd")
    assert bad.returncode == 2
    assert bad.stdout.startswith("chipdoctor could not check this node: error: ")
    assert bad.stdout.count("\n") == 1


def test_ansible_facts_are_flat_and_stable() -> None:
    report = judged("ascend-torch-mismatch")
    text = ansible.render(report)
    facts = json.loads(text)
    assert sorted(facts) == ["components", "data_date", "errors", "stacks", "status", "warnings"]
    assert facts["status"] == "error"
    assert facts["stacks"] == ["ascend"]
    assert facts["components"]["cann"] == "8.2.RC1"
    assert facts["errors"] == ["ascend.torch-torch_npu"]
    assert facts["warnings"] == []
    assert facts["data_date"] is None
    assert ansible.render(judged("ascend-torch-mismatch")) == text


def test_ansible_data_date_is_the_report_s_data_date() -> None:
    """The report states its data's date (`data.updated`); the fact carries the same."""
    argv = ["check", "--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"), "--format"]
    report = json.loads(run_cli(*argv, "json").stdout)
    facts = json.loads(run_cli(*argv, "ansible-facts").stdout)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", report["data"]["updated"])
    assert facts["data_date"] == report["data"]["updated"]


def test_nfd_output_is_placed_atomically_into_features_d(tmp_path: Path) -> None:
    features = tmp_path / "features.d"
    features.mkdir()
    target = features / "chipdoctor"
    argv = ["check", "--snapshot", str(SNAPSHOTS / "ascend-910b-healthy"), "--format", "nfd"]
    first = run_cli(*argv, "--output", str(target))
    assert first.returncode == 0, first.stderr
    assert "chipdoctor.io/status=ok" in target.read_text().splitlines()
    again = run_cli(*argv, "--output", str(target))
    assert again.returncode == 2  # never overwritten without --force
    mismatch = str(SNAPSHOTS / "ascend-torch-mismatch")
    replaced = run_cli(*argv[:2], mismatch, *argv[3:], "--output", str(target), "--force")
    assert replaced.returncode == 1
    assert "chipdoctor.io/status=error" in target.read_text().splitlines()
    assert sorted(p.name for p in features.iterdir()) == ["chipdoctor"]  # no dot-file left


class _Crash(RuntimeError):
    pass


def _run_main(argv: list[str]) -> int:
    from chipdoctor.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(argv)
    return int(stopped.value.code or 0)


def test_npd_reports_chipdoctor_s_own_failure_as_unknown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An internal error exits 2 (NPD's Unknown) with its line on stdout; other formats keep 3."""
    import chipdoctor.engine

    def crash(*args: object, **kwargs: object) -> Report:
        raise _Crash("a bug")

    monkeypatch.setattr(chipdoctor.engine, "check", crash)
    argv = ["check", "--snapshot", str(SNAPSHOTS / "ascend-910b-healthy"), "--format"]
    assert _run_main([*argv, "npd"]) == 2
    out, err = capsys.readouterr()
    assert out == "chipdoctor could not check this node: internal error: _Crash: a bug\n"
    assert "internal error" in err
    assert _run_main([*argv, "json"]) == 3
    assert capsys.readouterr().out == ""


@pytest.fixture
def incomplete_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every check reports a crashed part (its report is incomplete, exit 3)."""
    import chipdoctor.engine

    real = chipdoctor.engine.check

    def incomplete(*args: object, **kwargs: object) -> Report:
        report = real(*args, **kwargs)  # type: ignore[arg-type]
        report.inventory.crashed.append("ascend.probe-crashed")
        return report

    monkeypatch.setattr(chipdoctor.engine, "check", incomplete)


@pytest.mark.usefixtures("incomplete_check")
def test_npd_reports_an_incomplete_check_as_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check", "--snapshot", str(SNAPSHOTS / "ascend-910b-healthy"), "--format"]
    assert _run_main([*argv, "npd"]) == 2
    assert capsys.readouterr().out.startswith("INCOMPLETE: ")
    assert _run_main([*argv, "json"]) == 3


@pytest.mark.usefixtures("incomplete_check")
def test_an_incomplete_check_is_no_ok_label_or_fact(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A check that crashed in part may have missed a problem: NFD and Ansible see `error`, as
    fleet compare fails the node, never the `ok` of what it did see."""
    argv = ["check", "--snapshot", str(SNAPSHOTS / "ascend-910b-healthy"), "--format"]
    target = tmp_path / "chipdoctor"
    assert _run_main([*argv, "nfd", "--output", str(target)]) == 3
    assert "chipdoctor.io/status=error" in target.read_text().splitlines()
    capsys.readouterr()
    assert _run_main([*argv, "ansible-facts"]) == 3
    assert json.loads(capsys.readouterr().out)["status"] == "error"


@pytest.mark.parametrize("spelling", [["--format", "npd"], ["--format=npd"]])
def test_npd_reports_a_usage_error_as_unknown_on_stdout(spelling: list[str]) -> None:
    """A bad option stops before `check` runs: NPD still gets its one line and exit 2."""
    bad = run_cli("check", *spelling, "--no-such-option")
    assert bad.returncode == 2
    assert bad.stdout.startswith("chipdoctor could not check this node: error: ")
    assert "--no-such-option" in bad.stdout and bad.stdout.count("\n") == 1
    assert "--no-such-option" in bad.stderr


def test_a_usage_error_in_other_formats_leaves_stdout_empty() -> None:
    bad = run_cli("check", "--format", "json", "--no-such-option")
    assert (bad.returncode, bad.stdout) == (2, "")
