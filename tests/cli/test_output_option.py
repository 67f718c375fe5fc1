"""`--output FILE`: the chosen format to the file, the table to stdout, nothing overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS, run_cli

MISMATCH = str(SNAPSHOTS / "ascend-torch-mismatch")
HEALTHY = str(SNAPSHOTS / "ascend-910b-healthy")


@pytest.mark.parametrize("fmt", ["table", "json", "junit", "github", "markdown"])
@pytest.mark.parametrize(("snapshot", "code"), [(MISMATCH, 1), (HEALTHY, 0)])
def test_exit_code_is_the_same_in_every_format(fmt: str, snapshot: str, code: int) -> None:
    result = run_cli("check", "--snapshot", snapshot, "--format", fmt)
    assert result.returncode == code, result.stderr
    assert result.stderr == ""


def test_output_writes_the_format_and_prints_the_table(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = run_cli("check", "--snapshot", MISMATCH, "--format", "json", "--output", str(target))
    assert result.returncode == 1
    assert json.loads(target.read_text(encoding="utf-8"))["status"] == "error"
    assert "stack  ┃ component" in result.stdout  # the human table
    assert "INCOMPATIBLE: 1 error(s), 0 warning(s)" in result.stdout
    assert not list(tmp_path.glob(".report.json.*"))  # no temporary file left behind
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode


def test_output_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "chipdoctor.xml"
    target.write_text("keep me", encoding="utf-8")
    result = run_cli("check", "--snapshot", MISMATCH, "--format", "junit", "--output", str(target))
    assert result.returncode == 2
    assert result.stdout == ""  # refused before the check ran
    assert result.stderr.strip() == (
        f"chipdoctor: error: {target}: already exists (use --force to overwrite it)"
    )
    assert target.read_text(encoding="utf-8") == "keep me"
    forced = run_cli(
        "check", "--snapshot", MISMATCH, "--format", "junit", "--output", str(target), "--force"
    )
    assert forced.returncode == 1
    assert target.read_text(encoding="utf-8").startswith("<?xml")


def test_output_refused_before_reading_anything(tmp_path: Path) -> None:
    target = tmp_path / "exists.md"
    target.write_text("x")
    result = run_cli("check", "--snapshot", str(tmp_path / "no-snapshot"), "--output", str(target))
    assert result.returncode == 2
    assert "already exists" in result.stderr  # not the snapshot error


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing-dir/report.xml", "directory"),
        (".", "is a directory"),
    ],
)
def test_output_to_an_impossible_place(tmp_path: Path, name: str, message: str) -> None:
    target = tmp_path / name
    result = run_cli("check", "--snapshot", HEALTHY, "--output", str(target))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_output_where_the_file_system_refuses_it() -> None:
    # /proc takes no new files, whoever asks (root included), so the write itself fails.
    result = run_cli("check", "--snapshot", HEALTHY, "--output", "/proc/chipdoctor-report.md")
    assert result.returncode == 2
    assert result.stderr.startswith("chipdoctor: error: /proc/chipdoctor-report.md: cannot write: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_table_format_to_a_file_has_no_colour(tmp_path: Path) -> None:
    target = tmp_path / "table.txt"
    result = run_cli("check", "--snapshot", MISMATCH, "--output", str(target), env={"NO_COLOR": ""})
    assert result.returncode == 1
    assert "\x1b[" not in target.read_text(encoding="utf-8")
    assert "ascend.torch-torch_npu" in target.read_text(encoding="utf-8")


def test_github_format_to_a_file_still_appends_the_summary(tmp_path: Path) -> None:
    target = tmp_path / "annotations.txt"
    summary = tmp_path / "summary.md"
    result = run_cli(
        "check",
        "--snapshot",
        MISMATCH,
        "--format",
        "github",
        "--output",
        str(target),
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.returncode == 1
    assert "::error title=ascend.torch-torch_npu::" in target.read_text(encoding="utf-8")
    assert "::error" not in result.stdout
    assert "### Findings" in summary.read_text(encoding="utf-8")
