"""The Slurm prolog, run for real: exit 1 (drain) on an incompatible stack or a hang, else 0."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS, chipdoctor_argv, write_tool

ROOT = Path(__file__).resolve().parents[2]
PROLOG = ROOT / "integrations" / "slurm" / "prolog.sh"


def run_prolog(
    tmp_path: Path, bin_dir: Path, **settings: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The prolog as slurmd runs it (SLURM_* set), with `logger` recording to a file."""
    syslog = tmp_path / "syslog"
    write_tool(bin_dir, "logger", f'printf "%s\\n" "$*" >> {syslog}\n')
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "SLURMD_NODENAME": "npu-node-07",
        "SLURM_JOB_ID": "4242",
        "CHIPDOCTOR_PROLOG_CONF": str(tmp_path / "absent.conf"),
        "NO_COLOR": "1",
        **settings,
    }
    result = subprocess.run(
        ["bash", str(PROLOG)], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    lines = syslog.read_text().splitlines() if syslog.exists() else []
    return result, lines


def test_incompatible_stack_fails_the_prolog_with_the_reason(
    tmp_path: Path, tool_dir: Path
) -> None:
    write_tool(
        tool_dir,
        "chipdoctor",
        'echo "::group::chipdoctor inventory"\necho "::endgroup::"\n'
        'echo "::error title=ascend.torch-torch_npu::torch_npu 2.5.1 needs torch 2.5.1 fix: pip"\n'
        'echo "::notice title=policy.stack-ascend::present"\nexit 1\n',
    )
    result, syslog = run_prolog(tmp_path, tool_dir)
    assert result.returncode == 1
    reason = (
        "node npu-node-07, job 4242: incompatible accelerator stack (ascend.torch-torch_npu); "
        "failing the prolog drains the node"
    )
    assert f"chipdoctor prolog: {reason}" in result.stderr
    assert syslog[0] == f"-t chipdoctor -- {reason}"
    assert "error title=ascend.torch-torch_npu::torch_npu 2.5.1 needs torch 2.5.1" in syslog[1]


def test_strict_warnings_name_the_warning_ids(tmp_path: Path, tool_dir: Path) -> None:
    write_tool(
        tool_dir,
        "chipdoctor",
        'echo "::warning title=ascend.nnal-not-sourced::x"\n'
        'echo "::warning title=policy.ignore-expired::y"\nexit 1\n',
    )
    result, _ = run_prolog(tmp_path, tool_dir, CHIPDOCTOR_ARGS="--strict")
    assert result.returncode == 1
    assert "(ascend.nnal-not-sourced,policy.ignore-expired)" in result.stderr


def test_arguments_reach_chipdoctor(tmp_path: Path, tool_dir: Path) -> None:
    seen = tmp_path / "argv"
    write_tool(tool_dir, "chipdoctor", f'printf "%s\\n" "$@" > {seen}\nexit 0\n')
    result, syslog = run_prolog(
        tmp_path, tool_dir, CHIPDOCTOR_ARGS="--strict --policy /etc/chipdoctor/policy.yaml"
    )
    assert result.returncode == 0
    assert result.stderr == ""
    assert syslog == []
    assert seen.read_text().split() == [
        "check",
        "--format",
        "github",
        "--strict",
        "--policy",
        "/etc/chipdoctor/policy.yaml",
    ]


def test_a_hanging_check_is_killed_and_drains(tmp_path: Path, tool_dir: Path) -> None:
    write_tool(tool_dir, "chipdoctor", "sleep 30\n")  # a child that outlives a killed parent
    started = time.monotonic()
    result, syslog = run_prolog(tmp_path, tool_dir, CHIPDOCTOR_TIMEOUT="1")
    assert time.monotonic() - started < 10
    assert result.returncode == 1
    assert "did not finish in 1s" in result.stderr
    assert syslog and "did not finish in 1s" in syslog[0]


@pytest.mark.parametrize("status", [2, 3])
def test_a_broken_chipdoctor_does_not_drain(tmp_path: Path, tool_dir: Path, status: int) -> None:
    write_tool(
        tool_dir, "chipdoctor", f'echo "chipdoctor: error: p.yaml:3: bad" >&2\nexit {status}\n'
    )
    result, syslog = run_prolog(tmp_path, tool_dir)
    assert result.returncode == 0
    assert (
        f"chipdoctor could not check the stack (exit {status}): chipdoctor: error: p.yaml:3: bad"
        in (result.stderr)
    )
    assert syslog


def test_chipdoctor_not_installed_does_not_drain(tmp_path: Path, tool_dir: Path) -> None:
    result, _ = run_prolog(tmp_path, tool_dir, CHIPDOCTOR=str(tmp_path / "no-such-chipdoctor"))
    assert result.returncode == 0
    assert "is not installed; the stack was not checked" in result.stderr


def test_settings_file_is_read(tmp_path: Path, tool_dir: Path) -> None:
    write_tool(tool_dir, "chipdoctor", "exit 1\n")
    conf = tmp_path / "prolog.conf"
    conf.write_text(f"CHIPDOCTOR={tool_dir / 'ok-doctor'}\n")
    write_tool(tool_dir, "ok-doctor", "exit 0\n")
    result, _ = run_prolog(tmp_path, tool_dir, CHIPDOCTOR_PROLOG_CONF=str(conf))
    assert result.returncode == 0


def test_real_chipdoctor_on_failing_and_healthy_snapshots(tmp_path: Path, tool_dir: Path) -> None:
    argv = chipdoctor_argv()
    if len(argv) > 1:  # no console script on PATH: wrap `python -m chipdoctor`
        write_tool(tool_dir, "chipdoctor", f'exec {" ".join(argv)} "$@"\n')
    else:
        tool_dir.mkdir(parents=True, exist_ok=True)
        (tool_dir / "chipdoctor").symlink_to(argv[0])
    assert shutil.which("chipdoctor", path=str(tool_dir))
    failing, syslog = run_prolog(
        tmp_path, tool_dir, CHIPDOCTOR_ARGS=f"--snapshot {SNAPSHOTS / 'ascend-torch-mismatch'}"
    )
    assert failing.returncode == 1
    assert "incompatible accelerator stack (ascend.torch-torch_npu)" in syslog[0]
    healthy, _ = run_prolog(
        tmp_path, tool_dir, CHIPDOCTOR_ARGS=f"--snapshot {SNAPSHOTS / 'ascend-910b-healthy'}"
    )
    assert healthy.returncode == 0
    assert healthy.stderr == ""
