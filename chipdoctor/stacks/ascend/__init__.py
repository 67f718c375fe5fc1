"""Huawei Ascend NPUs: CANN toolkit, torch_npu, the HDK driver and firmware (npu-smi)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chipdoctor.stacks.interface import SmokeBackend, Stack, StepWriter
from chipdoctor.versions import ASCEND_DRIVER, CANN, DOTTED

if TYPE_CHECKING:
    from chipdoctor.evidence.base import Evidence
    from chipdoctor.matrix.model import Matrix
    from chipdoctor.model import Finding, Inventory
    from chipdoctor.probes.base import Probe
    from chipdoctor.resolve.model import StackResolver
    from chipdoctor.smoke.failures import KnownFailure


class Ascend(Stack):
    name = "ascend"
    title = "Huawei Ascend"
    components = (
        "torch_npu",
        "cann",
        "cann_kernels",
        "nnae",
        "nnal",
        "hccl",
        "ascend_driver",
        "ascend_firmware",
    )
    fleet_equal = components
    schemes = {
        "cann": CANN,
        "cann_kernels": CANN,
        "nnae": CANN,
        "nnal": CANN,
        "hccl": CANN,
        "ascend_driver": ASCEND_DRIVER,
        "ascend_firmware": DOTTED,
    }
    environment = (
        "ASCEND_",  # CANN and the Ascend runtime (ascend.md §3.6)
        "ATB_",  # NNAL
        "TOOLCHAIN_",  # set by CANN's set_env.sh
        "HCCL_",  # Ascend collective communication
    )
    commands = {"npu-smi info": ("npu-smi", "info")}
    #: NOTE: torch_npu registers the "npu" device (ascend.md §6.5).
    smoke = SmokeBackend("npu", "torch_npu", ("torch_npu", "cann", "ascend_driver"))

    def probe(self) -> Probe:
        from chipdoctor.stacks.ascend.probe import AscendProbe

        return AscendProbe()

    def evaluate(self, inventory: Inventory, matrix: Matrix) -> list[Finding]:
        from chipdoctor.stacks.ascend.rules import evaluate

        return evaluate(inventory, matrix)

    def resolver(self) -> StackResolver:
        from chipdoctor.stacks.ascend.resolve import RESOLVER

        return RESOLVER

    def step_writer(self) -> StepWriter:
        from chipdoctor.stacks.ascend import steps

        return steps

    def known_failures(self) -> tuple[Sequence[KnownFailure], Sequence[KnownFailure]]:
        from chipdoctor.stacks.ascend import smoke

        return smoke.FAILURES, smoke.NO_DEVICE

    def places(self, evidence: Evidence, inventory: Inventory) -> dict[str, str]:
        from chipdoctor.stacks.ascend.places import places

        return places(inventory)


STACK = Ascend()
