"""The pipeline: evidence -> inventory (probes) -> verdict (rules) -> report."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from chipdoctor import __version__
from chipdoctor.evidence.base import Evidence
from chipdoctor.i18n import T, Text
from chipdoctor.matrix.model import MatrixSet
from chipdoctor.model import FACT_TORCH_CUDA, Finding, Inventory, Report, Severity, Symptom
from chipdoctor.probes.base import Probe
from chipdoctor.probes.host import HostProbe
from chipdoctor.stacks import STACKS

#: How long a probe runs alone before the next one starts beside it. A probe with no tool to
#: run (an absent stack) ends well within it, so those run one at a time instead of contending
#: for the interpreter (~4 ms of start-up); a probe waiting on a slow tool is overtaken, so
#: slow tools still run side by side.
_ALONE = 0.05

#: Every probe, host first; the report lists their results in this order.
PROBES: tuple[Probe, ...] = (HostProbe(), *(stack.probe() for stack in STACKS.values()))

ISSUES_URL = "https://github.com/chipdoctor/chipdoctor/issues"
_REPORT_BUG = T(
    "Please report this at {url} with `chipdoctor snapshot` output attached.", url=ISSUES_URL
)


class ProbeObserver(Protocol):
    """Told when each probe starts and ends, so the CLI can show progress: the library never
    prints. Called from the probes' threads."""

    def started(self, name: str) -> None: ...

    def finished(self, name: str) -> None: ...


@contextmanager
def _watched(observer: ProbeObserver | None, name: str) -> Iterator[None]:
    """Tell the observer (if any) that the step `name` started, and that it ended however."""
    if observer is not None:
        observer.started(name)
    try:
        yield
    finally:
        if observer is not None:
            observer.finished(name)


def collect(
    evidence: Evidence,
    probes: tuple[Probe, ...] = PROBES,
    observer: ProbeObserver | None = None,
    symptoms: tuple[Symptom, ...] = (),
) -> Inventory:
    """Run every probe, each in a thread that the next one overtakes when it waits on a slow
    tool (_ALONE); a probe that crashes becomes a finding, not a failure. `symptoms` (what the
    failed job's log showed) join the inventory once the stacks are known, before the checks of
    installed packages, which weigh them too."""
    # Read the shared facts once, before the threads race to fill the caches (with --python
    # this runs another interpreter, so it is watched like a probe).
    with _watched(observer, "python"):
        _ = evidence.platform, evidence.python
    # NOTE: plain threads, not concurrent.futures: its import (logging et al.) costs ~5 ms of
    # the start-up budget, and a probe never raises (_safe_collect), so no future is needed.
    results: list[Inventory] = [Inventory() for _ in probes]

    def run(index: int) -> None:
        with _watched(observer, probes[index].name):
            results[index] = _safe_collect(probes[index], evidence)

    threads = []
    for index in range(len(probes)):
        thread = threading.Thread(target=run, args=(index,), daemon=True)
        thread.start()
        thread.join(_ALONE)
        threads.append(thread)
    for thread in threads:
        thread.join()
    inventory = Inventory()
    for result in results:
        inventory.merge(result)
    if symptoms:  # NOTE: without --log nothing of chipdoctor/symptoms/ is imported
        from chipdoctor.symptoms.recognise import for_stacks

        inventory.symptoms.extend(for_stacks(symptoms, inventory.stacks))
    with _watched(observer, "requirements"):
        _requirements(evidence, inventory)
    if inventory.stacks:
        with _watched(observer, "access"):
            _safe_access(evidence, inventory)
            _docker_runtimes(evidence, inventory)
    return inventory


def _docker_runtimes(evidence: Evidence, inventory: Inventory) -> None:
    """Whether the node's Docker Engine has the runtime the found stacks' containers use; the
    engine is asked (or its recorded answer read) only when such a stack is found."""
    from chipdoctor.container.engine import needs_runtime, runtime_findings

    if not needs_runtime(inventory.stacks):
        return
    engine = evidence.docker_engine()
    if engine is not None:
        inventory.findings.extend(runtime_findings(inventory.stacks, engine))


def _requirements(evidence: Evidence, inventory: Inventory) -> None:
    """Unmet `Requires-Dist` on the stack's packages (chipdoctor/rules/requirements.py), read
    from every installed distribution's METADATA whether or not an accelerator was found."""
    from chipdoctor.rules.stack_packages import on_the_stack

    try:
        python = evidence.python
        installed = evidence.requires_dist()
        requires = on_the_stack(installed, python.packages)
        if requires:  # the PEP 508 machinery is imported only where there is something to judge
            from chipdoctor.rules.requirements import findings, marker_environment

            environment = marker_environment(evidence.platform, python)
            inventory.findings.extend(findings(requires, python.packages, environment))
        if any(name in python.packages for name in ("torchvision", "torchaudio", "xformers")):
            from chipdoctor.rules import companion_builds

            inventory.findings.extend(
                companion_builds.findings(evidence.platform, python.packages, installed, inventory)
            )
        if any(name.startswith("nvidia-") for name in python.packages):
            from chipdoctor.rules import nvidia_wheels

            torch_cuda = inventory.facts.get(FACT_TORCH_CUDA)
            inventory.findings.extend(
                nvidia_wheels.findings(evidence.platform, python.packages, installed, torch_cuda)
            )
        reported: set[str] = set()
        if "flash-attn" in python.packages:
            from chipdoctor.rules import extension_builds

            flash = extension_builds.findings(python.packages)
            reported = {"flash-attn"} if flash else set()
            inventory.findings.extend(flash)
        _extension_symbols(evidence, inventory, reported)
    except Exception as exc:  # a bug here must not hide what the probes found
        _crashed(
            inventory,
            "host.requirements-check-crashed",
            T(
                "The check of installed packages' requirements failed ({error}); its part of the "
                "report is missing."
            ),
            exc,
        )


def _extension_symbols(evidence: Evidence, inventory: Inventory, reported: set[str]) -> None:
    """Torch extensions whose libraries need torch symbols the installed torch does not
    export (chipdoctor/extensions/symbols.py), or installed from a flash-attn wheel for another
    torch or C++ ABI (extensions/wheels.py), on every host: an `undefined symbol` fails on a
    CPU host too. Imported only where torch and an extension are installed."""
    torch = evidence.python.packages.get("torch")
    if torch is None:
        return
    from chipdoctor.extensions import extension_names

    if not extension_names(evidence):
        return
    from chipdoctor.rules import extension_symbols

    inventory.findings.extend(extension_symbols.findings(evidence, torch, reported))


def _safe_access(evidence: Evidence, inventory: Inventory) -> None:
    """Libraries, device nodes and container mounts of the stacks found (chipdoctor/access/).

    After the probes, because it builds on what they found; imported only when a stack is.
    """
    from chipdoctor.access.check import check_access

    try:
        check_access(evidence, inventory)
    except Exception as exc:  # a bug here must not hide what the probes found
        _crashed(
            inventory,
            f"{inventory.stacks[0]}.access-check-crashed",
            T("The library and device check failed ({error}); its part of the report is missing."),
            exc,
        )


def _safe_collect(probe: Probe, evidence: Evidence) -> Inventory:
    try:
        return probe.collect(evidence)
    except Exception as exc:  # a probe bug must not hide what the other probes found
        inventory = Inventory()
        _crashed(
            inventory,
            f"{probe.name}.probe-crashed",
            T("The {probe} probe failed ({error}); its part of the report is missing."),
            exc,
            probe=probe.name,
        )
        return inventory


def _crashed(
    inventory: Inventory, finding_id: str, message: Text, exc: Exception, **params: str
) -> None:
    """Record a part of the check that failed by chipdoctor's own fault: a warning that says
    which part is missing, and the report marked incomplete (exit 3, docs/contracts.md)."""
    error = f"{type(exc).__name__}: {exc}"
    inventory.crashed.append(finding_id)
    inventory.findings.append(
        Finding(
            finding_id,
            Severity.WARNING,
            (),
            T(message.template, **params, error=error),
            _REPORT_BUG,
        )
    )


def judge(inventory: Inventory, matrices: MatrixSet) -> list[Finding]:
    """The probes' own findings, then every rule of every stack found, worst first."""
    verdicts = _verdicts(inventory, matrices) if inventory.stacks else []
    findings = [*inventory.findings, *verdicts]
    if not inventory.stacks:
        findings.append(
            Finding(
                "host.no-accelerator",
                Severity.INFO,
                (),
                T(
                    "No accelerator stack was found on this machine: no driver, toolkit or "
                    "PyTorch extension of {stacks}.",
                    stacks=", ".join(stack.title for stack in STACKS.values()),
                ),
                "",
            )
        )
    if inventory.symptoms:  # NOTE: without --log nothing of chipdoctor/symptoms/ is imported
        from chipdoctor.rules import runtime_versions
        from chipdoctor.symptoms.judge import unexplained

        findings.extend(runtime_versions.findings(inventory))  # the loader's, whatever the stack
        findings.extend(unexplained(inventory, findings))
    return sorted(findings, key=lambda f: -f.severity.rank)


def _verdicts(inventory: Inventory, matrices: MatrixSet) -> list[Finding]:
    """Every rule of every stack found. Without a stack nothing is judged against a matrix:
    a host without accelerators imports no rule and parses no version (start-up)."""
    from chipdoctor.rules.data import data_findings
    from chipdoctor.rules.prerelease import as_released

    judged, verdicts = as_released(inventory)
    for stack in inventory.stacks:
        try:
            matrix = matrices.get(stack)
            found = data_findings(stack, judged, matrix, STACKS[stack].evaluate(judged, matrix))
        except Exception as exc:  # a rules bug must not hide what the other stacks' rules say
            _crashed(
                inventory,
                f"{stack}.rules-crashed",
                T("The {stack} rules failed ({error}); their verdicts are missing."),
                exc,
                stack=stack,
            )
        else:
            verdicts.extend(found)
    return verdicts


def check(
    evidence: Evidence,
    matrices: MatrixSet,
    observer: ProbeObserver | None = None,
    symptoms: tuple[Symptom, ...] = (),
) -> Report:
    """Judge `evidence`; `symptoms` are what the failed job's log showed (`check --log`)."""
    inventory = collect(evidence, observer=observer, symptoms=symptoms)
    findings = judge(inventory, matrices)
    if inventory.stacks:  # NOTE: a host without accelerators imports no resolver
        from chipdoctor.fix.agree import planned

        findings = planned(inventory, matrices, findings)
    return Report(
        __version__,
        inventory,
        findings,
        host=evidence.host_name(),
        data=matrices.source,
    )
