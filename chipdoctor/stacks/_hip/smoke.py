"""Hygon DCU and AMD ROCm: the smoke test's known failures (other-stacks.md B.1, B.2, B.7, C.6).

`FAILURES` name a reason; `NO_DEVICE` only say that torch counted no device, and are searched
after every stack's `FAILURES`, because the warnings printed while counting are part of the text.
"""

from __future__ import annotations

from chipdoctor.i18n import T
from chipdoctor.smoke.failures import KnownFailure, known

FAILURES: tuple[KnownFailure, ...] = (
    # NOTE: UNVERIFIED SOURCE: other-stacks.md B.1 quotes "ImportError: libamdhip64.so: version
    # 'hip_4.2' not found" after `pip install torch==1.13.1+rocm5.2` on DTK from a public file
    # whose repository it does not name; no primary source was found (2026-12-06).
    known(
        r"libamdhip64\.so\S*: version .hip_[\d.]+. not found",
        T(
            "an upstream ROCm build of torch runs on Hygon DTK, whose own HIP is not "
            "ABI-compatible with it"
        ),
        T("Install the torch wheel Hygon publishes for this DTK (DAS) instead of a +rocm wheel"),
        related=("dcu.torch-dtk", "dcu.torch-not-*"),
    ),
    # NOTE: HIP's rocclr/hip_code_object.cpp (ROCm 4.x: `guarantee(false &&
    # "hipErrorNoBinaryForGpu: Unable to find code object for all current devices!")`, the
    # file and line printed before it, as in pytorch/pytorch#53738); "invalid device function"
    # is hipGetErrorString's text for hipErrorInvalidDeviceFunction (HIP error codes reference,
    # https://rocm.docs.amd.com/projects/HIP/en/latest/reference/error_codes.html), which
    # PyTorch prefixes with "HIP error: ".
    known(
        r"hipErrorNoBinaryForGpu|HIP error: invalid device function",
        T("this torch build carries no code object for this GPU's gfx target"),
        T(
            "Install a torch build made for this GPU's gfx target (the findings of `chipdoctor "
            "check` name one: its torch-gpu-arch fix)"
        ),
        related=("rocm.torch-gpu-arch", "dcu.torch-gpu-arch"),
    ),
    # NOTE: rocBLAS's text where its Tensile kernels for the device's gfx target are absent,
    # "rocBLAS error: Cannot read …/rocblas/library/TensileLibrary.dat: No such file or
    # directory for GPU arch : gfxNNNN", as pytorch/pytorch#96964 (gfx1100 with the ROCm 5.4.2
    # wheel of torch 2.0.0) and ROCm/ROCm issues print it.
    known(
        r"rocBLAS error: Cannot read \S*TensileLibrary",
        T("rocBLAS in this build carries no kernels (Tensile library) for this GPU's gfx target"),
        T(
            "Install a torch build whose ROCm libraries carry this GPU's gfx target (the "
            "findings of `chipdoctor check` name one: its torch-gpu-arch fix)"
        ),
        related=("rocm.torch-gpu-arch", "dcu.torch-gpu-arch"),
    ),
)

NO_DEVICE: tuple[KnownFailure, ...] = (
    # NOTE: other-stacks.md B.7 and C.6 (devices a container needs).
    known(
        r"torch\.cuda\.is_available\(\) == False",
        T(
            "no GPU is visible to this process: /dev/kfd and /dev/dri (and /dev/mkfd on Hygon) "
            "were not passed into this container, HIP_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES "
            "hide them, or the user is not in the video/render group"
        ),
        T(
            "docker run --device /dev/kfd --device /dev/dri --group-add video … (Hygon: also "
            "--device /dev/mkfd -v /opt/hyhal:/opt/hyhal)"
        ),
        related=("rocm.visible-devices", "dcu.visible-devices", "rocm.*driver*", "dcu.*driver*"),
        stacks=("rocm", "dcu"),
    ),
)
