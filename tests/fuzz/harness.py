"""Run `chipdoctor check` in a forked child per mutant, capped like a hostile input deserves.

A fork of the test process costs a few milliseconds where a fresh interpreter costs ~150 ms,
so every mutant gets its own address space (`RLIMIT_AS` 500 MiB), a 5 s alarm and the CLI's
real exit code from `chipdoctor.cli.main`, without a new interpreter.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import pkgutil
import resource
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MEMORY_LIMIT = 500 << 20
ALARM_S = 5
WORKERS = 2
#: What a report may name as its own crash (DESIGN.md exit 3).
CRASH_SUFFIXES = (".probe-crashed", ".access-check-crashed")


@dataclass(frozen=True)
class Outcome:
    """How one child ended: its exit code, or the signal that ended it."""

    code: int | None
    signal: int | None
    stdout: str
    stderr: str
    seconds: float

    @property
    def crash_findings(self) -> list[str]:
        """Findings whose id says a probe or the access check crashed."""
        return [f["id"] for f in self._crashes()]

    @property
    def crash_message(self) -> str:
        return "; ".join(f"{f['id']}: {f['message']}" for f in self._crashes())[:600]

    def _crashes(self) -> list[dict[str, str]]:
        try:
            report = json.loads(self.stdout)
        except ValueError:
            return []
        return [f for f in report.get("findings", ()) if f["id"].endswith(CRASH_SUFFIXES)]

    def describe(self) -> str:
        if self.signal == signal.SIGALRM:
            return f"timed out after {ALARM_S} s"
        if self.signal is not None:
            return f"killed by {signal.Signals(self.signal).name} (memory?)"
        return f"exit {self.code}: {self.stderr.strip()[-600:]}"


@dataclass
class Job:
    """One run of the CLI: its argv, and where it runs (an empty directory, no stray policy)."""

    argv: list[str]
    workdir: Path
    label: str = ""
    outcome: Outcome | None = field(default=None)


def _child(job: Job) -> None:
    """In the forked child: cap, redirect, run the CLI in-process, leave with its exit code."""
    code = 3
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(ALARM_S)
        os.chdir(job.workdir)
        for fd, name in ((1, "stdout"), (2, "stderr")):
            handle = os.open(job.workdir / f".{name}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(handle, fd)
            os.close(handle)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        from chipdoctor.cli import main

        try:
            main(job.argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 3
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _finish(job: Job, status: int, started: float) -> None:
    out = (job.workdir / ".stdout").read_text(encoding="utf-8", errors="replace")
    err = (job.workdir / ".stderr").read_text(encoding="utf-8", errors="replace")
    job.outcome = Outcome(
        os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        out,
        err,
        time.monotonic() - started,
    )


def run_jobs(jobs: Sequence[Job], workers: int = WORKERS) -> None:
    """Run every job in a forked child, `workers` at a time; each job gets its outcome."""
    prepare()
    pending = iter(jobs)
    running: dict[int, tuple[Job, float]] = {}
    while True:
        while len(running) < workers:
            job = next(pending, None)
            if job is None:
                break
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(job)
            running[pid] = (job, time.monotonic())
        if not running:
            return
        pid, status = os.wait()
        job, started = running.pop(pid)
        _finish(job, status, started)


@functools.cache
def prepare() -> None:
    """Import every chipdoctor module once in the parent, so no child pays for the imports."""
    import chipdoctor

    for module in pkgutil.walk_packages(chipdoctor.__path__, "chipdoctor."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
