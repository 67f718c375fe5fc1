"""The pipeline: evidence -> inventory (probes) -> verdict (rules) -> report."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from chipdoctor import __version__
from chipdoctor.evidence.base import Evidence
from chipdoctor.matrix.model import Matrix, MatrixSet
from chipdoctor.probes.ascend import AscendProbe
from chipdoctor.probes.base import Probe
from chipdoctor.probes.host import HostProbe
from chipdoctor.report.model import Finding, Inventory, Report, Severity
from chipdoctor.rules import ascend as ascend_rules

#: Every probe, host first; the report lists their results in this order.
PROBES: tuple[Probe, ...] = (HostProbe(), AscendProbe())

#: The rules of each stack.
RULES: dict[str, Callable[[Inventory, Matrix], list[Finding]]] = {
    "ascend": ascend_rules.evaluate,
}

ISSUES_URL = "https://github.com/chipdoctor/chipdoctor/issues"


def collect(evidence: Evidence, probes: tuple[Probe, ...] = PROBES) -> Inventory:
    """Run every probe concurrently; a probe that crashes becomes a finding, not a failure."""
    # Read the shared facts once, before the threads race to fill the caches.
    _ = evidence.platform, evidence.python
    with ThreadPoolExecutor(max_workers=max(1, len(probes))) as pool:
        futures = [pool.submit(_safe_collect, probe, evidence) for probe in probes]
        results = [future.result() for future in futures]
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
        rule = RULES.get(stack)
        if rule is not None:
            findings.extend(rule(inventory, matrices.get(stack)))
    if not inventory.stacks:
        findings.append(
            Finding(
                "host.no-accelerator",
                Severity.INFO,
                (),
                "No accelerator stack was found on this machine (no Ascend driver, CANN or "
                "torch_npu).",
                "",
            )
        )
    return sorted(findings, key=lambda f: -f.severity.rank)


def check(evidence: Evidence, matrices: MatrixSet) -> Report:
    inventory = collect(evidence)
    return Report(__version__, inventory, judge(inventory, matrices))
