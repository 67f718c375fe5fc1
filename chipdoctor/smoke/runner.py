"""Run the smoke script in a child process with a timeout, and read back its steps."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chipdoctor.evidence.host import run_command
from chipdoctor.smoke.script import MARKER

SCRIPT = Path(__file__).resolve().with_name("script.py")
#: Step names become finding ids (`deep.<step>`), so they must fit the report schema's pattern.
_STEP_NAME = re.compile(r"[a-z0-9_.-]+")


@dataclass(frozen=True)
class StepResult:
    """One finished step, as the script reported it."""

    step: str
    ok: bool
    seconds: float
    detail: str = ""
    error: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmokeRun:
    """What one run of the smoke script gave.

    `unfinished` is the step that started and never ended: the one running when the child
    crashed or was killed. `exit` is None when the child timed out or could not start.
    """

    python: str
    timeout: float
    steps: tuple[StepResult, ...]
    unfinished: str | None
    exit: int | None
    timed_out: bool = False
    error: str = ""
    stderr: str = ""


def parse_events(stdout: str) -> tuple[list[StepResult], str | None]:
    """The finished steps in `stdout`, and the step still running when it ended (if any).

    Lines without the marker (a vendor library printing to stdout) are ignored, and so is
    anything after the marker that is not a well-formed event.
    """
    steps: list[StepResult] = []
    running: str | None = None
    for line in stdout.splitlines():
        at = line.find(MARKER)
        if at < 0:
            continue
        try:
            event = json.loads(line[at + len(MARKER) :])
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        name = event.get("step")
        if not isinstance(name, str) or not _STEP_NAME.fullmatch(name):
            continue
        if event.get("event") == "start":
            running = name
        elif event.get("event") == "end":
            steps.append(_step(name, event))
            running = None
    return steps, running


def _step(name: str, event: dict[str, object]) -> StepResult:
    seconds = event.get("seconds")
    warnings = event.get("warnings")
    return StepResult(
        step=name,
        ok=event.get("ok") is True,
        seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0,
        detail=str(event.get("detail") or ""),
        error=str(event.get("error") or ""),
        warnings=tuple(str(w) for w in warnings) if isinstance(warnings, list) else (),
    )


def run_smoke(python: str, backends: Sequence[tuple[str, str]], *, timeout: float) -> SmokeRun:
    """Run the script under `python` for `(device, module)` backends; never raises.

    On timeout the whole process group is killed (a vendor runtime may have started helpers),
    and the steps printed so far still count.
    """
    argv = [python, str(SCRIPT)]
    for device, module in backends:
        argv += ["--backend", f"{device}:{module}" if module else device]
    result = run_command("smoke test", argv, timeout=timeout, env=dict(os.environ))
    steps, running = parse_events(result.stdout)
    return SmokeRun(
        python=python,
        timeout=timeout,
        steps=tuple(steps),
        unfinished=running,
        exit=result.exit,
        timed_out=result.timed_out,
        error="" if result.timed_out else result.error,
        stderr=result.stderr,
    )
