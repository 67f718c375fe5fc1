"""A spinner on a terminal's stderr while a slow probe runs; nothing when stderr is a pipe."""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path

from tests.conftest import SNAPSHOTS, chipdoctor_argv, run_cli, write_tool

NPU_SMI_OUTPUT = SNAPSHOTS / "ascend-910b-healthy" / "commands" / "npu-smi-info.txt"
SPINNER_TEXT = b"chipdoctor: waiting for ascend"


def _slow_npu_smi(tool_dir: Path) -> dict[str, str]:
    """`npu-smi` that answers after 1.5 s: the Ascend probe waits on it past the half second."""
    write_tool(tool_dir, "npu-smi", f"sleep 1.5\ncat '{NPU_SMI_OUTPUT}'\n")
    return {"PATH": f"{tool_dir}:{os.environ['PATH']}"}


def _run_with_tty_stderr(args: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run the console script with stderr on a pseudo-terminal and stdout on a pipe."""
    leader, follower = os.openpty()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ASCEND_", "LANG", "LC_"))}
    process = subprocess.Popen(
        [*chipdoctor_argv(), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**base, "TERM": "xterm", "NO_COLOR": "1", **env},
    )
    os.close(follower)
    tty = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not chunk:
                break
            tty += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    stdout, _ = process.communicate(timeout=10)
    return process.returncode, stdout, tty


def test_a_slow_probe_spins_on_a_terminal(tool_dir: Path) -> None:
    code, stdout, tty = _run_with_tty_stderr(["check"], _slow_npu_smi(tool_dir))
    assert code in (0, 1), stdout  # the spinner is under test, not this host's verdict
    assert SPINNER_TEXT in tty
    assert b"\x1b[?25l" in tty  # rich hides the cursor while it spins …
    assert tty.rstrip().endswith(b"\x1b[2K")  # … and erases the line when done
    assert b"ascend" in stdout and SPINNER_TEXT not in stdout


def test_no_spinner_for_json_even_on_a_terminal(tool_dir: Path) -> None:
    code, stdout, tty = _run_with_tty_stderr(["check", "--format", "json"], _slow_npu_smi(tool_dir))
    assert code in (0, 1)
    assert tty == b""
    assert stdout.startswith(b"{")


def test_no_spinner_when_stderr_is_a_pipe(tool_dir: Path) -> None:
    result = run_cli("check", env=_slow_npu_smi(tool_dir))
    assert result.returncode in (0, 1), result.stderr
    assert "waiting for" not in result.stderr and "\x1b" not in result.stderr


def test_a_fast_check_does_not_spin() -> None:
    code, _, tty = _run_with_tty_stderr(
        ["check", "--snapshot", str(SNAPSHOTS / "ascend-910b-healthy")], {}
    )
    assert code == 0
    assert tty == b""
