"""Hygon DCUs: DTK (a ROCm-compatible toolkit), DAS torch builds and the Hygon driver (hy-smi)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chipdoctor.stacks.interface import SmokeBackend, Stack, StepWriter
from chipdoctor.versions import DOTTED, HYGON_DRIVER

if TYPE_CHECKING:
    from chipdoctor.evidence.base import Evidence
    from chipdoctor.matrix.model import Matrix
    from chipdoctor.model import Finding, Inventory
    from chipdoctor.probes.base import Probe
    from chipdoctor.resolve.model import StackResolver
    from chipdoctor.smoke.failures import KnownFailure


class Dcu(Stack):
    name = "dcu"
    title = "Hygon DCU"
    components = ("dtk", "hygon_driver")
    fleet_equal = ("dtk", "hygon_driver")
    # DTK `24.04.3` / `26.04-rc4`, Hygon driver `6.3.30-V1.4.1a`.
    schemes = {"dtk": DOTTED, "hygon_driver": HYGON_DRIVER}
    environment = (
        "HIP_",  # HIP_VISIBLE_DEVICES
        "DCU_",  # dcu-container-toolkit's DCU_VISIBLE_DEVICES (other-stacks.md B.7)
        "DTK_",
    )
    commands = {"hy-smi": ("hy-smi",), "rocm-smi": ("rocm-smi",), "rocminfo": ("rocminfo",)}
    #: NOTE: DTK builds of torch drive the DCUs through torch.cuda (other-stacks.md B.1).
    smoke = SmokeBackend("cuda", "", ("torch", "dtk", "hygon_driver"))

    def probe(self) -> Probe:
        from chipdoctor.stacks.dcu.probe import DcuProbe

        return DcuProbe()

    def evaluate(self, inventory: Inventory, matrix: Matrix) -> list[Finding]:
        from chipdoctor.stacks.dcu.rules import evaluate

        return evaluate(inventory, matrix)

    def resolver(self) -> StackResolver:
        from chipdoctor.stacks.dcu.resolve import RESOLVER

        return RESOLVER

    def step_writer(self) -> StepWriter:
        from chipdoctor.stacks.dcu import steps

        return steps

    def known_failures(self) -> tuple[Sequence[KnownFailure], Sequence[KnownFailure]]:
        from chipdoctor.stacks._hip import smoke

        return smoke.FAILURES, smoke.NO_DEVICE

    def places(self, evidence: Evidence, inventory: Inventory) -> dict[str, str]:
        from chipdoctor.stacks.dcu.facts import DTK_ROOT, FACT_DTK_ROOT

        return {"dtk": inventory.facts.get(FACT_DTK_ROOT) or DTK_ROOT}


STACK = Dcu()
