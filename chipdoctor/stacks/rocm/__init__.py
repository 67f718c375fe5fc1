"""AMD GPUs: ROCm, the amdgpu driver and ROCm builds of torch (rocm-smi, amd-smi)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


class Rocm(Stack):
    name = "rocm"
    title = "AMD ROCm"
    components = ("rocm", "amdgpu_driver", "rccl")
    fleet_equal = components
    # ROCm `7.2.0`, amdgpu module `6.16.13`.
    schemes = {"rocm": DOTTED, "amdgpu_driver": DOTTED}
    environment = ("HIP_", "ROCR_", "ROCM_", "HSA_")  # HIP_/ROCR_VISIBLE_DEVICES, ROCM_PATH
    commands = {
        "rocm-smi": ("rocm-smi",),
        "amd-smi version": ("amd-smi", "version"),
        "rocminfo": ("rocminfo",),
        "amd-smi static": ("amd-smi", "static"),
    }
    #: NOTE: ROCm builds of torch drive AMD GPUs through torch.cuda (other-stacks.md B.1).
    smoke = SmokeBackend("cuda", "", ("torch", "rocm", "amdgpu_driver"))

    def probe(self) -> Probe:
        from chipdoctor.stacks.rocm.probe import RocmProbe

        return RocmProbe()

    def evaluate(self, inventory: Inventory, matrix: Matrix) -> list[Finding]:
        from chipdoctor.stacks.rocm.rules import evaluate

        return evaluate(inventory, matrix)

    def resolver(self) -> StackResolver:
        from chipdoctor.stacks.rocm.resolve import RESOLVER

        return RESOLVER

    def step_writer(self) -> StepWriter:
        from chipdoctor.stacks.rocm import steps

        return steps

    def target_filter(self, inventory: Inventory) -> Callable[[Mapping[str, str]], bool] | None:
        from chipdoctor.stacks._hip.archs import target_filter

        return target_filter(inventory)

    def known_failures(self) -> tuple[Sequence[KnownFailure], Sequence[KnownFailure]]:
        from chipdoctor.stacks._hip import smoke

        return smoke.FAILURES, smoke.NO_DEVICE

    def places(self, evidence: Evidence, inventory: Inventory) -> dict[str, str]:
        """`{rocm}`: the root whose .info/version gave the ROCm version, else /opt/rocm."""
        from chipdoctor.stacks.rocm.facts import ROCM_ROOT

        found = inventory.component("rocm")
        source = found.source if found is not None else ""
        return {"rocm": source.split("/.info/", 1)[0] if "/.info/" in source else ROCM_ROOT}


STACK = Rocm()
