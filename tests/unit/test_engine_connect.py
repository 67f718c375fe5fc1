"""Connecting to a Docker Engine that is not there: one line of bad input, and no socket left
open (the docker SDK drops a unix socket whose connect failed without closing it; its
ResourceWarning then fails whichever test the garbage collector happens to run in)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import gc, sys, warnings
warnings.simplefilter("error", ResourceWarning)
from chipdoctor.container.engine import connect, read_engine
from chipdoctor.errors import BadInput
try:
    connect(timeout=2)
except BadInput as exc:
    print(exc)
print(read_engine())
gc.collect()
"""


def _run(address: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "dev", "-c", SCRIPT],
        env={"DOCKER_HOST": address, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_missing_socket(tmp_path: Path) -> None:
    result = _run(f"unix://{tmp_path}/absent.sock")
    assert result.returncode == 0 and "ResourceWarning" not in result.stderr, result.stderr
    assert "cannot reach the Docker Engine" in result.stdout
    assert "No such file or directory" in result.stdout
    assert result.stdout.splitlines()[-1] == "None"


def test_a_socket_no_engine_listens_on(tmp_path: Path) -> None:
    """A socket file left behind by an engine that is gone: the connection is refused."""
    path = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(path))  # bound, never listening: connect() is refused
        result = _run(f"unix://{path}")
    assert result.returncode == 0 and "ResourceWarning" not in result.stderr, result.stderr
    assert "Connection refused" in result.stdout
    assert result.stdout.splitlines()[-1] == "None"
