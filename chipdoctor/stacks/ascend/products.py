"""The NPU product series a TorchNPU release train supports, where Ascend says it per release.

Each release branch of Ascend/pytorch (`v<torch>-<train>`) lists under "硬件配套" (Hardware
support) in its README.zh.md the Atlas product series usable as training environments:
the 6.0.rc3 to 7.1.0 branches list the Atlas training series, the Atlas A2 training series and
the Atlas 800I A2 inference product; the 7.2.0 and 7.3.0 branches add the Atlas A3 training
series (e.g. https://github.com/Ascend/pytorch/blob/v2.6.0-7.1.0/README.zh.md against
https://github.com/Ascend/pytorch/blob/v2.6.0-7.2.0/README.zh.md). The 26.x branches carry no
such section (their COMPATIBILITY.en.md lists every family), and branches before 6.0.rc3 none
either, so only an A3 host under a 6.0.rc3-7.1.0 TorchNPU is judged.
"""

from __future__ import annotations

from chipdoctor.i18n import T
from chipdoctor.matrix.model import Matrix, Row
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.rules.common import pip_install, stack_finding

#: Release trains whose branch README lists no Atlas A3 product, and those that list it.
WITHOUT_A3 = ("6.0.rc3", "6.0.0", "7.0.0", "7.1.0")
WITH_A3 = ("7.2.0", "7.3.0")
README = "https://github.com/Ascend/pytorch/blob/{branch}/README.zh.md"


def train_of(row: Row) -> str:
    """`v2.6.0-7.1.0` -> `7.1.0`; "" for a row that names no branch."""
    return row.extra.get("branch", "").partition("-")[2]


def a3_support(
    inventory: Inventory, torch_npu: str, rows: list[Row], matrix: Matrix
) -> list[Finding]:
    """A warning where an Atlas A3 host runs a TorchNPU whose release branch does not list A3."""
    from chipdoctor.stacks.ascend.steps import chip_series  # npu-smi name -> series

    # NOTE: a package that a later train (or a row naming no branch) also holds is not judged.
    if not rows or any(train_of(r) not in WITHOUT_A3 for r in rows):
        return []
    if chip_series(inventory) != "a3":
        return []
    branches = [r.extra.get("branch", "") for r in rows]
    release = rows[0].first("torch")
    later = [
        r.first("torch_npu")
        for r in matrix.table("torch_npu").rows
        if r.first("torch") == release and train_of(r) in WITH_A3
    ]
    fix = (
        pip_install(f"torch-npu=={later[0]}")
        if later
        else T(
            "Install a TorchNPU of the {train} release train or later, whose README lists the "
            "Atlas A3 training series.",
            train=WITH_A3[0],
        )
    )
    return [
        stack_finding(
            "torch_npu-product",
            Severity.WARNING,
            ("torch_npu",),
            T(
                "This host's NPUs are Atlas A3, but torch_npu {torch_npu} (release branch "
                "{branch}) does not list the Atlas A3 training series under its supported "
                "hardware ({url}); A3 is listed from the {train} branches on.",
                torch_npu=torch_npu,
                branch=branches[0],
                url=README.format(branch=branches[0]),
                train=WITH_A3[0],
            ),
            fix,
            stack="ascend",
        )
    ]
