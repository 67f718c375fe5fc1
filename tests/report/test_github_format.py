"""`--format github`: workflow commands escaped as the runner expects, and the job summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from chipdoctor.model import Component, Finding, Inventory, Report, Severity
from chipdoctor.report import github
from tests.conftest import SNAPSHOTS, run_cli

MISMATCH = str(SNAPSHOTS / "ascend-torch-mismatch")


def unescape(text: str) -> str:
    """What the Actions runner makes of escaped data (inverse of actions/toolkit's escaping)."""
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def test_failing_snapshot_gives_error_annotations_and_exit_1() -> None:
    result = run_cli("check", "--snapshot", MISMATCH, "--format", "github")
    assert result.returncode == 1
    assert result.stderr == ""
    (error,) = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert error.startswith("::error title=ascend.torch-torch_npu::torch_npu 2.5.1.post1 is built")
    assert error.endswith(
        " fix: pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cpu"
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "::group::chipdoctor inventory"
    assert "component torch_npu 2.5.1.post1 (package metadata: torch_npu)" in lines
    assert lines[-1] == "chipdoctor 0.1.0: INCOMPATIBLE: 1 error(s), 0 warning(s)"


@pytest.mark.parametrize(
    ("severity", "command"),
    [(Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.INFO, "notice")],
)
def test_severity_picks_the_command(severity: Severity, command: str) -> None:
    report = Report("0.1.0", Inventory(), [Finding("host.x", severity, (), "m")])
    assert github.annotation(report, report.findings[0]) == f"::{command} title=host.x::m"


def test_data_and_properties_are_escaped_as_the_runner_expects() -> None:
    message = "100% broken\r\nsecond line: a, b"
    finding = Finding("ascend.x", Severity.ERROR, (), message, "do: this, then that")
    report = Report("0.1.0", Inventory(), [finding])
    line = github.annotation(report, finding)
    assert "\n" not in line
    assert "\r" not in line
    head, data = line.split("::", 2)[1:]
    assert head == "error title=ascend.x"
    assert data == "100%25 broken%0D%0Asecond line: a, b fix: do: this, then that"
    assert unescape(data) == f"{message} fix: do: this, then that"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_nothing_read_from_the_machine_can_inject_a_command() -> None:
    evil = "1.0\n::error title=fake::pwned"
    report = Report(
        "0.1.0",
        Inventory(components=[Component("cann", evil, "/x\n::set-output name=a::b")]),
        [],
    )
    lines = github.render(report).splitlines()
    commands = [line.split(" ", 1)[0] for line in lines if line.startswith("::")]
    assert commands == ["::group::chipdoctor", "::endgroup::"]


def test_job_summary_is_appended_when_github_step_summary_is_set(tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    result = run_cli(
        "check",
        "--snapshot",
        MISMATCH,
        "--format",
        "github",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.returncode == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## chipdoctor 0.1.0 · accelerator stacks: ascend\n")
    assert "**❌ INCOMPATIBLE: 1 error(s), 0 warning(s)**" in text
    assert "- ❌ **error** `ascend.torch-torch_npu`:" in text
    assert "::" not in text.replace("<https://", "")  # Markdown, not workflow commands


def test_no_summary_without_the_variable_or_for_other_formats(tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    result = run_cli("check", "--snapshot", MISMATCH, "--format", "github")
    assert result.returncode == 1
    other = run_cli(
        "check",
        "--snapshot",
        MISMATCH,
        "--format",
        "json",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert other.returncode == 1
    assert not summary.exists()


def test_unwritable_summary_is_bad_input(tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "summary.md"
    result = run_cli(
        "check",
        "--snapshot",
        MISMATCH,
        "--format",
        "github",
        env={"GITHUB_STEP_SUMMARY": str(target)},
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"chipdoctor: error: {target}: cannot append the job summary: no such file or directory"
    )
