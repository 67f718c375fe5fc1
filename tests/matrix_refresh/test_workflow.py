"""The weekly refresh workflow: valid against GitHub's workflow schema (check-jsonschema ships it),
its shell steps pass shellcheck, and it runs the two scripts this repository tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "refresh-data.yml"


def tool(name: str) -> str:
    """A PyPI-installed tool of this environment (found beside the interpreter, as CI has it)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    assert found, f"{name} is a test dependency (pyproject's test extras)"
    return found


def load() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def test_the_workflow_matches_githubs_schema() -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_weekly_and_opens_a_pull_request_with_the_summary() -> None:
    workflow = load()
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    (schedule,) = triggers["schedule"]
    *_time, day, month, weekday = schedule["cron"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit()  # once a week
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
    steps = workflow["jobs"]["refresh"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "scripts/fetch_sources.py --into tests/fixtures/sources" in runs
    assert "scripts/refresh_matrices.py --from tests/fixtures/sources --summary" in runs
    assert (
        'gh pr create --head "$BRANCH"' in runs and '--body-file "$RUNNER_TEMP/summary.md"' in runs
    )
    for step in steps:
        # Values reach the scripts through env, never pasted into the shell text.
        assert "${{" not in step.get("run", ""), step


def test_its_shell_steps_pass_shellcheck(tmp_path: Path) -> None:
    for index, step in enumerate(load()["jobs"]["refresh"]["steps"]):
        if "run" not in step:
            continue
        script = tmp_path / f"step{index}.sh"
        script.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + step["run"])
        result = subprocess.run(
            [tool("shellcheck"), "--shell=bash", str(script)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, step["name"] + "\n" + result.stdout
