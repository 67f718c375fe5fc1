"""The component ids of the report contract (docs/contracts.md), by stack."""

from __future__ import annotations

HOST_COMPONENTS = ("python", "os", "arch", "glibc")
TORCH_COMPONENTS = ("torch", "torchvision", "torchaudio")

STACK_COMPONENTS: dict[str, tuple[str, ...]] = {
    "ascend": (
        "torch_npu",
        "cann",
        "cann_kernels",
        "nnae",
        "nnal",
        "ascend_driver",
        "ascend_firmware",
    ),
    "cambricon": ("torch_mlu", "neuware", "cnnl", "cncl", "cambricon_driver"),
    "dcu": ("dtk", "hygon_driver"),
    "rocm": ("rocm", "amdgpu_driver"),
    "cuda": ("nvidia_driver", "cuda_driver_api", "cuda", "cudnn"),
}

STACKS = tuple(STACK_COMPONENTS)

ALL_COMPONENTS: frozenset[str] = frozenset(
    HOST_COMPONENTS + TORCH_COMPONENTS + tuple(c for ids in STACK_COMPONENTS.values() for c in ids)
)
