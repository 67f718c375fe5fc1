"""The fuzz harness itself: its caps reach the child and its oracle flags every failure."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

from tests.conftest import SNAPSHOTS, write_tool
from tests.fuzz.harness import Job, Outcome, run_jobs
from tests.fuzz.test_fuzz import Mutant, verdict

HEALTHY = ["check", "--format", "json", "--snapshot", str(SNAPSHOTS / "ascend-910b-healthy")]


def test_a_healthy_check_passes_under_the_caps(tmp_path: Path) -> None:
    job = Job(HEALTHY, tmp_path)
    run_jobs([job])
    assert job.outcome is not None and job.outcome.code == 0, job.outcome
    assert json.loads(job.outcome.stdout)["status"] == "ok"


def test_the_memory_cap_reaches_the_child(tmp_path: Path) -> None:
    """With 500 MiB the check passes (above); with 40 MiB it cannot run, and the oracle says so."""
    job = Job(HEALTHY, tmp_path, memory=40 << 20)
    run_jobs([job])
    assert job.outcome is not None
    assert job.outcome.code == 3 or job.outcome.signal is not None, job.outcome.describe()
    assert verdict(Mutant("snapshot", "x", "null_value", 0), job.outcome, job.outcome, tmp_path)


def test_the_alarm_ends_a_hung_check(tmp_path: Path) -> None:
    """A vendor tool that hangs past the alarm: the child is killed by SIGALRM, a failure."""
    tools = tmp_path / "bin"
    write_tool(tools, "nvidia-smi", f"exec {shutil.which('sleep')} 3\n")
    job = Job(["check", "--timeout", "2.5"], tmp_path, alarm_s=1, env={"PATH": str(tools)})
    run_jobs([job])
    assert job.outcome is not None and job.outcome.signal == signal.SIGALRM, job.outcome
    assert verdict(Mutant("snapshot", "x", "null_value", 0), job.outcome, job.outcome, tmp_path)


def _outcome(code: int, stdout: str = "", stderr: str = "") -> Outcome:
    return Outcome(code, None, stdout, stderr, 0.1)


def test_the_oracle() -> None:
    mutant = Mutant("policy", "x", "insert_bytes", 0)
    fixture = _outcome(1, json.dumps({"components": [], "findings": []}))
    crash = json.dumps({"findings": [{"id": "cuda.probe-crashed", "message": "boom"}]})
    refused = _outcome(2, stderr="chipdoctor: error: p.yaml:3: bad\n")
    assert verdict(mutant, refused, fixture, Path()) is None
    assert verdict(mutant, _outcome(1, "{}"), fixture, Path()) is None
    assert "internal error" in str(
        verdict(mutant, _outcome(3, "", "internal error"), fixture, Path())
    )
    assert "crash" in str(verdict(mutant, _outcome(1, crash), fixture, Path()))
    assert "one error line" in str(
        verdict(mutant, _outcome(2, stderr="Traceback\n  x\nValueError\n"), fixture, Path())
    )
    assert "one error line" in str(verdict(mutant, _outcome(2, stderr="usage\n"), fixture, Path()))
