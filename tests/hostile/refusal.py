"""Run the real console script on hostile input, with its memory capped, and check the refusal."""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

from tests.conftest import SNAPSHOTS, chipdoctor_argv

#: What one check may use: every hostile input must be refused well within it.
MEMORY_LIMIT = 500 << 20
HEALTHY = SNAPSHOTS / "ascend-910b-healthy"


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_capped(
    *args: str, cwd: Path | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """`chipdoctor ARGS` in a child whose address space is capped at MEMORY_LIMIT."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASCEND_", "LANG", "LC_"))}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [*chipdoctor_argv(), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        preexec_fn=_cap_memory,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    """Exit 2 and exactly one line on stderr, `chipdoctor: error: …`, holding each expected text."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    line = lines[0]
    assert line.startswith("chipdoctor: error: "), line
    for text in expected:
        assert text in line, (text, line)
    return line
