"""The unsupported `HSA_OVERRIDE_GFX_VERSION` workaround for a GPU whose gfx target a torch build
lacks while it carries another member of the same LLVM generic processor family.

WHY: users of consumer Radeon cards (gfx1031, gfx1151, ...) run ROCm wheels built for a sibling
target by making the runtime report the sibling (ROCm/legacy-rocm-build#2536,
pytorch/pytorch#164346). chipdoctor offers it only after the supported ways and says AMD does
not support it; it offers it only inside a family LLVM documents as one ISA, never across.

Sources:
- LLVM, User Guide for AMDGPU Backend, table "AMDGPU Generic Processors"
  (llvm/docs/AMDGPUUsage.rst, https://llvm.org/docs/AMDGPUUsage.html#amdgpu-generic-processor-table):
  ``gfx10-3-generic`` supports gfx1030, gfx1031, gfx1032, gfx1033, gfx1034, gfx1035, gfx1036
  ("No restrictions"); ``gfx11-generic`` supports gfx1100, gfx1101, gfx1102, gfx1103, gfx1150,
  gfx1151, gfx1152, gfx1153 ("Various codegen pessimizations are applied to work around some
  hazards specific to some targets within this family"). ROCm's documentation of generic code
  objects: a gfx10-3-generic binary "will run on each of those seven targets".
- ROCm, Environment variables reference (ROCm/ROCm docs/reference/env-variables.rst,
  https://rocm.docs.amd.com/en/latest/reference/env-variables.html): ``HSA_OVERRIDE_GFX_VERSION``
  "Override the target version. Used to enable HIP usage on unsupported hardware.", values
  "11.0.0, 10.3.0".
- ROCm/ROCT-Thunk-Interface src/topology.c (libhsakmt) parses it as
  ``major.minor.stepping`` (``sscanf("%u.%u.%u")``) into the node's gfx version; a gfx name is
  ``gfx<major><minor><stepping>`` with minor and stepping one hex digit each (gfx90a: 9.0.10).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: LLVM generic processor families whose members the override may stand in for, each in LLVM's
#: table order (the first carried member is the one offered, so the choice is deterministic).
#: Only the two families the override is known to be used with on PyTorch wheels (the sources
#: above); the gfx9 and gfx10-1 families carry instruction restrictions between members.
GENERIC_FAMILIES: Mapping[str, tuple[str, ...]] = {
    "gfx10-3-generic": (
        "gfx1030",
        "gfx1031",
        "gfx1032",
        "gfx1033",
        "gfx1034",
        "gfx1035",
        "gfx1036",
    ),
    "gfx11-generic": (
        "gfx1100",
        "gfx1101",
        "gfx1102",
        "gfx1103",
        "gfx1150",
        "gfx1151",
        "gfx1152",
        "gfx1153",
    ),
}


def override_version(target: str) -> str | None:
    """`gfx1030` -> `10.3.0`, `gfx90a` -> `9.0.10`: the MAJOR.MINOR.STEPPING libhsakmt reads from
    HSA_OVERRIDE_GFX_VERSION for a processor name; None for a name that is not `gfx<hex>`."""
    digits = target.partition(":")[0].removeprefix("gfx")
    if len(digits) < 3 or not digits[:-2].isdigit():
        return None
    try:
        return f"{int(digits[:-2])}.{int(digits[-2], 16)}.{int(digits[-1], 16)}"
    except ValueError:
        return None


def stand_in(
    target: str,
    carried: Iterable[str],
    families: Mapping[str, tuple[str, ...]] = GENERIC_FAMILIES,
) -> tuple[str, str] | None:
    """(family, member): the first member of `target`'s generic family, in the family's order,
    that `carried` holds, other than `target` itself; None when the family has none or
    `target` is in no family."""
    have = {t.partition(":")[0] for t in carried}
    for family, members in families.items():
        if target in members:
            for member in members:
                if member != target and member in have:
                    return family, member
    return None
