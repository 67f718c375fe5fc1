"""`check`'s fix and `fix`'s plan name the same thing (issue 12 item 7). The disagreements the
issue names are reproduced here first; the ones not yet resolved are strict xfails, so the day
one source serves both the test fails until it is marked fixed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS, run_cli


def _check_fix(snapshot: str, finding: str) -> str:
    report = json.loads(run_cli("check", "--snapshot", str(SNAPSHOTS / snapshot), "--format",
                                "json").stdout)  # fmt: skip
    (fix,) = [f["fix"] for f in report["findings"] if f["id"] == finding]
    return str(fix)


def _plan_commands(snapshot: str) -> list[str]:
    plan = json.loads(run_cli("fix", "--snapshot", str(SNAPSHOTS / snapshot), "--format",
                              "json").stdout)  # fmt: skip
    return [command for step in plan["steps"] for command in step["commands"]]


def test_cuda_cpu_torch_check_and_fix_name_the_same_build() -> None:
    fix = _check_fix("cuda-cpu-torch-on-gpu-host", "cuda.torch-cpu-build")
    wanted = re.search(r"torch==\S+", fix)
    assert wanted is not None
    assert any(
        wanted.group(0) in command for command in _plan_commands("cuda-cpu-torch-on-gpu-host")
    )


@pytest.mark.xfail(strict=True, reason="check keeps torch 2.3.0, fix plans 2.14.0 (issue 12)")
def test_rocm_cpu_torch_check_and_fix_name_the_same_build() -> None:
    fix = _check_fix("rocm-cpu-torch", "rocm.torch-not-rocm")
    wanted = re.search(r"torch==\S+", fix)
    assert wanted is not None
    assert any(wanted.group(0) in command for command in _plan_commands("rocm-cpu-torch"))


@pytest.mark.xfail(strict=True, reason="check names CANN 8.2.RC1, fix plans 8.3.RC1 (issue 12)")
def test_torch_npu_without_cann_check_and_fix_name_the_same_cann(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    snap.mkdir()
    (snap / "snapshot.yaml").write_text(
        "format: chipdoctor-snapshot/1\nplatform: {system: Linux, machine: aarch64}\n"
        'python: {version: "3.10.14", packages: {torch: "2.5.1", torch-npu: "2.5.1.post1"}}\n'
    )
    check = json.loads(run_cli("check", "--snapshot", str(snap), "--format", "json").stdout)
    (fix,) = [f["fix"] for f in check["findings"] if f["id"] == "ascend.torch_npu-without-cann"]
    wanted = re.search(r"CANN (\S+)", fix)
    assert wanted is not None
    plan = json.loads(run_cli("fix", "--snapshot", str(snap), "--format", "json").stdout)
    toolkit = [s for s in plan["steps"] if s["kind"] == "toolkit"]
    assert toolkit and f"CANN {wanted.group(1)}" in toolkit[0]["title"]
