"""The GitLab CI template: the keys GitLab needs, and its check command run for real."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import SNAPSHOTS
from tests.report.test_junit import parse as parse_junit

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "integrations" / "gitlab" / "chipdoctor.gitlab-ci.yml"
EXAMPLE = ROOT / "integrations" / "gitlab" / "example-pipeline.yml"


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def extend(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """GitLab's `extends`: a deep merge of mappings, the extending job's keys winning."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = extend(out[key], value)
        else:
            out[key] = value
    return out


def test_template_job_has_script_and_a_junit_report() -> None:
    job = load(TEMPLATE)[".chipdoctor"]
    assert all(isinstance(line, str) for line in job["script"])
    assert job["artifacts"]["when"] == "always"  # failing jobs are the ones worth reporting
    report = job["artifacts"]["reports"]["junit"]
    assert report == "chipdoctor-junit.xml"
    assert f"--output {report} --force" in job["script"][-1]
    assert "--format junit" in job["script"][-1]


def test_template_check_command_runs(tmp_path: Path) -> None:
    job = load(TEMPLATE)[".chipdoctor"]
    check = job["script"][-1]  # the pip install line before it needs a network
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIPDOCTOR_")}
    env.update(
        NO_COLOR="1",
        CHIPDOCTOR_PYTHON=sys.executable,
        CHIPDOCTOR_ARGS=f"--snapshot {SNAPSHOTS / 'ascend-910b-healthy'} --require cann>=8.3.RC1",
    )
    for _ in range(2):  # a shell executor keeps the last report: the rerun must still write
        result = subprocess.run(
            ["sh", "-c", check],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1, result.stderr
        assert "policy.require-cann" in result.stdout  # the table in the job log
        root = parse_junit((tmp_path / "chipdoctor-junit.xml").read_text(encoding="utf-8"))
        failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
        assert failed == ["policy.require-cann"]


def test_example_pipeline_gates_training_on_the_template() -> None:
    pipeline = load(EXAMPLE)
    assert pipeline["include"] == [{"local": "ci/chipdoctor.gitlab-ci.yml"}]
    assert pipeline["stages"] == ["preflight", "train"]
    preflight = pipeline["preflight"]
    assert preflight["extends"] == ".chipdoctor"
    assert preflight["tags"]
    job = extend(load(TEMPLATE)[".chipdoctor"], preflight)
    assert job["stage"] == "preflight"
    assert job["script"] and job["artifacts"]["reports"]["junit"]
    assert "--strict" in job["variables"]["CHIPDOCTOR_ARGS"]
    assert "'" not in job["variables"]["CHIPDOCTOR_ARGS"]  # the shell would keep the quotes
    train = pipeline["train"]
    assert train["needs"] == ["preflight"]
    assert train["script"]
