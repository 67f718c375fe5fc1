"""NVIDIA CUDA: the smoke test's known failures (PyTorch's and the CUDA runtime's texts).

`FAILURES` name a reason; `NO_DEVICE` only say that torch counted no device, and are searched
after every stack's `FAILURES`, because the warnings printed while counting are part of the text.
"""

from __future__ import annotations

import re
from dataclasses import replace

from chipdoctor.i18n import T
from chipdoctor.smoke.failures import KnownFailure, known
from chipdoctor.symptoms.kinds import TORCH_NOT_CUDA

_CPU_TORCH = known(
    "",
    T("this torch is a CPU-only build"),
    T(
        "Install a GPU build of torch for this machine's stack, e.g. pip install torch "
        "--index-url https://download.pytorch.org/whl/cuXYZ (CUDA) or …/whl/rocmX.Y (ROCm)"
    ),
    related=("*.torch-cpu-build", "*.torch-build", "*.torch-not-rocm"),
    stacks=("cuda", "rocm", "dcu"),
)

FAILURES: tuple[KnownFailure, ...] = (
    # NOTE: the next four texts are PyTorch's (pytorch/pytorch c10/cuda/CUDAFunctions.cpp @
    # 68e217b9, raised or warned from torch.cuda.device_count()); "CUDA driver version is
    # insufficient…" is the CUDA runtime's text for cudaErrorInsufficientDriver (35), which it
    # also returns where no NVIDIA driver is installed at all (CUDA runtime API reference,
    # https://docs.nvidia.com/cuda/cuda-runtime-api/group__CUDART__TYPES.html).
    known(
        r"NVIDIA driver on your system is too old|"
        r"CUDA driver version is insufficient for CUDA runtime version",
        T(
            "the NVIDIA driver is too old for the CUDA runtime this torch build ships "
            "(CUDA {torch_cuda})"
        ),
        T(
            "Upgrade the NVIDIA driver (NVIDIA's CUDA release notes list the minimum driver of "
            "each CUDA), or install a torch build for the CUDA version `nvidia-smi` reports: "
            "pip install torch --index-url https://download.pytorch.org/whl/cuXYZ"
        ),
        related=("cuda.torch-driver", "cuda.*driver*", "host.no-accelerator"),
    ),
    known(
        r"Found no NVIDIA driver on your system",
        T(
            "no NVIDIA driver is loaded: it is not installed, or this container was started "
            "without GPU access"
        ),
        T(
            "Install the NVIDIA driver on the host; start containers with --gpus all "
            "(nvidia-container-toolkit), or pass /dev/nvidia0, /dev/nvidiactl and /dev/nvidia-uvm"
        ),
        related=("cuda.*driver*", "cuda.*smi*"),
    ),
    known(
        r"CUDA driver initialization failed",
        T("the NVIDIA driver failed to initialise: there may be no usable GPU here"),
        T("Check that `nvidia-smi` works here; in a container, pass the GPUs with --gpus all"),
        related=("cuda.*driver*", "cuda.*smi*"),
    ),
    known(
        r"CUDA unknown error - this may be due to an incorrectly set up environment",
        T("CUDA failed to initialise in this environment"),
        T(
            "Check that `nvidia-smi` works, and that CUDA_VISIBLE_DEVICES is not changed after "
            "the program starts"
        ),
        related=("cuda.visible-devices",),
    ),
    # NOTE: torch/cuda/__init__.py _lazy_init raises this (line 522 of torch 2.13.0+cpu's
    # file). torch_npu, torch_mlu and torch_musa run on a CPU build of torch by design: there
    # it means code that called CUDA (e.g. LlamaFactory#7986), not this cause.
    replace(_CPU_TORCH, pattern=re.compile(r"Torch not compiled with CUDA enabled", re.I)).in_log(
        kind=TORCH_NOT_CUDA
    ),
    # NOTE: the smoke script writes this when torch.version.cuda and .hip are both None.
    replace(
        _CPU_TORCH,
        pattern=re.compile(r"torch\.version\.cuda and torch\.version\.hip are None", re.I),
        stacks=(),
    ),
    # NOTE: torch/cuda/__init__.py _check_cubins warns incompatible_device_warn ("{} with
    # CUDA capability sm_{} is not compatible with the current PyTorch installation.", line 427
    # of torch 2.13.0's file) when the build has no kernels for the GPU.
    known(
        r"with CUDA capability sm_(?P<sm>\d+) is not compatible with the current PyTorch "
        r"installation",
        T("this torch build has no kernels for this GPU's architecture (sm_{sm})"),
        T(
            "Install a torch build compiled for sm_{sm} (the findings of `chipdoctor check` name "
            "one: its cuda.torch-gpu-arch fix)"
        ),
        related=("cuda.torch-gpu-arch",),
    ),
    # NOTE: CUDA runtime API, cudaErrorNoKernelImageForDevice (209); architectures per torch
    # build: PyTorch RELEASE.md (other-stacks.md D.2: CUDA 13 builds start at Turing).
    known(
        r"no kernel image is available for execution on the device",
        T(
            "this torch build has no kernels for this GPU's architecture (CUDA 13 builds of "
            "torch start at Turing)"
        ),
        T(
            "Install a torch build compiled for this GPU, e.g. a CUDA 12.6 build for GPUs older "
            "than Turing: pip install torch --index-url https://download.pytorch.org/whl/cu126"
        ),
        related=("cuda.torch-gpu-arch", "cuda.extension-gpu-arch", "host.extension-torch"),
    ),
)

NO_DEVICE: tuple[KnownFailure, ...] = (
    # NOTE: other-stacks.md D.6 (GPU access in containers).
    known(
        r"torch\.cuda\.is_available\(\) == False",
        T(
            "no GPU is visible to this process: CUDA_VISIBLE_DEVICES hides them, or this "
            "container was started without GPU access"
        ),
        T("Check `nvidia-smi` and CUDA_VISIBLE_DEVICES; start containers with --gpus all"),
        related=("cuda.visible-devices", "cuda.*smi*"),
        stacks=("cuda",),
    ),
)
