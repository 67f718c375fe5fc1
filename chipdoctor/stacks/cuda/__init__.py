"""NVIDIA GPUs: the driver, the CUDA toolkit, cuDNN and CUDA builds of torch (nvidia-smi)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from chipdoctor.stacks.interface import SmokeBackend, Stack, StepWriter
from chipdoctor.versions import DOTTED

if TYPE_CHECKING:
    from chipdoctor.matrix.model import Matrix
    from chipdoctor.model import Finding, Inventory
    from chipdoctor.probes.base import Probe
    from chipdoctor.resolve.model import StackResolver
    from chipdoctor.smoke.failures import KnownFailure


class Cuda(Stack):
    name = "cuda"
    title = "NVIDIA CUDA"
    components = ("nvidia_driver", "cuda_driver_api", "cuda", "cudnn", "nccl")
    fleet_equal = ("nvidia_driver", "cuda", "nccl")
    # Driver `550.54.15`, CUDA `12.6` / `12.6.20241114` (version.json), cuDNN `9.5.1.17`.
    schemes = {
        "nvidia_driver": DOTTED,
        "cuda_driver_api": DOTTED,
        "cuda": DOTTED,
        "cudnn": DOTTED,
        "nccl": DOTTED,
    }
    environment = (
        "CUDA_",  # CUDA_HOME, CUDA_PATH, CUDA_VISIBLE_DEVICES
        "CUDNN_",
        "NVIDIA_",  # nvidia-container-toolkit (other-stacks.md D.6)
    )
    commands = {
        "nvidia-smi": ("nvidia-smi",),
        "nvidia-smi --query-gpu=index,name,compute_cap --format=csv,noheader": (
            "nvidia-smi",
            "--query-gpu=index,name,compute_cap",
            "--format=csv,noheader",
        ),
    }
    smoke = SmokeBackend("cuda", "", ("torch", "nvidia_driver"))

    def probe(self) -> Probe:
        from chipdoctor.stacks.cuda.probe import CudaProbe

        return CudaProbe()

    def evaluate(self, inventory: Inventory, matrix: Matrix) -> list[Finding]:
        from chipdoctor.stacks.cuda.rules import evaluate

        return evaluate(inventory, matrix)

    def resolver(self) -> StackResolver:
        from chipdoctor.stacks.cuda.resolve import RESOLVER

        return RESOLVER

    def step_writer(self) -> StepWriter:
        from chipdoctor.stacks.cuda import steps

        return steps

    def target_filter(self, inventory: Inventory) -> Callable[[Mapping[str, str]], bool] | None:
        from chipdoctor.stacks.cuda.rules import arch_filter

        return arch_filter(inventory)

    def known_failures(self) -> tuple[Sequence[KnownFailure], Sequence[KnownFailure]]:
        from chipdoctor.stacks.cuda import smoke

        return smoke.FAILURES, smoke.NO_DEVICE


STACK = Cuda()
