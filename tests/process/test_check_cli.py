"""The issue's hostile tools under a real `chipdoctor check`: it ends within its bounds and
leaves nothing running."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from tests.conftest import run_cli, run_cli_process, write_tool
from tests.process.test_bounded import survivors


def test_an_escaped_child_holding_the_pipes_does_not_hold_up_check(tmp_path: Path) -> None:
    marker = f"chipdoctor-test-{uuid.uuid4().hex}"
    tool_dir = tmp_path / "bin"
    write_tool(tool_dir, "nvidia-smi", f"setsid sh -c 'sleep 300; : {marker}' &\necho hello\n")
    started = time.monotonic()
    # A child process: whether the escaped grandchild holds chipdoctor's own stdout open
    # (and so its reader) is what is tested.
    result = run_cli_process(
        "check", "--timeout", "30", env={"PATH": f"{tool_dir}:{os.environ['PATH']}"}
    )
    assert time.monotonic() - started < 15, result.stderr
    assert result.returncode in (0, 1), result.stderr
    assert survivors(marker) == []


def test_a_tool_printing_without_end_is_cut_not_read_to_the_timeout(tmp_path: Path) -> None:
    tool_dir = tmp_path / "bin"
    write_tool(tool_dir, "nvidia-smi", "exec yes\n")
    started = time.monotonic()
    result = run_cli("check", "--timeout", "60", env={"PATH": f"{tool_dir}:{os.environ['PATH']}"})
    assert time.monotonic() - started < 20, result.stderr
    assert "printed more than 1 MiB" in result.stdout
    assert "`nvidia-smi` was stopped: printed more than 1 MiB" in " ".join(result.stdout.split())
    assert "could not be started" not in result.stdout
