"""The NPU products a TorchNPU release train supports, where Ascend says it per release.

Two kinds of official statement, one per release train (the `v<torch>-<train>` branches of
Ascend/pytorch):
- "硬件配套" (Hardware support) in the branch's README.zh.md lists the Atlas products usable as
  training or inference environments: the 6.0.rc3 to 7.1.0 branches the Atlas training series,
  the Atlas A2 training series and the Atlas 800I A2 inference product; the 7.2.0 and 7.3.0
  branches add the Atlas A3 training series (e.g.
  https://github.com/Ascend/pytorch/blob/v2.6.0-7.1.0/README.zh.md against
  https://github.com/Ascend/pytorch/blob/v2.6.0-7.2.0/README.zh.md).
- "产品硬件支持列表" (product hardware support list) in the 7.3.0, 26.0.0 and 26.1.0 installation
  guides (docs/zh/installation_guide/installation_description.md of the v2.7.1-<train>
  branches) marks the Atlas training, A2 training and A3 training series supported (√), and
  the Atlas inference series (Ascend 310P), the Atlas 200I/500 A2 inference products (Ascend
  310B) and the A2/A3 inference series not (x); 7.3.0 and 26.0.0 in the training scenario,
  26.1.0 plainly, where Ascend 950DT is added (√).
A host is judged by its chip series from `npu-smi info`. The A2 and A3 inference series carry
the same chips as the training ones, so only the Ascend 310P and 310B cards and a series a
train does not list yet (A3 before 7.2.0, 950 before 26.1.0) are judged. The 26.2.0 train and
trains before 6.0.rc3 state nothing (not judged).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from chipdoctor.i18n import T
from chipdoctor.matrix.model import Matrix, Row
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.rules.common import pip_install, stack_finding

README = "https://github.com/Ascend/pytorch/blob/{branch}/README.zh.md"
_GUIDE = (
    "https://github.com/Ascend/pytorch/blob/{commit}/docs/zh/installation_guide/"
    "installation_description.md"
)
_TRAINING = frozenset({"910", "910b"})

_finding = partial(stack_finding, stack="ascend")


@dataclass(frozen=True)
class Listing:
    """The chip series one release train lists as supported, and where (`{branch}`: the
    installed package's branch)."""

    series: frozenset[str]
    url: str


#: Release train -> what it lists. Guides: v2.7.1-7.3.0 @ 90441fa, v2.7.1-26.0.0 @ 89d88d4,
#: v2.7.1-26.1.0 @ 928743e.
LISTED = {
    **{train: Listing(_TRAINING, README) for train in ("6.0.rc3", "6.0.0", "7.0.0", "7.1.0")},
    "7.2.0": Listing(_TRAINING | {"a3"}, README),
    "7.3.0": Listing(
        _TRAINING | {"a3"}, _GUIDE.format(commit="90441fa551dc016f9f3c6eedb427ae6cfa83ed0c")
    ),
    "26.0.0": Listing(
        _TRAINING | {"a3"}, _GUIDE.format(commit="89d88d4560c996734712e9b5585c7745f21875d2")
    ),
    "26.1.0": Listing(
        _TRAINING | {"a3", "950"},
        _GUIDE.format(commit="928743e649ee25c8da47670791b2f7fee34fd3b0"),
    ),
}
#: The products of each judged series, as Ascend names them. The 310B is the "Atlas 200I/500
#: A2 inference product" (MindSDK `DeviceManager::IsAscend310B`,
#: https://www.hiascend.com/document/detail/zh/mindsdk/500/vision/visionug/mxvisionug_0418.html),
#: the 310P the "Atlas inference series" (https://hiascend.com/document/detail/zh/mind-sdk/50rc2/vision/mxvisionug/mxvisionug_0005.html).
PRODUCTS = {
    "a3": "Atlas A3",
    "950": "Ascend 950",
    "310p": T("Atlas inference series (Ascend 310P)"),
    "310b": T("Atlas 200I/500 A2 inference products (Ascend 310B)"),
}
#: The inference cards the installation guides mark not supported: no train lists them.
INFERENCE_CARDS = ("310p", "310b")


def train_of(row: Row) -> str:
    """`v2.6.0-7.1.0` -> `7.1.0`; "" for a row that names no branch."""
    return row.extra.get("branch", "").partition("-")[2]


def host_series(inventory: Inventory) -> str | None:
    """The chip series of this host's NPUs (packages.chip_series), and the 310B, whose packages
    `fix` does not name."""
    from chipdoctor.stacks.ascend.packages import chip_series

    series = chip_series(inventory)
    if series is None and any(
        d.stack == "ascend" and d.name.replace(" ", "").upper().startswith("310B")
        for d in inventory.devices
    ):
        return "310b"
    return series


def product_support(
    inventory: Inventory, torch_npu: str, rows: list[Row], matrix: Matrix
) -> list[Finding]:
    """A warning where this host's NPUs are a product the installed TorchNPU's release train
    does not list."""
    series = host_series(inventory)
    if series not in PRODUCTS or not rows:
        return []
    # NOTE: a package that a train stating nothing (or listing the series) also holds is not judged.
    if any(train_of(r) not in LISTED or series in LISTED[train_of(r)].series for r in rows):
        return []
    branch = rows[0].extra.get("branch", "")
    url = LISTED[train_of(rows[0])].url.format(branch=branch)
    chips = sorted({d.name for d in inventory.devices if d.stack == "ascend"})
    where = {
        "product": PRODUCTS[series],
        "chip": ", ".join(chips),
        "torch_npu": torch_npu,
        "branch": branch,
        "url": url,
    }
    if series in INFERENCE_CARDS:
        return [_inference_card(where)]
    return [_listed_later(series, rows[0].first("torch"), matrix, where)]


def _inference_card(where: dict[str, str]) -> Finding:
    return _finding(
        "torch_npu-product",
        Severity.WARNING,
        ("torch_npu",),
        T(
            "This host's NPUs are {product} ({chip}), which torch_npu {torch_npu} (release "
            "branch {branch}) does not list among its supported hardware ({url}); Ascend's "
            "installation guides of the 7.3.0 to 26.1.0 release trains mark them not supported "
            "for training with torch_npu.",
            **where,
        ),
        T(
            "Train on an Atlas training series, Atlas A2 or Atlas A3 training product; use "
            "{product} for inference only.",
            product=where["product"],
        ),
    )


def _listed_later(series: str, release: str, matrix: Matrix, where: dict[str, str]) -> Finding:
    """A series a later train lists (A3, 950): that train's TorchNPU of the same torch."""
    trains = [t for t, listing in LISTED.items() if series in listing.series]
    later = [
        r.first("torch_npu")
        for r in matrix.table("torch_npu").rows
        if r.first("torch") == release and train_of(r) in trains
    ]
    fix = (
        pip_install(f"torch-npu=={later[0]}")
        if later
        else T(
            "Install a TorchNPU of the {train} release train or later, which lists {product}.",
            train=trains[0],
            product=where["product"],
        )
    )
    return _finding(
        "torch_npu-product",
        Severity.WARNING,
        ("torch_npu",),
        T(
            "This host's NPUs are {product} ({chip}), but torch_npu {torch_npu} (release "
            "branch {branch}) does not list them under its supported hardware ({url}); "
            "{product} is listed from the {train} release train on.",
            train=trains[0],
            **where,
        ),
        fix,
    )
