"""GPU targets for the two HIP stacks: each GPU's gfx target (`rocminfo`) against the offload
targets the installed torch carries (`torch/lib/libtorch_hip.so`'s clang offload bundles), or
PyTorch's published PYTORCH_ROCM_ARCH of that wheel.

NOTE: HIP loads a kernel only for the device's exact target; a missing one fails with
`hipErrorNoBinaryForGpu: Unable to find code object for all current devices!` (or "invalid
device function"). Features after the colon (`gfx90a:xnack-`) are not compared.
"""

from __future__ import annotations

import re

from chipdoctor.evidence.base import NotRecorded, UnreadableError
from chipdoctor.i18n import T, join
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.probes.base import ProbeContext
from chipdoctor.stacks._hip.rocminfo import parse_amd_smi_static, parse_rocminfo

ROCMINFO = "rocminfo"
AMD_SMI_STATIC = "amd-smi static"
TORCH_HIP_LIBRARY = "torch/lib/libtorch_hip.so"
FACT_GFX = "hip.gfx."  # hip.gfx.<index> = gfx90a
FACT_GFX_NAME = "hip.gfx_name."  # hip.gfx_name.<index> = AMD Instinct MI210
FACT_TORCH_TARGETS = "hip.torch_targets"  # "gfx900 gfx906 ..."
FACT_TORCH_LIBRARY = "hip.torch_library"

_BUILD_SH = (
    "pytorch/pytorch .ci/docker/manywheel/build.sh @ 1fca82d48c821e8f6fe4b04f0e846d10204af58f "
    "(https://github.com/pytorch/pytorch/blob/1fca82d48c821e8f6fe4b04f0e846d10204af58f/"
    ".ci/docker/manywheel/build.sh)"
)
#: PYTORCH_ROCM_ARCH of PyTorch's ROCm wheels, by the ROCm of the wheel tag, from _BUILD_SH
#: (`gfx900;gfx906;gfx908;gfx90a;gfx1030;gfx1100`, plus gfx942 from ROCm 6.0). Only ROCm 6.0
#: and 6.1 are taken from it: later wheels were built from scripts listing more targets, and
#: which release first did is not read here, so their lists are not guessed.
PUBLISHED: dict[str, tuple[str, ...]] = {
    "6.0": ("gfx900", "gfx906", "gfx908", "gfx90a", "gfx1030", "gfx1100", "gfx942"),
    "6.1": ("gfx900", "gfx906", "gfx908", "gfx90a", "gfx1030", "gfx1100", "gfx942"),
}


def probe_targets(context: ProbeContext) -> None:
    """Each GPU's gfx target from rocminfo (else `amd-smi static`), and the targets of the
    installed torch's library."""
    result = context.run(ROCMINFO)
    gpus = parse_rocminfo(result.stdout) if result is not None and result.ok else []
    if not gpus:
        static = context.run(AMD_SMI_STATIC)
        gpus = parse_amd_smi_static(static.stdout) if static is not None and static.ok else []
    for gpu in gpus:
        context.inventory.facts[f"{FACT_GFX}{gpu.index}"] = gpu.target
        context.inventory.facts[f"{FACT_GFX_NAME}{gpu.index}"] = gpu.marketing_name
    evidence = context.evidence
    if not evidence.python.package("torch"):
        return
    for site in evidence.python.paths:
        path = f"{site.rstrip('/')}/{TORCH_HIP_LIBRARY}"
        try:
            code = evidence.device_code(path)
        except (NotRecorded, UnreadableError):
            return
        if code is not None:
            context.inventory.facts[FACT_TORCH_LIBRARY] = path
            context.inventory.facts[FACT_TORCH_TARGETS] = " ".join(code.native)
            return


def _published(torch: str) -> tuple[str, ...] | None:
    match = re.search(r"\+rocm(\d+)\.(\d+)", torch)
    return PUBLISHED.get(f"{match.group(1)}.{match.group(2)}") if match else None


def gpu_targets(inventory: Inventory) -> dict[int, str]:
    found = {}
    for key, value in inventory.facts.items():
        if key.startswith(FACT_GFX) and key[len(FACT_GFX) :].isdigit():
            found[int(key[len(FACT_GFX) :])] = value
    return dict(sorted(found.items()))


def torch_vs_targets(inventory: Inventory, stack: str, torch: str) -> list[Finding]:
    """A GPU whose gfx target the installed torch carries no code object for: an error."""
    from chipdoctor.rules.common import stack_finding  # its packaging import: rules time only

    gpus = gpu_targets(inventory)
    library = inventory.facts.get(FACT_TORCH_LIBRARY)
    if library:
        carried: tuple[str, ...] | None = tuple(inventory.facts.get(FACT_TORCH_TARGETS, "").split())
        source = library
    else:
        carried, source = _published(torch), _BUILD_SH
    if not gpus or carried is None:
        return []
    missing = {i: t for i, t in gpus.items() if t not in carried}
    if not missing:
        return []
    names = join(
        [
            T(
                "GPU {index} ({name}, {target})",
                index=i,
                name=inventory.facts.get(f"{FACT_GFX_NAME}{i}", "?"),
                target=t,
            )
            for i, t in missing.items()
        ],
        ", ",
    )
    return [
        stack_finding(
            "torch-gpu-arch",
            Severity.ERROR,
            ("torch",),
            T(
                "{gpus}: torch {torch} carries code objects for {targets} only (read from "
                "{source}), so its kernels fail on it with 'hipErrorNoBinaryForGpu: Unable to "
                "find code object for all current devices' or 'invalid device function'.",
                gpus=names,
                torch=torch,
                targets=" ".join(carried) or "-",
                source=source,
            ),
            T(
                "Install a torch build whose offload targets include {target} (PyTorch's ROCm "
                "wheels list theirs in PYTORCH_ROCM_ARCH), or build torch with "
                "PYTORCH_ROCM_ARCH={target}.",
                target=next(iter(missing.values())),
            ),
            stack=stack,
        )
    ]
