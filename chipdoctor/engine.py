"""The pipeline: evidence -> inventory (probes) -> verdict (rules) -> report."""

from __future__ import annotations

import importlib
import threading

from chipdoctor import __version__
from chipdoctor.evidence.base import Evidence
from chipdoctor.i18n import T
from chipdoctor.matrix.model import MatrixSet
from chipdoctor.probes.ascend import AscendProbe
from chipdoctor.probes.base import Probe
from chipdoctor.probes.host import HostProbe
from chipdoctor.report.model import Finding, Inventory, Report, Severity

#: Every probe, host first; the report lists their results in this order.
PROBES: tuple[Probe, ...] = (HostProbe(), AscendProbe())

#: The rules module of each stack; each has `evaluate(inventory, matrix) -> list[Finding]`.
#: Imported only when its stack is found, so a host without accelerators loads none.
RULES: dict[str, str] = {
    "ascend": "chipdoctor.rules.ascend",
}

ISSUES_URL = "https://github.com/chipdoctor/chipdoctor/issues"


def collect(evidence: Evidence, probes: tuple[Probe, ...] = PROBES) -> Inventory:
    """Run every probe concurrently; a probe that crashes becomes a finding, not a failure."""
    # Read the shared facts once, before the threads race to fill the caches.
    _ = evidence.platform, evidence.python
    # NOTE: plain threads, not concurrent.futures: its import (logging et al.) costs ~5 ms of
    # the start-up budget, and a probe never raises (_safe_collect), so no future is needed.
    results: list[Inventory] = [Inventory() for _ in probes]

    def run(index: int) -> None:
        results[index] = _safe_collect(probes[index], evidence)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(probes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    inventory = Inventory()
    for result in results:
        inventory.merge(result)
    return inventory


def _safe_collect(probe: Probe, evidence: Evidence) -> Inventory:
    try:
        return probe.collect(evidence)
    except Exception as exc:  # a probe bug must not hide what the other probes found
        inventory = Inventory()
        inventory.findings.append(
            Finding(
                f"{probe.name}.probe-crashed",
                Severity.WARNING,
                (),
                f"The {probe.name} probe failed ({type(exc).__name__}: {exc}); its part of "
                "the report is missing.",
                f"Please report this at {ISSUES_URL} with `chipdoctor snapshot` output attached.",
            )
        )
        return inventory


def judge(inventory: Inventory, matrices: MatrixSet) -> list[Finding]:
    """The probes' own findings, then every rule of every stack found, worst first."""
    findings = list(inventory.findings)
    for stack in inventory.stacks:
        module = RULES.get(stack)
        if module is not None:
            evaluate = importlib.import_module(module).evaluate
            findings.extend(evaluate(inventory, matrices.get(stack)))
    if not inventory.stacks:
        findings.append(
            Finding(
                "host.no-accelerator",
                Severity.INFO,
                (),
                T(
                    "No accelerator stack was found on this machine (no Ascend driver, CANN or "
                    "torch_npu)."
                ),
                "",
            )
        )
    return sorted(findings, key=lambda f: -f.severity.rank)


def check(evidence: Evidence, matrices: MatrixSet) -> Report:
    inventory = collect(evidence)
    return Report(__version__, inventory, judge(inventory, matrices))
