"""The names of Ascend's installer packages for this machine, one spelling for `check`'s fixes
and `fix`'s steps: the chip series of an `npu-smi` device name, the machine name, and the
operator kernels package (`Ascend-cann-kernels-<chip>` before CANN 8.5.0, `Ascend-cann-<chip>-ops`
from it; `Atlas-A3-cann-kernels` / `Ascend-cann-A3-ops` on A3)."""

from __future__ import annotations

from chipdoctor.model import Inventory
from chipdoctor.versions import InvalidVersion, parse_vendor

# NOTE: npu-smi names (shared/reference/ascend.md §8) -> the chip series of package names and
# image tags (cann-container-image OVERVIEW.md: 910b = Atlas A2, a3 = Atlas A3, 310p, 910).
_CHIP_PREFIXES = (
    ("910B", "910b"),
    ("ASCEND910", "a3"),
    ("910PREMIUMA", "910"),
    ("910A", "910"),
    ("310P", "310p"),
    ("950", "950"),
)


def chip_series(inventory: Inventory) -> str | None:
    """The NPU series of this host's devices, or None when npu-smi showed none."""
    for device in inventory.devices:
        if device.stack != "ascend":
            continue
        name = device.name.replace(" ", "").upper()
        for prefix, series in _CHIP_PREFIXES:
            if name.startswith(prefix):
                return series
    return None


def arch_of(inventory: Inventory) -> str:
    """The machine as Ascend's package names spell it (aarch64, x86_64)."""
    machine = (inventory.version("arch") or "").lower()
    return {"arm64": "aarch64", "amd64": "x86_64"}.get(machine, machine) or "<arch>"


def ops_file(chip: str, cann: str, arch: str) -> str:
    """The operator kernels installer of CANN `cann` for `chip` on `arch`."""
    try:
        ops = parse_vendor(cann) >= parse_vendor("8.5.0")
    except InvalidVersion:
        ops = True
    if chip == "a3":
        name = "Ascend-cann-A3-ops" if ops else "Atlas-A3-cann-kernels"
    else:
        name = f"Ascend-cann-{chip}-ops" if ops else f"Ascend-cann-kernels-{chip}"
    return f"{name}_{cann}_linux-{arch}.run"
