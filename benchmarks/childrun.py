"""The chipdoctor command and one measured run of it, shared by the benchmarks that time a
chipdoctor command: its own rusage (os.wait4), so runs do not blur into each other or into the
benchmark's process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from typing import NamedTuple


class Run(NamedTuple):
    seconds: float  # wall
    cpu: float  # user + system
    mib: float  # peak RSS
    code: int
    err: str  # the end of its stderr, to say why a run failed


def measure(argv: list[str]) -> Run:
    """One run, its stdout discarded. CPU time shows the work alone when a busy machine
    stretches wall time."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    err = child.stderr.read()
    child.stderr.close()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    return Run(
        seconds,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        child.returncode,
        err.decode(errors="replace")[-2000:],
    )


def chipdoctor() -> list[str]:
    """The chipdoctor command the benchmarks time: the installed script, else this Python's."""
    script = shutil.which("chipdoctor")
    return [script] if script else [sys.executable, "-m", "chipdoctor"]
