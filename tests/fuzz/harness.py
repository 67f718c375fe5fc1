"""Run `chipdoctor check` in a forked child per mutant, capped like a hostile input deserves.

A fork costs a few milliseconds where a fresh interpreter costs ~150 ms, so every mutant
gets its own address space (`RLIMIT_AS` 500 MiB), a 5 s alarm and the CLI's
real exit code from `chipdoctor.cli.main`, without a new interpreter.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import pkgutil
import resource
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

MEMORY_LIMIT = 500 << 20
ALARM_S = 5
WORKERS = 2
#: What a report may name as its own crash (DESIGN.md exit 3).
CRASH_SUFFIXES = (".probe-crashed", ".access-check-crashed", ".rules-crashed")


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
            return "timed out (its alarm went off)"
        if self.signal is not None:
            return f"killed by {signal.Signals(self.signal).name} (memory?)"
        return f"exit {self.code}: {self.stderr.strip()[-600:]}"


@dataclass
class Job:
    """One run of the CLI: its argv, and where it runs (an empty directory, no stray policy)."""

    argv: list[str]
    workdir: Path
    label: str = ""
    memory: int = MEMORY_LIMIT
    alarm_s: int = ALARM_S
    env: dict[str, str] = field(default_factory=dict)
    outcome: Outcome | None = field(default=None)


#: How every fuzz job runs chipdoctor: a JSON report in English, so outcomes compare.
CHECK = ("check", "--format", "json", "--lang", "en")


def _child(job: Job) -> None:
    """In the forked child: cap, redirect, run the CLI in-process, leave with its exit code."""
    code = 3
    try:
        resource.setrlimit(resource.RLIMIT_AS, (job.memory, job.memory))
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(job.alarm_s)
        os.chdir(job.workdir)
        os.environ.update(job.env)
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


def _finish(job: Job, exitcode: int | None, started: float) -> None:
    out = (job.workdir / ".stdout").read_text(encoding="utf-8", errors="replace")
    err = (job.workdir / ".stderr").read_text(encoding="utf-8", errors="replace")
    job.outcome = Outcome(
        exitcode if exitcode is not None and exitcode >= 0 else None,
        -exitcode if exitcode is not None and exitcode < 0 else None,
        out,
        err,
        time.monotonic() - started,
    )


def run_jobs(jobs: Sequence[Job], workers: int = WORKERS) -> None:
    """Run every job in a forked child, `workers` at a time; each job gets its outcome.

    The children fork from multiprocessing's fork server, a single-threaded process that has
    imported chipdoctor once: forking pytest itself could copy a lock another test's thread
    holds (and Python 3.12+ warns about it, an error under this suite's filterwarnings).
    """
    server = _server()
    pending = iter(jobs)
    running: dict[Any, tuple[Job, Any, float]] = {}
    while True:
        while len(running) < workers:
            job = next(pending, None)
            if job is None:
                break
            process = server.Process(target=_child, args=(job,), daemon=True)
            process.start()
            running[process.sentinel] = (job, process, time.monotonic())
        if not running:
            return
        for sentinel in wait(list(running)):
            job, process, started = running.pop(sentinel)
            process.join()
            _finish(job, process.exitcode, started)
            process.close()


@functools.cache
def _server() -> Any:
    """The fork server's context, told to import every chipdoctor module before it forks."""
    import chipdoctor

    context = multiprocessing.get_context("forkserver")
    modules = [
        module.name
        for module in pkgutil.walk_packages(chipdoctor.__path__, "chipdoctor.")
        if not module.name.endswith("__main__")
    ]
    context.set_forkserver_preload(["__main__", *modules, __name__])  # __main__: the default
    return context
