"""Hygon DCU: the DTK toolkit, the Hygon kernel driver, devices from ``hy-smi`` (or the DTK
``rocm-smi`` of older releases) and ``HIP_VISIBLE_DEVICES``.

DTK is a ROCm derivative, so a Hygon host also carries ROCm-named tools and files. The rule
that keeps it from being read as a broken AMD host lives here (:func:`hygon_markers`) and is
documented in docs/stacks/dcu.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chipdoctor.evidence.base import CommandResult, Evidence, UnreadableError
from chipdoctor.i18n import T
from chipdoctor.model import Device, Inventory, Severity
from chipdoctor.probes.base import ProbeContext, command_failure
from chipdoctor.probes.visible import check_visible_devices
from chipdoctor.stacks._hip.rocm_versions import parse_version_file, strip_build, version_from_dir
from chipdoctor.stacks.dcu.facts import (
    DRIVER_DOWNLOAD,
    DRIVER_MODULES,
    DTK_ROOTS,
    DTK_VERSION_FILES,
    FACT_DTK_ROOT,
    HY_SMI,
    HYHAL_ROOT,
    ROCM_SMI,
    VISIBLE_DEVICES,
)

if TYPE_CHECKING:
    from chipdoctor.stacks._hip.smi_table import SmiTable


def hygon_markers(context: ProbeContext) -> list[str]:
    """The Hygon-only paths present on this machine.

    A machine with any of them is a DCU host (the Hygon HAL that ships hy-smi, a DTK install,
    or the Hygon kernel module), whatever ROCm-named files it also has.
    """
    candidates = [HYHAL_ROOT, *DTK_ROOTS, *(f"/sys/module/{m}" for m in DRIVER_MODULES)]
    found = [path for path in candidates if is_dir(context.evidence, path)]
    found += [f"/opt/{name}" for name in context.list_dir("/opt") if name.startswith("dtk-")]
    return found


def is_dir(evidence: Evidence, path: str) -> bool:
    """Whether a directory exists; one that exists but cannot be listed still counts."""
    try:
        return evidence.list_dir(path) is not None
    except UnreadableError:
        return True


class DcuProbe:
    name = "dcu"

    def collect(self, evidence: Evidence) -> Inventory:
        context = ProbeContext("dcu", evidence)
        markers = hygon_markers(context)
        _dtk(context)
        _driver(context)
        hy_smi = context.run(HY_SMI)
        device_count = _devices(context, bool(markers), hy_smi)
        check_visible_devices(context, VISIBLE_DEVICES, device_count, "hygon_driver")
        inventory = context.inventory
        # NOTE: hy-smi ships only with Hygon's HAL: its having run at all (whatever it printed)
        # makes this a DCU host; a finding about it on a host "without a stack" would contradict.
        if markers or hy_smi is not None or inventory.components or inventory.devices:
            inventory.stacks.append("dcu")
            from chipdoctor.stacks._hip.archs import probe_targets  # the stack's alone

            probe_targets(context)
        return inventory


def _dtk_roots(context: ProbeContext) -> list[str]:
    roots = []
    rocm_path = context.evidence.getenv("ROCM_PATH")
    # NOTE: DTK's env.sh points ROCM_PATH at the DTK root (/opt/dtk or /opt/dtk-24.04.3).
    if rocm_path and rocm_path.startswith("/") and "dtk" in rocm_path.lower():
        roots.append(rocm_path.rstrip("/"))
    roots += DTK_ROOTS
    versioned = [name for name in context.list_dir("/opt") if name.startswith("dtk-")]
    roots += [f"/opt/{name}" for name in sorted(versioned, reverse=True)]
    return list(dict.fromkeys(roots))


def _dtk(context: ProbeContext) -> None:
    for root in _dtk_roots(context):
        for name in DTK_VERSION_FILES:
            path = f"{root}/{name}"
            text = context.read(path)
            version = parse_version_file(text) if text else None
            if version:
                context.component("dtk", strip_build(version), path)
                context.inventory.facts[FACT_DTK_ROOT] = root
                return
    for root in _dtk_roots(context):
        version = version_from_dir(root.rsplit("/", 1)[-1], "dtk-")
        if version and is_dir(context.evidence, root):
            context.component("dtk", version, f"{root} (directory name)")
            context.inventory.facts[FACT_DTK_ROOT] = root
            return


def _driver(context: ProbeContext) -> None:
    for module in DRIVER_MODULES:
        path = f"/sys/module/{module}/version"
        text = context.read(path)
        version = text.strip().splitlines()[0].strip() if text and text.strip() else None
        if version:
            context.component("hygon_driver", version, path)
            return


def _devices(context: ProbeContext, hygon_host: bool, hy_smi: CommandResult | None) -> int | None:
    """Devices from hy-smi, else from DTK's rocm-smi; the device count, None if unknown.

    Before the hy-smi HAL, DTK's own rocm-smi printed the device table with a "DCU" first
    column (PaddlePaddle DCU install guide, DTK 23.10 on Z100): that table alone makes the
    machine a DCU host, even where no other Hygon marker was recorded. Any other rocm-smi
    output belongs to the ROCm stack, and is judged here only on a Hygon host.
    """
    key = HY_SMI
    result = hy_smi
    if result is None:
        key = ROCM_SMI
        result = context.run(ROCM_SMI)
    if result is None:
        return None
    # NOTE: imported here, not at the top: a host without the stack never pays for the parser.
    from chipdoctor.stacks._hip.smi_table import parse_smi_table

    table = parse_smi_table(result.stdout + "\n" + result.stderr)
    if key == ROCM_SMI and table.label not in ("DCU", "HCU") and not (hygon_host and table.error):
        return None  # an AMD table (or a failing AMD tool): not this stack's
    if not result.ok or table.error or not table.devices:
        detail = table.error or _empty_detail(table) or command_failure(result)
        context.add(
            f"{key}-failed",
            Severity.ERROR,
            ("hygon_driver",),
            T(
                "`{tool}` failed: {detail}. The DCU driver is not working here, so no DCU can be "
                "used.",
                tool=key,
                detail=detail,
            ),
            _driver_fix(detail),
        )
        return None
    for device in table.devices:
        name = device.name or device.device_id or table.label or "DCU"
        context.inventory.devices.append(Device("dcu", device.index, name, "N/A"))
    return len(table.devices)


def _empty_detail(table: SmiTable) -> str:
    if table.label and not table.devices:
        reason = "; ".join(table.warnings) or T("its device table is empty")
        return T("it lists no device ({reason})", reason=reason)
    return ""


def _driver_fix(detail: str) -> str:
    if "timed out" in detail or "did not answer" in detail:
        return T("The driver hangs: check `dmesg` for hycu/hydcu errors and reboot the node.")
    return T(
        "Check that the Hygon driver is loaded on the host (`lsmod | grep -E 'hycu|hydcu'`; "
        "reinstall the rock-*.run driver from {url} and run "
        "`systemctl restart hymgr`); inside a container, pass --device /dev/kfd --device "
        "/dev/mkfd --device /dev/dri and mount -v /opt/hyhal:/opt/hyhal.",
        url=DRIVER_DOWNLOAD,
    )
