"""Cambricon MLUs: Neuware/CNToolkit (CNNL, CNCL), torch_mlu and the MLU driver (cnmon)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chipdoctor.stacks.interface import SmokeBackend, Stack, StepWriter
from chipdoctor.versions import DOTTED

if TYPE_CHECKING:
    from chipdoctor.evidence.base import Evidence
    from chipdoctor.matrix.model import Matrix
    from chipdoctor.model import Finding, Inventory
    from chipdoctor.probes.base import Probe
    from chipdoctor.resolve.model import StackResolver
    from chipdoctor.smoke.failures import KnownFailure


class Cambricon(Stack):
    name = "cambricon"
    title = "Cambricon"
    components = ("torch_mlu", "neuware", "cnnl", "cncl", "cambricon_driver")
    fleet_equal = ("torch_mlu", "neuware", "cnnl", "cncl", "cambricon_driver")
    # CNToolkit `4.7.2`, CNNL `2.1.829`, CNCL `1.30.8`, MLU driver `5.10.22`.
    schemes = {"neuware": DOTTED, "cnnl": DOTTED, "cncl": DOTTED, "cambricon_driver": DOTTED}
    environment = (
        "MLU_",  # MLU_VISIBLE_DEVICES (other-stacks.md A.1)
        "CN_",  # CN_VISIBLE_DEVICES
        "NEUWARE_",  # NEUWARE_HOME
        "CUDA_",  # CUDA_VISIBLE_DEVICES, which torch_mlu also honours
    )
    commands = {"cnmon": ("cnmon",)}
    #: NOTE: torch_mlu registers the "mlu" device (other-stacks.md A.1).
    smoke = SmokeBackend("mlu", "torch_mlu", ("torch_mlu", "neuware", "cambricon_driver"))

    def probe(self) -> Probe:
        from chipdoctor.stacks.cambricon.probe import CambriconProbe

        return CambriconProbe()

    def evaluate(self, inventory: Inventory, matrix: Matrix) -> list[Finding]:
        from chipdoctor.stacks.cambricon.rules import evaluate

        return evaluate(inventory, matrix)

    def resolver(self) -> StackResolver:
        from chipdoctor.stacks.cambricon.resolve import RESOLVER

        return RESOLVER

    def step_writer(self) -> StepWriter:
        from chipdoctor.stacks.cambricon import steps

        return steps

    def known_failures(self) -> tuple[Sequence[KnownFailure], Sequence[KnownFailure]]:
        from chipdoctor.stacks.cambricon import smoke

        return smoke.FAILURES, smoke.NO_DEVICE

    def places(self, evidence: Evidence, inventory: Inventory) -> dict[str, str]:
        from chipdoctor.stacks.cambricon.places import places

        return places(evidence, inventory)


STACK = Cambricon()
