"""Hostile vendor tools (real shell scripts, real timeouts): output, time and descendants bounded.

Each escape test runs under every containment this machine offers, each alone: the subreaper
(always), each cgroup kind that can be made here (skipped, with the reason, where it cannot),
and `auto`, the default, which combines them. Survivors are looked for by a marker in
/proc/*/cmdline and by pid.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import pytest

from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.process import (
    CGROUP_KINDS,
    MAX_OUTPUT_BYTES,
    Outcome,
    run_bounded,
)
from tests.conftest import write_tool

ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C"}


def _cgroup_made(kind: str) -> bool:
    return run_bounded(["true"], timeout=10, env=ENV, containment=kind).cgroup == kind


@pytest.fixture(params=["subreaper", *CGROUP_KINDS, "auto"])
def containment(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    if kind in CGROUP_KINDS and not _cgroup_made(kind):
        pytest.skip(f"this machine lets this process make no {kind} cgroup")
    return kind


@pytest.fixture
def marker() -> str:
    return f"chipdoctor-test-{uuid.uuid4().hex}"


def survivors(marker: str) -> list[int]:
    """Live processes whose command line holds `marker` (zombies have an empty one)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path("/proc", entry, "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs: a zombie (killed, not yet reaped by whoever adopted it) does not."""
    try:
        stat = Path("/proc", str(pid), "stat").read_bytes()
    except FileNotFoundError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"


def escaping(ready: Path, marker: str, how: str, *, to: str = "") -> str:
    """Script lines that start `how sh -c 'sleep 300'` in the background (`to`: redirections)
    and go on only once it runs, so the tool cannot exit before its child has escaped."""
    child = f"sh -c 'touch {ready}; sleep 300; : {marker}'"
    return f"{how} {child} {to} &\nuntil [ -e {ready} ]; do sleep 0.01; done\n"


def run_tool(tool: Path, *, timeout: float, containment: str = "auto") -> tuple[Outcome, float]:
    started = time.monotonic()
    outcome = run_bounded([str(tool)], timeout=timeout, env=ENV, containment=containment)
    return outcome, time.monotonic() - started


def test_setsid_child_holding_the_pipes_neither_blocks_nor_survives(
    tmp_path: Path, containment: str, marker: str
) -> None:
    script = escaping(tmp_path / "ready", marker, "setsid") + "echo $!\n"
    outcome, elapsed = run_tool(
        write_tool(tmp_path, "tool", script), timeout=20, containment=containment
    )
    assert elapsed < 5, "waited on a pipe the tool's escaped child held"
    assert (outcome.exit, outcome.timed_out) == (0, False)
    if containment != "auto":
        assert outcome.cgroup == ("" if containment == "subreaper" else containment)
    assert not alive(int(outcome.stdout.split()[0]))
    assert survivors(marker) == []


def test_a_daemon_double_forked_and_setsid_away_from_the_pipes_is_killed(
    tmp_path: Path, containment: str, marker: str
) -> None:
    quiet = "</dev/null >/dev/null 2>&1"
    script = f"({escaping(tmp_path / 'ready', marker, 'setsid', to=quiet)})\nexit 4\n"
    outcome, _ = run_tool(write_tool(tmp_path, "tool", script), timeout=20, containment=containment)
    assert outcome.exit == 4
    assert survivors(marker) == []


def test_an_escapee_that_clears_its_environment_is_killed(
    tmp_path: Path, containment: str, marker: str
) -> None:
    quiet = "</dev/null >/dev/null 2>&1"
    script = escaping(tmp_path / "ready", marker, "setsid env -i", to=quiet)
    outcome, _ = run_tool(write_tool(tmp_path, "tool", script), timeout=20, containment=containment)
    assert outcome.exit == 0
    assert survivors(marker) == []


def test_timeout_covers_the_group_and_escaped_descendants(
    tmp_path: Path, containment: str, marker: str
) -> None:
    script = f"setsid sh -c 'sleep 300; : {marker}' &\nsh -c 'sleep 300; : {marker}' &\nwait\n"
    outcome, elapsed = run_tool(
        write_tool(tmp_path, "tool", script), timeout=1, containment=containment
    )
    assert outcome.timed_out and outcome.exit is None
    assert outcome.error == "timed out after 1 s"
    assert elapsed < 4
    assert survivors(marker) == []


def test_endless_stdout_is_cut_at_the_cap_while_the_tool_runs(tmp_path: Path) -> None:
    outcome, elapsed = run_tool(write_tool(tmp_path, "tool", "exec yes\n"), timeout=30)
    assert elapsed < 10, "the output was read to the timeout instead of cut at the cap"
    assert outcome.truncated and outcome.exit is None and not outcome.timed_out
    assert outcome.stdout == b"y\n" * (MAX_OUTPUT_BYTES // 2)
    assert "more than 1 MiB" in outcome.error


def test_endless_stderr_is_cut_at_a_smaller_cap(tmp_path: Path, marker: str) -> None:
    tool = write_tool(tmp_path, "tool", f"echo {marker}\nexec yes {marker} >&2\n")
    outcome = run_bounded([str(tool)], timeout=30, env=ENV, limit=1000)
    assert outcome.truncated and len(outcome.stderr) == 1000
    assert outcome.stdout == f"{marker}\n".encode()
    assert outcome.error == "printed more than 1000 bytes: cut there, the tool killed"
    assert survivors(marker) == []


def test_a_tool_that_closes_its_pipes_is_still_waited_for(tmp_path: Path) -> None:
    tool = write_tool(tmp_path, "tool", "exec >&- 2>&-\nsleep 0.5\nexit 5\n")
    outcome, elapsed = run_tool(tool, timeout=20)
    assert outcome.exit == 5 and elapsed >= 0.5


def test_one_runs_cleanup_spares_a_concurrent_run(tmp_path: Path, marker: str) -> None:
    slow = write_tool(tmp_path, "slow", "sleep 1.5\necho done\n")
    escaping = write_tool(tmp_path, "escaping", f"setsid sh -c 'sleep 300; : {marker}' &\n")
    results: list[Outcome] = []
    thread = threading.Thread(target=lambda: results.append(run_tool(slow, timeout=20)[0]))
    thread.start()
    time.sleep(0.3)
    for _ in range(3):
        assert run_tool(escaping, timeout=20)[0].exit == 0
    thread.join()
    assert (results[0].exit, results[0].stdout) == (0, b"done\n")
    assert survivors(marker) == []


def test_host_evidence_reports_a_cut_command(tool_dir: Path) -> None:
    write_tool(tool_dir, "npu-smi", "exec yes\n")
    result = HostEvidence(env={"PATH": f"{tool_dir}:/usr/bin:/bin"}, timeout=30).run("npu-smi info")
    assert result is not None and result.truncated and result.exit is None
    assert len(result.stdout) == MAX_OUTPUT_BYTES
    assert "more than 1 MiB" in result.error
