"""AMD ROCm: the ROCm release, the amdgpu kernel driver, devices from ``rocm-smi``, versions
from ``amd-smi version``, and ``HIP_VISIBLE_DEVICES`` / ``ROCR_VISIBLE_DEVICES``.

Paths, formats and sources: docs/stacks/rocm.md. A Hygon DTK host also has ROCm-named tools
and files; it belongs to the dcu stack, so this probe reports nothing there
(:func:`chipdoctor.stacks.dcu.probe.hygon_markers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chipdoctor.evidence.base import CommandResult, Evidence
from chipdoctor.i18n import T
from chipdoctor.model import Device, Inventory, Severity
from chipdoctor.probes.base import ProbeContext, command_failure
from chipdoctor.probes.libfiles import library_version
from chipdoctor.probes.visible import check_visible_devices
from chipdoctor.stacks._hip.rocm_versions import parse_version_file, strip_build, version_from_dir
from chipdoctor.stacks.dcu.probe import hygon_markers, is_dir
from chipdoctor.stacks.rocm.facts import (
    AMD_SMI,
    AMDGPU_MODULE,
    AMDGPU_VERSION,
    DOCKER_DOCS,
    FACT_AMDGPU_LOADED,
    FACT_TOOLS,
    RCCL_LIBRARY,
    ROCM_ROOT,
    ROCM_SMI,
    VERSION_FILES,
    VISIBLE_DEVICES,
)

if TYPE_CHECKING:
    from chipdoctor.stacks._hip.smi_table import SmiTable


class RocmProbe:
    name = "rocm"

    def collect(self, evidence: Evidence) -> Inventory:
        context = ProbeContext("rocm", evidence)
        if hygon_markers(context):
            return context.inventory
        root = _rocm(context)
        if root is not None:
            _rccl(context, root)
        _amdgpu(context)
        tools = []
        amd_smi = context.run(AMD_SMI)
        if amd_smi is not None:
            tools.append("amd-smi")
            _amd_smi(context, amd_smi)
        rocm_smi = context.run(ROCM_SMI)
        device_count = None
        if rocm_smi is not None:
            from chipdoctor.stacks._hip.smi_table import parse_smi_table

            table = parse_smi_table(rocm_smi.stdout + "\n" + rocm_smi.stderr)
            if table.label in ("DCU", "HCU"):
                # NOTE: DTK's rocm-smi prints a DCU table: a Hygon host without the usual
                # markers. The dcu probe reads it; this stack has nothing to say.
                return Inventory()
            tools.append("rocm-smi")
            device_count = _rocm_smi(context, rocm_smi, table)
        if tools:
            context.inventory.facts[FACT_TOOLS] = ",".join(tools)
        check_visible_devices(context, VISIBLE_DEVICES, device_count, "amdgpu_driver")
        inventory = context.finish(
            found=bool(tools) or FACT_AMDGPU_LOADED in context.inventory.facts
        )
        if inventory.stacks:
            from chipdoctor.stacks._hip.archs import probe_targets  # the stack's alone

            probe_targets(context)
        return inventory


def _roots(context: ProbeContext) -> list[str]:
    roots = []
    for variable in ("ROCM_PATH", "ROCM_HOME"):
        value = context.evidence.getenv(variable)
        if value and value.startswith("/"):
            roots.append(value.rstrip("/"))
    roots.append(ROCM_ROOT)
    return list(dict.fromkeys(roots))


def _rocm(context: ProbeContext) -> str | None:
    """The ROCm version; the root it came from (None: no ROCm found)."""
    for root in _roots(context):
        if _version_files(context, root):
            return root
    # NOTE: every ROCm release installs under /opt/rocm-<version>; /opt/rocm is the link to
    # the default one. Without it, the newest versioned root is the one tools find.
    versioned = []
    for name in context.list_dir("/opt"):
        version = version_from_dir(name, "rocm-")
        if version:
            versioned.append((version, f"/opt/{name}"))
    for version, root in sorted(versioned, key=lambda item: _numeric(item[0]), reverse=True):
        if not _version_files(context, root):
            context.component("rocm", version, f"{root} (directory name)")
        return root
    return None


def _rccl(context: ProbeContext, root: str) -> None:
    """RCCL's library version from its file name under the ROCm root: the rccl package installs
    lib/librccl.so.1.0.<ROCm release> (ROCm 6.4.1: librccl.so.1.0.60401; 7.2.0: 1.0.70200)
    beside its librccl.so.1 link. NOTE: that number is the library's, set per ROCm release, not
    the NCCL API version RCCL reports at run time; equal numbers are the same build line."""
    found = library_version(context, [f"{root}/lib"], RCCL_LIBRARY)
    if found is not None:
        context.component("rccl", *found)


def _numeric(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("-", maxsplit=1)[0].split("."))


def _version_files(context: ProbeContext, root: str) -> bool:
    for name in VERSION_FILES:
        path = f"{root}/{name}"
        text = context.read(path)
        version = parse_version_file(text) if text else None
        if version:
            context.component("rocm", strip_build(version), path)
            return True
    return False


def _amdgpu(context: ProbeContext) -> None:
    if is_dir(context.evidence, AMDGPU_MODULE):
        context.inventory.facts[FACT_AMDGPU_LOADED] = "1"
    text = context.read(AMDGPU_VERSION)
    version = parse_version_file(text) if text else None
    if version:
        context.component("amdgpu_driver", version, AMDGPU_VERSION)


def _wsl(context: ProbeContext) -> bool:
    return "microsoft" in context.evidence.platform.release.lower()


def _amd_smi(context: ProbeContext, result: CommandResult) -> None:
    # NOTE: imported here, not at the top: a host without the stack never pays for the parser.
    from chipdoctor.stacks.rocm.amd_smi import parse_amd_smi_version

    info = parse_amd_smi_version(result.stdout + "\n" + result.stderr)
    if info.rocm:
        context.component("rocm", info.rocm, AMD_SMI)
    if info.amdgpu:
        context.component("amdgpu_driver", info.amdgpu, AMD_SMI)
    if info.error or not result.ok:
        _tool_failed(context, "amd-smi", info.error or command_failure(result))


def _rocm_smi(context: ProbeContext, result: CommandResult, table: SmiTable) -> int | None:
    if not result.ok or table.error:
        _tool_failed(context, "rocm-smi", table.error or command_failure(result))
        return None
    if not table.devices:
        reason = "; ".join(table.warnings) or T("its device table is empty")
        _tool_failed(context, "rocm-smi", T("it lists no GPU ({reason})", reason=reason))
        return None
    for device in table.devices:
        name = device.name or device.device_id or table.label or "GPU"
        context.inventory.devices.append(Device("rocm", device.index, name, "N/A"))
    return len(table.devices)


def _tool_failed(context: ProbeContext, tool: str, detail: str) -> None:
    wsl = _wsl(context)
    # NOTE: under WSL the driver is passed through and amdgpu is never loaded, so amd-smi and
    # rocm-smi fail while the GPU works: AMD calls that expected (ROCm/amdsmi#75).
    message = (
        T(
            "`{tool}` failed: {detail}. This is a WSL host, where AMD does not support the SMI "
            "tools; the GPU may still work.",
            tool=tool,
            detail=detail,
        )
        if wsl
        else T(
            "`{tool}` failed: {detail}. The amdgpu driver is not working here, so no GPU can be "
            "used.",
            tool=tool,
            detail=detail,
        )
    )
    context.add(
        f"{tool}-failed",
        Severity.WARNING if wsl else Severity.ERROR,
        ("amdgpu_driver",),
        message,
        _driver_fix(detail),
    )


def _driver_fix(detail: str) -> str:
    if "timed out" in detail or "did not answer" in detail:
        return T("The driver hangs: check `dmesg | grep amdgpu` and reboot the node.")
    return T(
        "Load the kernel driver on the host (`sudo modprobe amdgpu`; if it is missing install "
        "amdgpu-dkms with `amdgpu-install --usecase=dkms` and reboot); inside a container, "
        "pass --device /dev/kfd --device /dev/dri ({url}).",
        url=DOCKER_DOCS,
    )
