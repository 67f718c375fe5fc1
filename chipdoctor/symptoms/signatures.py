"""The messages `check --log` recognises, each with the source that prints it word for word.

`needle` is a plain substring every matching line holds (a cheap test before the pattern);
`pattern` captures the values the message carries; `explains` lists (fnmatch patterns of) the
finding ids that name a cause of it, so a symptom no such finding explains is reported as
`host.log-symptom` (symptoms/judge.py). A message is listed only with its source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chipdoctor.symptoms.kinds import LIBRARY_MISSING, TORCH_NOT_CUDA, UNDEFINED_SYMBOL


@dataclass(frozen=True)
class Signature:
    kind: str
    needle: str
    pattern: re.Pattern[str]
    #: The code or document that prints this message (URL and where in it).
    source: str
    explains: tuple[str, ...]


SIGNATURES: tuple[Signature, ...] = (
    Signature(
        TORCH_NOT_CUDA,
        "Torch not compiled with CUDA enabled",
        re.compile(r"Torch not compiled with CUDA enabled"),
        "https://github.com/pytorch/pytorch/blob/v2.13.0/torch/cuda/__init__.py (_lazy_init: "
        'raise AssertionError("Torch not compiled with CUDA enabled"); line 522 of torch '
        "2.13.0's installed file)",
        ("*.torch-cpu-build", "*.torch-not-rocm"),
    ),
    Signature(
        LIBRARY_MISSING,
        "cannot open shared object file",
        re.compile(r"(?P<library>lib[\w.+-]+?\.so(?:\.\d+)*): cannot open shared object file"),
        "https://sourceware.org/git/?p=glibc.git;a=blob;f=elf/dl-load.c (_dl_map_object: "
        '_dl_signal_error (errno, name, NULL, N_("cannot open shared object file")); dlerror '
        'writes "<name>: cannot open shared object file: <strerror>")',
        (),  # by library: LIBRARY_FINDINGS
    ),
    Signature(
        UNDEFINED_SYMBOL,
        "undefined symbol: ",
        re.compile(r"undefined symbol: (?P<symbol>[\w.$@]+)"),
        "https://sourceware.org/git/?p=glibc.git;a=blob;f=elf/dl-lookup.c (_dl_lookup_symbol_x: "
        '"undefined symbol: " followed by the symbol\'s name)',
        (
            "host.extension-torch",
            "ascend.torch-torch_npu",
            "ascend.torch_npu-cann",
            "ascend.nnal-cann",
        ),
    ),
    Signature(
        "cuda-arch-unsupported",
        "is not compatible with the current PyTorch installation",
        re.compile(
            r"(?P<gpu>\S.*?) with CUDA capability sm_(?P<sm>\d+) is not compatible with the "
            r"current PyTorch installation"
        ),
        "https://github.com/pytorch/pytorch/blob/v2.13.0/torch/cuda/__init__.py "
        '(_check_capability: incompatible_device_warn, "{} with CUDA capability sm_{} is not '
        "compatible with the current PyTorch installation.\"; line 427 of torch 2.13.0's file)",
        ("cuda.torch-gpu-arch", "cuda.extension-gpu-arch"),
    ),
    Signature(
        "cuda-no-kernel-image",
        "no kernel image is available for execution on the device",
        re.compile(r"no kernel image is available for execution on the device"),
        "https://docs.nvidia.com/cuda/cuda-runtime-api/group__CUDART__TYPES.html "
        "(cudaErrorNoKernelImageForDevice = 209; cudaGetErrorString's text for it)",
        ("cuda.torch-gpu-arch", "cuda.extension-gpu-arch"),
    ),
    Signature(
        "cuda-driver-insufficient",
        "CUDA driver version is insufficient for CUDA runtime version",
        re.compile(r"CUDA driver version is insufficient for CUDA runtime version"),
        "https://docs.nvidia.com/cuda/cuda-runtime-api/group__CUDART__TYPES.html "
        "(cudaErrorInsufficientDriver = 35; cudaGetErrorString's text for it)",
        ("cuda.torch-driver", "cuda.toolkit-driver"),
    ),
    Signature(
        "cuda-driver-too-old",
        "NVIDIA driver on your system is too old",
        re.compile(r"NVIDIA driver on your system is too old \(found version (?P<version>\d+)\)"),
        "https://github.com/pytorch/pytorch/blob/main/c10/cuda/CUDAFunctions.cpp "
        '(device_count_impl: "The NVIDIA driver on your system is too old (found version ", '
        "the driver's CUDA version as cudaDriverGetVersion returns it)",
        ("cuda.torch-driver", "cuda.toolkit-driver"),
    ),
    Signature(
        "hip-no-binary",
        "hipErrorNoBinaryForGpu",
        re.compile(r"hipErrorNoBinaryForGpu"),
        "https://github.com/ROCm/clr/blob/develop/hipamd/src/hip_code_object.cpp "
        '(rocclr/hip_code_object.cpp in ROCm 4.x: guarantee(false && "hipErrorNoBinaryForGpu: '
        'Unable to find code object for all current devices!"))',
        ("rocm.torch-gpu-arch", "dcu.torch-gpu-arch"),
    ),
    Signature(
        "hip-invalid-device-function",
        "invalid device function",
        re.compile(r"HIP error: invalid device function"),
        "https://rocm.docs.amd.com/projects/HIP/en/latest/reference/error_codes.html "
        '(hipErrorInvalidDeviceFunction = 98, "invalid device function"; PyTorch\'s '
        'c10/hip prefixes "HIP error: ")',
        ("rocm.torch-gpu-arch", "dcu.torch-gpu-arch"),
    ),
    Signature(
        "module-attribute-missing",
        "has no attribute",
        re.compile(
            r"module '(?P<module>torch_npu|torch_mlu|torch_musa)' has no attribute "
            r"'(?P<attribute>\w+)'"
        ),
        "https://github.com/python/cpython/blob/3.11/Objects/moduleobject.c "
        "(module_getattro: \"module '%U' has no attribute '%U'\")",
        (
            "ascend.vllm-ascend-torch_npu",
            "ascend.torch-torch_npu",
            "cambricon.torch-torch_mlu",
            "musa.torch_musa-*",
        ),
    ),
)

#: A missing library (its name up to `.so`) -> the findings that name its cause; the stacks'
#: probes look for these (chipdoctor/stacks/*/probe.py, places.py).
LIBRARY_FINDINGS: dict[str, tuple[str, ...]] = {
    "libmccl": ("musa.mccl-missing",),
    "libatb": ("ascend.nnal-missing", "ascend.nnal-cann"),
    "libhccl": ("ascend.torch_npu-without-cann", "ascend.library-not-found"),
    "libascendcl": ("ascend.torch_npu-without-cann", "ascend.library-not-found"),
    "libascend_hal": ("ascend.library-not-found", "ascend.env-not-sourced"),
    "libcudnn": ("cuda.library-not-found", "cuda.cudnn-torch"),
    "libcudart": ("cuda.library-not-found",),
    "libamdhip64": ("rocm.library-not-found", "dcu.library-not-found", "dcu.dtk-missing"),
    "libcnnl": ("cambricon.library-not-found", "cambricon.torch_mlu-without-neuware"),
}
