"""SIGINT and SIGTERM sent to a real `chipdoctor check`: prompt exit 130 / 143 with one line on
stderr, the hanging vendor tool and its escaped child killed, no extraction directory left."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from chipdoctor.evidence.archive import pack
from tests.conftest import SNAPSHOTS, chipdoctor_argv, write_tool
from tests.process.test_bounded import alive, survivors

CASES = [
    pytest.param(signal.SIGTERM, 143, "chipdoctor: terminated", id="SIGTERM"),
    pytest.param(signal.SIGINT, 130, "chipdoctor: interrupted", id="SIGINT"),
]


def start_check(tmp_path: Path, *args: str, path: str = "") -> tuple[subprocess.Popen[str], Path]:
    """`chipdoctor check ARGS` in the background, its TMPDIR an empty folder of its own."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASCEND_", "LANG", "LC_"))}
    env.update(NO_COLOR="1", TMPDIR=str(scratch), PATH=path + os.environ["PATH"])
    process = subprocess.Popen(
        [*chipdoctor_argv(), "check", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    return process, scratch


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, f"check ended (exit {process.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} within 60 s"
        time.sleep(0.002)


def stop(process: subprocess.Popen[str], signum: int) -> tuple[float, str]:
    """Send `signum`; how long the check took to exit after it, and its stderr."""
    sent = time.monotonic()
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    return time.monotonic() - sent, err


@pytest.mark.parametrize(("signum", "code", "line"), CASES)
def test_a_signal_kills_the_running_tool_and_its_escaped_child(
    tmp_path: Path, signum: int, code: int, line: str
) -> None:
    marker = f"chipdoctor-test-{uuid.uuid4().hex}"
    pid_file = tmp_path / "tool.pid"
    tool_dir = tmp_path / "bin"
    write_tool(
        tool_dir,
        "nvidia-smi",
        f"echo $$ > {pid_file}.part && mv {pid_file}.part {pid_file}\n"
        f"setsid sh -c 'sleep 300; : {marker}' &\n"
        f"sh -c 'sleep 300; : {marker}'\n",
    )
    process, _ = start_check(tmp_path, "--timeout", "120", path=f"{tool_dir}:")
    wait_for(lambda: len(survivors(marker)) == 2, process, "tool with its two children")
    tool = int(pid_file.read_text())
    took, err = stop(process, signum)
    assert (process.returncode, err.splitlines()) == (code, [line])
    assert took < 10
    assert not alive(tool)
    assert survivors(marker) == []


@pytest.mark.parametrize(("signum", "code", "line"), CASES)
def test_a_signal_while_an_archive_is_read_removes_its_extraction(
    tmp_path: Path, signum: int, code: int, line: str
) -> None:
    snapshot = tmp_path / "node7"
    shutil.copytree(SNAPSHOTS / "cuda-healthy", snapshot)
    blobs = snapshot / "files" / "opt" / "blobs"
    blobs.mkdir(parents=True)
    for index in range(12):  # 120 MB that takes a while to check and extract
        (blobs / f"blob{index}").write_bytes(bytes(10 << 20))
    archive = tmp_path / "node7.tar.gz"
    pack(snapshot, archive)
    shutil.rmtree(snapshot)
    process, scratch = start_check(tmp_path, "--snapshot", str(archive))
    wait_for(lambda: any(scratch.iterdir()), process, "extraction directory")
    took, err = stop(process, signum)
    assert (process.returncode, err.splitlines()) == (code, [line])
    assert took < 10
    assert list(scratch.iterdir()) == []
