"""`chipdoctor check --deep`: use the stack for real, in a child process with a timeout.

The normal check reads versions from files and never imports torch. The smoke test does: in
the inspected interpreter it imports torch and each vendor extension the inventory found,
counts the devices, allocates a small tensor on each and runs a tiny matmul (`script.py`).
Every step becomes a `deep.<step>` finding: info with its time when it passed, an error with the
exact exception text and its likely cause (`causes.py`) when it failed. Components and devices
of the report stay as the normal check found them.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

from chipdoctor.i18n import T
from chipdoctor.model import Finding, Inventory, Report, Severity, SmokeStep
from chipdoctor.smoke.causes import Diagnosis, context_of, diagnose
from chipdoctor.smoke.runner import SmokeRun, StepResult, run_smoke
from chipdoctor.stacks import STACKS
from chipdoctor.stacks.interface import SmokeBackend

DEFAULT_TIMEOUT = 120.0
PASSED, FAILED, TIMED_OUT, CRASHED, SKIPPED = "passed", "failed", "timed out", "crashed", "skipped"
_BUG_REPORT = "chipdoctor snapshot DIR --archive"


#: Each stack's backend, from its descriptor (chipdoctor/stacks/<name>/__init__.py).
BACKENDS: dict[str, SmokeBackend] = {
    name: stack.smoke for name, stack in STACKS.items() if stack.smoke is not None
}


def backends_for(stacks: Sequence[str]) -> list[SmokeBackend]:
    """The backends of the stacks found, one per torch device, in the inventory's order."""
    chosen: dict[str, SmokeBackend] = {}
    for stack in stacks:
        backend = BACKENDS.get(stack)
        if backend is not None and backend.device not in chosen:
            chosen[backend.device] = backend
    return list(chosen.values())


def run_deep(report: Report, *, python: str | None, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Run the smoke test for `report`'s inventory and add its steps and findings to `report`.

    `python` is the inspected interpreter (None: this one). Never raises for what the child
    does: crashes, hangs and import errors are the results being reported.
    """
    interpreter = python or sys.executable
    inventory = report.inventory
    backends = backends_for(inventory.stacks)
    if inventory.version("torch") is None:
        steps, findings = _torch_missing(inventory, interpreter)
    else:
        run = run_smoke(interpreter, [(b.device, b.module) for b in backends], timeout=timeout)
        static = [f.id for f in report.findings if f.severity is not Severity.INFO]
        steps, findings = Verdict(run, inventory, backends, static).judge()
        if not inventory.stacks:
            findings.append(
                Finding(
                    "deep.no-accelerator",
                    Severity.INFO,
                    (),
                    T("No accelerator stack was found, so the smoke test used the CPU only."),
                )
            )
    report.smoke = steps
    report.findings = sorted([*report.findings, *findings], key=lambda f: -f.severity.rank)


def _torch_missing(inventory: Inventory, python: str) -> tuple[list[SmokeStep], list[Finding]]:
    step = SmokeStep("import-torch", SKIPPED, None, T("torch is not installed"))
    if not inventory.stacks:
        finding = Finding(
            "deep.import-torch",
            Severity.INFO,
            ("torch",),
            T(
                "torch is not installed in {python}, so the smoke test had nothing to run.",
                python=python,
            ),
        )
    else:
        finding = Finding(
            "deep.import-torch",
            Severity.WARNING,
            ("torch",),
            T(
                "torch is not installed in {python}, so the smoke test could not use the "
                "accelerator ({stacks}).",
                python=python,
                stacks=", ".join(inventory.stacks),
            ),
            T(
                "Install the torch build this stack needs into {python}, then run --deep again.",
                python=python,
            ),
        )
    return [step], [finding]


class Verdict:
    """Turns one smoke run into table rows and `deep.<step>` findings."""

    def __init__(
        self,
        run: SmokeRun,
        inventory: Inventory,
        backends: Sequence[SmokeBackend],
        static_findings: Sequence[str],
    ) -> None:
        self.run = run
        self.inventory = inventory
        self.backends = backends
        self.static_findings = static_findings

    def judge(self) -> tuple[list[SmokeStep], list[Finding]]:
        steps: list[SmokeStep] = []
        findings: list[Finding] = []
        for result in self.run.steps:
            if result.ok:
                steps.append(SmokeStep(result.step, PASSED, result.seconds, result.detail))
                findings.append(self._passed(result))
            else:
                steps.append(
                    SmokeStep(result.step, FAILED, result.seconds, _first_line(result.error))
                )
                findings.append(self._failed(result))
        stopped = self._stopped()
        if stopped is not None:
            steps.append(stopped[0])
            findings.append(stopped[1])
        return steps, findings

    def _passed(self, result: StepResult) -> Finding:
        return Finding(
            f"deep.{result.step}",
            Severity.INFO,
            self._components(result.step),
            T(
                "{label}: passed in {seconds} s ({detail}).",
                label=_label(result.step),
                seconds=f"{result.seconds:.2f}",
                detail=result.detail,
            ),
        )

    def _failed(self, result: StepResult) -> Finding:
        text = "\n".join([result.error, *result.warnings])
        diagnosis = self._diagnose(text)
        warnings = (
            T("\nWarnings: {warnings}", warnings=" | ".join(result.warnings))
            if result.warnings
            else ""
        )
        message = T(
            "{label} failed after {seconds} s: {error}{warnings}{cause}",
            label=_label(result.step),
            seconds=f"{result.seconds:.2f}",
            error=result.error,
            warnings=warnings,
            cause=self._cause(diagnosis),
        )
        return Finding(
            f"deep.{result.step}",
            Severity.ERROR,
            self._components(result.step),
            message,
            diagnosis.fix if diagnosis else _unknown_fix(),
        )

    def _stopped(self) -> tuple[SmokeStep, Finding] | None:
        """What a timeout, a crash or a failed start left behind; None after a clean exit."""
        run = self.run
        if run.exit == 0 and run.unfinished is None:
            return None
        step = run.unfinished or "smoke-test"
        label = _label(step) if run.unfinished else T("the smoke test")
        stderr = _tail(run.stderr)
        output = T("\nIts last output: {stderr}", stderr=stderr) if stderr else ""
        diagnosis = self._diagnose(run.stderr)
        cause = self._cause(diagnosis)
        severity = Severity.ERROR
        if run.timed_out:
            result = TIMED_OUT
            message = T(
                "{label} did not finish within {timeout} s, so the smoke test was stopped and "
                "its whole process group killed.{output}{cause}",
                label=label,
                timeout=f"{run.timeout:g}",
                output=output,
                cause=cause,
            )
            fix = diagnosis.fix if diagnosis else _hang_fix()
        elif run.exit is None:
            result = CRASHED
            message = T(
                "The smoke test could not start under {python}: {error}",
                python=run.python,
                error=run.error,
            )
            fix = T("Check that {python} is a working Python interpreter.", python=run.python)
        elif run.unfinished is not None or not run.steps:
            result = CRASHED
            message = T(
                "{label} ended the smoke test process ({how}).{output}{cause}",
                label=label,
                how=_how(run.exit),
                output=output,
                cause=cause,
            )
            fix = diagnosis.fix if diagnosis else _unknown_fix()
        else:
            # Every step finished, then the process died: typically a runtime's exit handler.
            result, severity = CRASHED, Severity.WARNING
            message = T(
                "The smoke test process ended with {how} after its last step.{output}",
                how=_how(run.exit),
                output=output,
            )
            fix = _unknown_fix()
        detail = _first_line(stderr) if stderr else ""
        finding = Finding(f"deep.{step}", severity, self._components(step), message, fix)
        return SmokeStep(step, result, None, detail), finding

    def _diagnose(self, text: str) -> Diagnosis | None:
        return diagnose(
            text,
            stacks=self.inventory.stacks,
            context=context_of(self.inventory),
            finding_ids=self.static_findings,
        )

    @staticmethod
    def _cause(diagnosis: Diagnosis | None) -> str:
        if diagnosis is None:
            return ""
        related = (
            T(" The normal check reports it too: {ids}.", ids=", ".join(diagnosis.related))
            if diagnosis.related
            else ""
        )
        return T("\nLikely cause: {cause}.{related}", cause=diagnosis.cause, related=related)

    def _components(self, step: str) -> tuple[str, ...]:
        action, _, target = step.partition("-")
        if action == "import":
            return (target,) if target in ("torch", "torch_npu", "torch_mlu") else ()
        device = target.split("-", 1)[0]
        for backend in self.backends:
            if backend.device == device:
                return backend.components
        return ("torch",) if device == "cpu" else ()


def _label(step: str) -> str:
    """The step in words: `alloc-npu-0` -> `allocate a tensor on npu:0`."""
    action, _, target = step.partition("-")
    device = target.replace("-", ":")
    if action == "import":
        return T("import {module}", module=target)
    if action == "devices":
        return T("count the {device} devices", device=device)
    if action == "alloc":
        return T("allocate a tensor on {device}", device=device)
    if action == "matmul":
        return T("matmul on the CPU") if device == "cpu" else T("matmul on {device}", device=device)
    return step


def _how(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return T("killed by signal {name}", name=name)
    return T("exit status {code}", code=code)


def _tail(text: str, lines: int = 5) -> str:
    kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(kept)[-1500:]


def _first_line(text: str, limit: int = 120) -> str:
    """The first non-blank line, shortened for a table cell (the finding keeps it whole)."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _hang_fix() -> str:
    return T(
        "A step that hangs usually means a stuck driver or device: check the vendor's device "
        "tool (npu-smi info, nvidia-smi, rocm-smi, cnmon) and the kernel log (dmesg). If the "
        "step is only slow, raise --deep-timeout."
    )


def _unknown_fix() -> str:
    return T(
        "No known cause matches this error. Attach the output of `{bundle}` to a report for "
        "the vendor.",
        bundle=_BUG_REPORT,
    )
