"""The Docker Engine's runtimes are evidence: a live check asks the engine, `chipdoctor snapshot`
records its answer (chipdoctor-snapshot/3), and a check of that snapshot gives the same
`<stack>.docker-runtime` finding with no engine at hand."""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from tests.conftest import FIXTURES, run_cli, write_tool

SMI = FIXTURES / "nvidia_smi" / "580.65.06_rtx4090_procs.txt"


def _gpu_host(tmp_path: Path, docker_host: str) -> dict[str, str]:
    """This machine with a real `nvidia-smi` script on PATH replaying an RTX 4090's output."""
    tools = write_tool(tmp_path / "bin", "nvidia-smi", f"cat '{SMI}'\n").parent
    return {"DOCKER_HOST": docker_host, "PATH": f"{tools}:{os.environ['PATH']}"}


def test_live_check_and_its_snapshot_give_the_same_runtime_finding(
    tmp_path: Path, docker_host: str
) -> None:
    env = _gpu_host(tmp_path, docker_host)
    live = run_cli("check", "--format", "json", env=env)
    live_report = json.loads(live.stdout)
    (runtime,) = [f for f in live_report["findings"] if f["id"] == "cuda.docker-runtime"]
    assert "no `nvidia` runtime registered" in runtime["message"]
    snap = tmp_path / "snap"
    made = run_cli("snapshot", str(snap), env=env)
    assert made.returncode == 0, made.stderr
    recorded = yaml.safe_load((snap / "snapshot.yaml").read_text())
    assert recorded["format"] == "chipdoctor-snapshot/3"
    assert "runc" in recorded["docker"]["runtimes"]
    assert recorded["host"] == live_report["host"]
    elsewhere = {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    frozen = run_cli("check", "--snapshot", str(snap), "--format", "json", env=elsewhere)
    assert frozen.returncode == live.returncode
    assert json.loads(frozen.stdout) == live_report


def test_no_engine_is_recorded_as_none_and_gives_no_finding(tmp_path: Path) -> None:
    env = _gpu_host(tmp_path, f"unix://{tmp_path}/no-engine.sock")
    snap = tmp_path / "snap"
    assert run_cli("snapshot", str(snap), env=env).returncode == 0
    assert "docker" not in yaml.safe_load((snap / "snapshot.yaml").read_text())
    frozen = json.loads(run_cli("check", "--snapshot", str(snap), "--format", "json").stdout)
    assert not any(f["id"] == "cuda.docker-runtime" for f in frozen["findings"])
