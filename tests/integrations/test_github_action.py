"""The GitHub Action: action.yml's metadata, its run script run for real, the sample workflow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import SNAPSHOTS

ROOT = Path(__file__).resolve().parents[2]
RUN_SH = ROOT / "integrations" / "github" / "run.sh"
MISMATCH = str(SNAPSHOTS / "ascend-torch-mismatch")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def run_action(
    tmp_path: Path, *args: str, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """integrations/github/run.sh as the action's step runs it, with a job summary file."""
    summary = tmp_path / "step_summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CHIPDOCTOR_"))}
    env.update(
        NO_COLOR="1",
        LANG="C.UTF-8",
        GITHUB_STEP_SUMMARY=str(summary),
        CHIPDOCTOR_PYTHON=sys.executable,
        **{f"CHIPDOCTOR_{name.upper()}": value for name, value in inputs.items()},
    )
    result = subprocess.run(
        ["bash", str(RUN_SH), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    return result, summary


def test_run_script_on_a_failing_snapshot(tmp_path: Path) -> None:
    result, summary = run_action(tmp_path, "--snapshot", MISMATCH)
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith("::error title=ascend.torch-torch_npu::torch_npu 2.5.1.post1")
    assert "fix: pip install torch==2.5.1" in errors[0]
    text = summary.read_text(encoding="utf-8")
    assert "**❌ INCOMPATIBLE: 1 error(s), 0 warning(s)**" in text
    assert "`ascend.torch-torch_npu`" in text


def test_run_script_inputs_policy_strict_and_quoted_args(tmp_path: Path) -> None:
    (tmp_path / "gate.yaml").write_text("require_stacks: [cuda]\n")
    result, _ = run_action(
        tmp_path,
        policy="gate.yaml",
        strict="true",
        args=f"--snapshot '{SNAPSHOTS / 'ascend-910b-healthy'}' --require 'torch_npu>=2.6'",
    )
    assert result.returncode == 1, result.stderr
    titles = [
        line.split("::")[1] for line in result.stdout.splitlines() if line.startswith("::error")
    ]
    assert titles == ["error title=policy.stack-cuda", "error title=policy.require-torch_npu"]
    assert "requires the cuda stack (gate.yaml:1)" in result.stdout


def test_run_script_passes_a_clean_check(tmp_path: Path) -> None:
    result, summary = run_action(
        tmp_path, args=f"--snapshot {SNAPSHOTS / 'ascend-910b-healthy'}", strict="false"
    )
    assert result.returncode == 0, result.stderr
    assert "::error" not in result.stdout
    assert "**✅ OK: nothing is incompatible.**" in summary.read_text(encoding="utf-8")


def test_run_script_junit_format(tmp_path: Path) -> None:
    result, summary = run_action(tmp_path, "--snapshot", MISMATCH, format="junit")
    assert result.returncode == 1
    assert result.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert not summary.exists()  # the job summary comes with the github format only


def test_run_script_bad_inputs_are_exit_2_with_an_annotation(tmp_path: Path) -> None:
    bad_strict, _ = run_action(tmp_path, strict="yes")
    assert bad_strict.returncode == 2
    assert "::error title=chipdoctor::the strict input must be true or false" in bad_strict.stdout
    unbalanced, _ = run_action(tmp_path, args="--require 'torch>=2")
    assert unbalanced.returncode == 2
    assert "cannot be split" in unbalanced.stdout
    missing, _ = run_action(tmp_path, policy="absent.yaml")
    assert missing.returncode == 2
    assert "chipdoctor: error: absent.yaml: no such file" in missing.stderr
    assert "::error title=chipdoctor::chipdoctor exited with status 2" in missing.stdout


def test_args_are_never_evaluated_by_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    result, _ = run_action(
        tmp_path, args=f"--snapshot {MISMATCH} $(touch {marker}) ; touch {marker}"
    )
    assert result.returncode == 2  # the words reach chipdoctor as unknown arguments
    assert not marker.exists()


def test_action_metadata() -> None:
    action = load(ROOT / "action.yml")
    assert action["name"] and action["description"]
    assert set(action["inputs"]) == {"format", "policy", "strict", "args", "python-version"}
    for name, spec in action["inputs"].items():
        assert spec["description"], name
        assert isinstance(spec.get("default", ""), str), name  # inputs are strings
    assert action["inputs"]["format"]["default"] == "github"
    runs = action["runs"]
    assert runs["using"] == "composite"
    for step in runs["steps"]:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step["shell"] == "bash", step  # composite run steps must name a shell
            assert "${{" not in step["run"], "inputs reach scripts through env, never inline"
    run_steps = [s for s in runs["steps"] if "run" in s]
    assert "integrations/github/run.sh" in run_steps[-1]["run"]
    assert {
        "CHIPDOCTOR_FORMAT",
        "CHIPDOCTOR_POLICY",
        "CHIPDOCTOR_STRICT",
        "CHIPDOCTOR_ARGS",
    } <= set(run_steps[-1]["env"])


def test_sample_workflow_gates_training_on_the_action() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "preflight-example.yml")
    # NOTE: YAML 1.1 reads the key `on` as the boolean true.
    triggers = workflow.get("on", workflow.get(True))
    assert triggers == {"workflow_dispatch": None}  # needs an NPU runner: never on push
    jobs = workflow["jobs"]
    preflight_steps = jobs["preflight"]["steps"]
    assert any(step.get("uses") == "./" for step in preflight_steps)
    assert jobs["train"]["needs"] == "preflight"
    for job in jobs.values():
        assert job["runs-on"] and job["steps"]
