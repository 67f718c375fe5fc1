"""GPU targets for the two HIP stacks: each GPU's gfx target (`rocminfo`) against the offload
targets the installed torch carries (`torch/lib/libtorch_hip.so`'s clang offload bundles), or
PyTorch's published PYTORCH_ROCM_ARCH of that wheel.

NOTE: HIP loads a kernel only for the device's exact target; a missing one fails with
`hipErrorNoBinaryForGpu: Unable to find code object for all current devices!` (or "invalid
device function"). Features after the colon (`gfx90a:xnack-`) are not compared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from chipdoctor.i18n import T, join
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.probes.base import ProbeContext
from chipdoctor.stacks._hip.families import GENERIC_FAMILIES, override_version, stand_in
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
_BUILDER_4_3 = (
    "pytorch/builder manywheel/build_docker.sh @ 23b02d26 (2021-09-24, ROCm >= 4.3: "
    "gfx900;gfx906;gfx908 plus gfx90a;gfx1030; unchanged until 3237101a, 2023-05-23; "
    "https://github.com/pytorch/builder/blob/23b02d26630d2703b03ca11ec89f27f46ab387d6/"
    "manywheel/build_docker.sh)"
)
_BUILDER_5_5 = (
    "pytorch/builder manywheel/build_docker.sh @ 3237101a (2023-05-23, ROCm 5.5: "
    "gfx900;gfx906;gfx908;gfx90a;gfx1030;gfx1100; for ROCm 5.x unchanged until the builder's "
    "ROCm scripts were removed; "
    "https://github.com/pytorch/builder/blob/3237101a0a709aec3111e7d00718e63114fd9f6c/"
    "manywheel/build_docker.sh)"
)
_GFX_4_3 = ("gfx900", "gfx906", "gfx908", "gfx90a", "gfx1030")
_GFX_5_5 = (*_GFX_4_3, "gfx1100")
_GFX_6_0 = (*_GFX_5_5, "gfx942")

#: PYTORCH_ROCM_ARCH of PyTorch's ROCm wheels (the build image's environment, so the wheel's
#: offload targets), by the ROCm of the wheel tag: (targets, source). ROCm 4.3 to 5.7 from
#: pytorch/builder's image script (ENV PYTORCH_ROCM_ARCH in its manywheel/Dockerfile); ROCm 6.0
#: and 6.1 from _BUILD_SH (`gfx900;gfx906;gfx908;gfx90a;gfx1030;gfx1100`, plus gfx942 from ROCm
#: 6.0). Older wheels took PyTorch's LoadHIP.cmake default and later ones scripts listing more
#: targets; which release first did is not read here, so those lists are not guessed.
PUBLISHED: dict[str, tuple[tuple[str, ...], str]] = {
    **dict.fromkeys(("4.3", "4.5", "5.0", "5.1", "5.2", "5.3", "5.4"), (_GFX_4_3, _BUILDER_4_3)),
    **dict.fromkeys(("5.5", "5.6", "5.7"), (_GFX_5_5, _BUILDER_5_5)),
    "6.0": (_GFX_6_0, _BUILD_SH),
    "6.1": (_GFX_6_0, _BUILD_SH),
}

_NIGHTLY_7_0 = (
    "pytorch/pytorch PR #163860 (2025-09-25, 'create ROCm 7.0 images for binary builds', "
    "'Adds gfx950' to the manywheel images' PYTORCH_ROCM_ARCH, which PRs #141667 gfx1101, "
    "#147761 gfx1102 and #148562 gfx1200;gfx1201 had grown from the ROCm 6.0 list); PR #163937 "
    "(2025-09-26) moved the nightly wheels to ROCm 7.0; gfx1150;gfx1151 came with a later ROCm 7.0 "
    "check that PR #167299 (2025-11-07) made unconditional, and AMD's triage of "
    "pytorch/pytorch#164346 on 2025-10-02 says 'Until gfx1151 support is enabled' "
    "(https://github.com/pytorch/pytorch/pull/163860)"
)

#: Nightly wheels whose targets differ from any release's: (release, ROCm of the `+rocm` tag,
#: first and last `.devYYYYMMDD` date, targets, source). The window ends where a source still
#: says the list held: the ROCm 7.0 nightlies from the switch to ROCm 7.0 until AMD's comment.
#: NOTE: assembled from the PRs that changed PYTORCH_ROCM_ARCH (their own descriptions), not
#: read from the script at a pinned commit.
Nightlies = tuple[tuple[str, str, str, str, tuple[str, ...], str], ...]
NIGHTLY: Nightlies = (
    (
        "2.10.0",
        "7.0",
        "20250926",
        "20251002",
        (*_GFX_6_0, "gfx1101", "gfx1102", "gfx1200", "gfx1201", "gfx950"),
        _NIGHTLY_7_0,
    ),
)


_GFX803_1_8 = (
    "pytorch/pytorch#53738 (hipErrorNoBinaryForGpu on gfx803 with 1.8.0+rocm4.0.1) and PR #54653 "
    "(PYTORCH_ROCM_ARCH, LoadHIP.cmake's default that the wheels' build script relies on, "
    "never reached GPU_TARGETS, so no gfx803 binaries were built; "
    "https://github.com/pytorch/pytorch/pull/54653); ROCm 4.0.1 does not officially support gfx8 "
    "(its README: 'full support is not guaranteed'; ROCm/legacy-rocm-build#1471)"
)

#: Targets KNOWN to be absent from wheels whose full list PyTorch never published, by the wheel
#: (release, `+rocm` tag): (absent targets, source). A negative fact: the ROCm 4.0.1 wheels of
#: torch 1.8.0 and 1.8.1 name gfx803 in LoadHIP.cmake's default yet carry no gfx803 code object.
#: Their build script, pytorch/builder manywheel/build_rocm.sh @ 3efc159a ("add support for ROCm
#: 4.0.1"), sets no PYTORCH_ROCM_ARCH: "defaults to all supported archs in pytorch's
#: LoadHIP.cmake, e.g., set(PYTORCH_ROCM_ARCH gfx803;gfx900;gfx906;gfx908)"
#: (https://github.com/pytorch/builder/blob/3efc159a0be5b976c2050da8d8d0869899efccd2/manywheel/
#: build_rocm.sh). ROCm 4.0.1's README lists GFX8 GPUs as "enabled in the ROCm software, though
#: full support is not guaranteed" (https://github.com/ROCm/ROCm/blob/
#: 290091946ff417b6d402ba5eb2be62bb27e556c1/README.md); AMD support closed
#: ROCm/legacy-rocm-build#1471 (RX 580, 1.8.1+rocm4.0.1): "NOT officially supporting gfx8 devices
#: with ROCm anymore".
ABSENT: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("1.8.0", "4.0.1"): (("gfx803",), _GFX803_1_8),
    ("1.8.1", "4.0.1"): (("gfx803",), _GFX803_1_8),
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
    found = context.torch_device_code(TORCH_HIP_LIBRARY)
    if found is not None:
        path, code = found
        context.inventory.facts[FACT_TORCH_LIBRARY] = path
        context.inventory.facts[FACT_TORCH_TARGETS] = " ".join(code.native)


def published(torch: str, nightlies: Nightlies | None = None) -> tuple[tuple[str, ...], str] | None:
    """(offload targets, source) PyTorch published for this `+rocmX.Y` wheel, if known: a
    nightly (`2.10.0.dev20250929+rocm7.0`) from NIGHTLY, any other from PUBLISHED by its ROCm."""
    match = re.search(r"\+rocm(\d+)\.(\d+)", torch)
    if not match:
        return None
    rocm = f"{match.group(1)}.{match.group(2)}"
    nightly = re.match(r"(\d+\.\d+\.\d+)\.dev(\d{8})\+", torch)
    if nightly:
        release, date = nightly.groups()
        for row_release, row_rocm, first, last, targets, source in nightlies or NIGHTLY:
            if (row_release, row_rocm) == (release, rocm) and first <= date <= last:
                return targets, source
    return PUBLISHED.get(rocm)


def absent(torch: str) -> tuple[tuple[str, ...], str] | None:
    """(offload targets known to be missing, source) for this `+rocmX.Y.Z` wheel, if any."""
    release, _, local = torch.partition("+rocm")
    return ABSENT.get((release, local)) if local else None


def gpu_targets(inventory: Inventory) -> dict[int, str]:
    found = {}
    for key, value in inventory.facts.items():
        if key.startswith(FACT_GFX) and key[len(FACT_GFX) :].isdigit():
            found[int(key[len(FACT_GFX) :])] = value
    return dict(sorted(found.items()))


def carried_by(inventory: Inventory, torch: str) -> tuple[tuple[str, ...], str] | None:
    """(the offload targets `torch` carries, where that was read): the installed build's
    library where it was read, else the list PyTorch published for that wheel; None: unknown."""
    library = inventory.facts.get(FACT_TORCH_LIBRARY)
    if library and torch == inventory.version("torch"):
        return tuple(inventory.facts.get(FACT_TORCH_TARGETS, "").split()), library
    return published(as_installed(inventory, torch))


def as_installed(inventory: Inventory, torch: str) -> str:
    """The installed nightly (`2.10.0.dev20250929+rocm7.0`) where the rules judge it as its
    base release (`2.10.0+rocm7.0`, rules/prerelease.py); `torch` itself otherwise."""
    from chipdoctor.rules.prerelease import FACT_PRERELEASE, base_release

    installed = inventory.facts.get(f"{FACT_PRERELEASE}torch")
    return installed if installed and base_release(installed) == torch else torch


def _lacking(
    inventory: Inventory, torch: str
) -> tuple[dict[int, str], tuple[tuple[str, ...], str], bool] | None:
    """(the GPUs, by index, whose target `torch` has no code object for; the (targets, source)
    that says so; whether those are the targets it carries, else ones known absent from it);
    None where neither list is known. The one judgement of `lacks` and `torch_vs_targets`."""
    gpus = gpu_targets(inventory)
    carried = carried_by(inventory, torch)
    if carried is not None:
        return {i: t for i, t in gpus.items() if t not in carried[0]}, carried, True
    known_absent = absent(torch)
    if known_absent is not None:
        return {i: t for i, t in gpus.items() if t in known_absent[0]}, known_absent, False
    return None


def lacks(inventory: Inventory, torch: str) -> bool | None:
    """Whether `torch` is known to lack a GPU's target (True), known to carry every one (False),
    or cannot be told (None: no list is known for it)."""
    found = _lacking(inventory, torch)
    if found is None:
        return None
    missing, _, complete = found
    if complete:
        return bool(missing)
    return True if missing else None


def target_filter(inventory: Inventory) -> Callable[[Mapping[str, str]], bool] | None:
    """For `fix`: a target's torch must not be known to lack a GPU's target. Where the installed
    torch is known to lack one, only a wheel known to carry every target is taken (a build whose
    list is not published could fail the same way), as `check`'s fix names it."""
    if not gpu_targets(inventory):
        return None
    installed = inventory.version("torch")
    strict = installed is not None and lacks(inventory, installed) is True

    def carries(target: Mapping[str, str]) -> bool:
        torch = target.get("torch")
        if not torch:
            return True
        verdict = lacks(inventory, torch)
        return verdict is False if strict else verdict is not True

    return carries


def torch_vs_targets(
    inventory: Inventory, stack: str, torch: str, better: str | None = None
) -> list[Finding]:
    """A GPU whose gfx target the installed torch carries no code object for: an error. `better`:
    the pip line of the nearest wheel known to carry every GPU's target, where the caller knows
    one (as `fix` plans it, through `target_filter`)."""
    from chipdoctor.rules.common import stack_finding  # its packaging import: rules time only

    lacking = _lacking(inventory, torch)
    if lacking is None or not lacking[0]:
        return []
    missing, (targets, source), complete = lacking
    names = join(
        [
            T(
                "GPU {index} ({name}, {target})",
                index=i,
                name=inventory.facts.get(f"{FACT_GFX_NAME}{i}") or "?",
                target=t,
            )
            for i, t in missing.items()
        ],
        ", ",
    )
    target = next(iter(missing.values()))
    if complete:
        message = T(
            "{gpus}: torch {torch} carries code objects for {targets} only (read from "
            "{source}), so its kernels fail on it with 'hipErrorNoBinaryForGpu: Unable to "
            "find code object for all current devices' or 'invalid device function'.",
            gpus=names,
            torch=as_installed(inventory, torch),
            targets=" ".join(targets) or "-",
            source=source,
        )
        build = T(
            "No PyTorch wheel in the matrix is known to carry {target}: build torch with "
            "PYTORCH_ROCM_ARCH={target} (PyTorch's ROCm wheels list their targets in "
            "PYTORCH_ROCM_ARCH), or use a GPU whose target a published wheel carries.",
            target=target,
        )
        workaround = override(gpu_targets(inventory), missing, targets)
        fix: str = join([build, workaround], " ") if workaround else build
    else:
        message = T(
            "{gpus}: torch {torch} carries no code object for {targets} (source: {source}), so "
            "its kernels fail on it with 'hipErrorNoBinaryForGpu'.",
            gpus=names,
            torch=torch,
            targets=" ".join(dict.fromkeys(missing.values())),
            source=source,
        )
        fix = T(
            "No published wheel of torch {release} carries {target}: build torch from source "
            "with PYTORCH_ROCM_ARCH={target} (and a ROCm whose libraries still build {target}), "
            "or use a GPU that ROCm supports.",
            release=torch.partition("+")[0],
            target=target,
        )
    return [
        stack_finding(
            "torch-gpu-arch", Severity.ERROR, ("torch",), message, better or fix, stack=stack
        )
    ]


def override(
    gpus: Mapping[int, str],
    missing: Mapping[int, str],
    carried: tuple[str, ...],
    families: Mapping[str, tuple[str, ...]] = GENERIC_FAMILIES,
) -> str:
    """The unsupported HSA_OVERRIDE_GFX_VERSION sentence for a fix, or "" where it does not
    apply. The variable applies to every GPU of the process, so it is offered only where every
    GPU lacks its target and all of them stand in as the same carried family member."""
    if set(missing) != set(gpus):
        return ""
    found = {stand_in(target, carried, families) for target in missing.values()}
    if len(found) != 1 or None in found:
        return ""
    (chosen,) = found
    assert chosen is not None
    family, member = chosen
    version = override_version(member)
    if version is None:
        return ""
    return T(
        "Unsupported workaround, not supported by AMD: run with HSA_OVERRIDE_GFX_VERSION={version} "
        "so that the ROCm runtime reports the GPU as {member}, which this torch carries (LLVM's "
        "generic processor family {family} holds {targets} and {member}); kernels may still fail "
        "or compute wrong results.",
        version=version,
        member=member,
        targets=" ".join(dict.fromkeys(missing.values())),
        family=family,
    )
