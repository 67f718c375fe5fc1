"""Huawei Ascend: NPU driver and firmware, CANN (toolkit, kernels, NNAE, NNAL), torch_npu,
devices from `npu-smi info`, and the environment `set_env.sh` is supposed to set up.

Paths and file formats: docs/stacks/ascend.md, which cites the vendor's documents.
"""

from __future__ import annotations

from dataclasses import dataclass

from chipdoctor.evidence.base import Evidence, UnreadableError
from chipdoctor.i18n import T, join
from chipdoctor.model import Device, Inventory, Severity
from chipdoctor.parsers.keyvalue import get_ci, parse_key_values, parse_version_cfg
from chipdoctor.probes.base import ProbeContext, command_failure
from chipdoctor.rules.stack_packages import required_name
from chipdoctor.stacks.ascend.facts import (
    ASCEND_ROOT,
    ATB_USERS,
    CANN_INSTALL_INFO,
    DRIVER_INFO,
    DRIVER_PACKAGE,
    ECOSYSTEM,
    FACT_ATB_USERS,
    FACT_DRIVER_FW_RANGE,
    FACT_DRIVER_INFO_SOURCE,
    FACT_DRIVER_INNER,
    FACT_FIRMWARE_DRV_RANGE,
    FACT_PACKAGE,
    FACT_SET_ENV,
    FACT_TOOLKIT_COMPATIBLE,
    FACT_TOOLKIT_SOURCE,
    FACT_VLLM_ASCEND_PINS,
    FIRMWARE_INFO,
    NPU_SMI,
    VISIBLE_DEVICES,
)
from chipdoctor.versions import InvalidVersion, parse_vendor


@dataclass(frozen=True)
class Toolkit:
    home: str  # e.g. /usr/local/Ascend/ascend-toolkit/latest or /usr/local/Ascend/cann-8.5.0
    root: str  # the install root holding it, e.g. /usr/local/Ascend
    version: str
    source: str
    compatible_version: str = ""


class AscendProbe:
    name = "ascend"

    def collect(self, evidence: Evidence) -> Inventory:
        context = ProbeContext("ascend", evidence)
        arches = _arch_dirs(evidence.platform.machine)
        torch_npu = evidence.python.package("torch_npu")
        if torch_npu:
            context.component("torch_npu", torch_npu, "package metadata: torch_npu")
        users = [f"{n} {v}" for n in ATB_USERS if (v := evidence.python.package(n))]
        if users:
            context.inventory.facts[FACT_ATB_USERS] = ", ".join(users)
        _ecosystem(context)
        _driver(context)
        _firmware(context)
        roots = _install_roots(context)
        toolkit = _toolkit(context, roots, arches)
        if toolkit is not None:
            context.component("cann", toolkit.version, toolkit.source)
            context.inventory.facts[FACT_TOOLKIT_SOURCE] = toolkit.source
            if toolkit.compatible_version:
                context.inventory.facts[FACT_TOOLKIT_COMPATIBLE] = toolkit.compatible_version
            _kernels(context, toolkit, arches)
            _hccl(context, toolkit)
        _nnae(context, roots, arches)
        _nnal(context, roots)
        device_count = _npu_smi(context)
        if toolkit is not None:
            _environment(context, toolkit, torch_npu is not None)
        _visible_devices(context, device_count)
        return context.finish()


def _ecosystem(context: ProbeContext) -> None:
    """The versions of the packages the ecosystem tables judge, and which stack packages
    vllm-ascend's METADATA pins (so the tables only speak where the metadata is silent)."""
    evidence = context.evidence
    facts = context.inventory.facts
    for name in ECOSYSTEM:
        version = evidence.python.package(name)
        if version:
            facts[FACT_PACKAGE.format(name=name)] = version
    if evidence.python.package("vllm-ascend"):
        lines = evidence.requires_dist().get("vllm-ascend")
        if lines:
            names = {pin for line in lines if (pin := required_name(line))}
            facts[FACT_VLLM_ASCEND_PINS] = " ".join(sorted(names))


def _arch_dirs(machine: str) -> tuple[str, ...]:
    machine = machine.lower()
    if machine in ("aarch64", "arm64"):
        return ("aarch64-linux",)
    if machine in ("x86_64", "amd64"):
        return ("x86_64-linux",)
    return ("aarch64-linux", "x86_64-linux")


def _driver(context: ProbeContext) -> None:
    text = context.read(DRIVER_INFO)
    if text is None:
        return
    info = parse_key_values(text)
    version = get_ci(info, "Version") or get_ci(info, "package_version")
    if not version:
        context.add(
            "driver-version-unreadable",
            Severity.WARNING,
            ("ascend_driver",),
            T(
                "{path} exists but has no Version= line; the driver version is unknown.",
                path=DRIVER_INFO,
            ),
            T("Reinstall the NPU driver package ({package}).", package=DRIVER_PACKAGE),
        )
        return
    context.component("ascend_driver", version, DRIVER_INFO)
    facts = context.inventory.facts
    facts[FACT_DRIVER_INFO_SOURCE] = DRIVER_INFO
    inner = get_ci(info, "Innerversion")
    if inner:
        facts[FACT_DRIVER_INNER] = inner
    fw_range = get_ci(info, "compatible_version_fw")
    if fw_range:
        facts[FACT_DRIVER_FW_RANGE] = fw_range


def _firmware(context: ProbeContext) -> None:
    text = context.read(FIRMWARE_INFO)
    if text is None:
        return
    info = parse_key_values(text)
    version = get_ci(info, "Version")
    if version:
        context.component("ascend_firmware", version, FIRMWARE_INFO)
    drv_range = get_ci(info, "compatible_version_drv")
    if drv_range:
        context.inventory.facts[FACT_FIRMWARE_DRV_RANGE] = drv_range


def _install_roots(context: ProbeContext) -> list[str]:
    """Where CANN may be installed: the recorded install path, the default, a user install."""
    roots = []
    text = context.read(CANN_INSTALL_INFO)
    if text:
        path = get_ci(parse_key_values(text), "Install_Path")
        if path:
            roots.append(path.rstrip("/") or "/")
    roots.append(ASCEND_ROOT)
    home = context.evidence.getenv("HOME")
    if home and home.startswith("/"):
        roots.append(f"{home.rstrip('/')}/Ascend")
    return list(dict.fromkeys(roots))


def _toolkit_homes(context: ProbeContext, roots: list[str]) -> list[tuple[str, str]]:
    """(home, root) candidates, the one the environment names first."""
    homes: list[tuple[str, str]] = []
    for variable in ("ASCEND_TOOLKIT_HOME", "ASCEND_HOME_PATH"):
        value = context.evidence.getenv(variable)
        if value and value.startswith("/"):
            home = value.rstrip("/")
            homes.append((home, _root_of(home)))
    for root in roots:
        homes.append((f"{root}/ascend-toolkit/latest", root))
        homes.append((f"{root}/cann", root))
        # NOTE: CANN 8.5+ installs under <root>/cann-<version> (Ascend cann-container-image).
        versioned = [name for name in context.list_dir(root) if name.startswith("cann-")]
        for name in sorted(versioned, key=_cann_dir_key, reverse=True):
            homes.append((f"{root}/{name}", root))
    return list(dict.fromkeys(homes))


def _cann_dir_key(name: str) -> tuple[int, object]:
    try:
        return (1, parse_vendor(name[len("cann-") :]))
    except InvalidVersion:
        return (0, name)


def _root_of(home: str) -> str:
    for marker in ("/ascend-toolkit/", "/cann-", "/cann"):
        index = home.find(marker)
        if index > 0:
            return home[:index]
    return home.rsplit("/", 1)[0] or "/"


def _toolkit(context: ProbeContext, roots: list[str], arches: tuple[str, ...]) -> Toolkit | None:
    for home, root in _toolkit_homes(context, roots):
        for arch in arches:
            path = f"{home}/{arch}/ascend_toolkit_install.info"
            text = context.read(path)
            if text is None:
                continue
            info = parse_key_values(text)
            version = get_ci(info, "version")
            if version:
                compatible = get_ci(info, "compatible_version") or ""
                return Toolkit(home, root, version, path, compatible)
        # NOTE: version.cfg records `[<inner build>:<public version>]` (CANN 8.0 and later).
        path = f"{home}/version.cfg"
        text = context.read(path)
        if text:
            version = parse_version_cfg(text).get("toolkit_running_version")
            if version:
                return Toolkit(home, root, version, path)
    return None


def _kernels(context: ProbeContext, toolkit: Toolkit, arches: tuple[str, ...]) -> None:
    for arch in arches:
        # CANN 8.5 and later: the ops package (Ascend-cann-<chip>-ops) replaces kernels.
        path = f"{toolkit.home}/{arch}/ascend_ops_install.info"
        text = context.read(path)
        version = get_ci(parse_key_values(text), "version") if text else None
        if version:
            context.component("cann_kernels", version, path)
            return
    path = f"{toolkit.home}/opp_kernel/version.info"
    text = context.read(path)
    if text:
        version = get_ci(parse_key_values(text), "version_dir")
        if version:
            context.component("cann_kernels", version, path)


def _hccl(context: ProbeContext, toolkit: Toolkit) -> None:
    """HCCL, the collective library CANN ships, as the toolkit's version.cfg records it:
    `hccl_running_version=[<inner build>:<CANN version>]`. NOTE: published `cat
    <toolkit>/version.cfg` outputs hold the line for CANN 8.0.0, 8.0.T63, 8.1.RC1 and 8.2.RC2
    (shared/reference/ascend.md 3.2; a MindIE 2.1.RC2 image's version notes); no published
    CANN 8.5+ (cann-<version>) install shows one, so HCCL has no version there."""
    path = f"{toolkit.home}/version.cfg"
    text = context.read(path)
    version = parse_version_cfg(text).get("hccl_running_version") if text else None
    if version:
        context.component("hccl", version, path)


def _nnae(context: ProbeContext, roots: list[str], arches: tuple[str, ...]) -> None:
    for root in roots:
        base = f"{root}/nnae/latest"
        for path in (
            f"{base}/ascend_nnae_install.info",
            *(f"{base}/{a}/ascend_nnae_install.info" for a in arches),
        ):
            text = context.read(path)
            version = get_ci(parse_key_values(text), "version") if text else None
            if version:
                context.component("nnae", version, path)
                return


def _nnal(context: ProbeContext, roots: list[str]) -> None:
    for root in roots:
        path = f"{root}/nnal/atb/latest/version.info"
        text = context.read(path)
        if not text:
            continue
        info = parse_key_values(text)
        version = get_ci(info, "Ascend-cann-atb") or get_ci(info, "version")
        if version:
            context.component("nnal", version, path)
            return


def _npu_smi(context: ProbeContext) -> int | None:
    """Devices and driver version from `npu-smi info`; the number of devices, None if unknown."""
    result = context.run(NPU_SMI)
    if result is None:
        return None
    # NOTE: imported here, not at the top: a host without the stack never pays for the parser.
    from chipdoctor.stacks.ascend.npu_smi import parse_npu_smi_info

    info = parse_npu_smi_info(result.stdout + ("\n" + result.stderr if not result.ok else ""))
    if not result.ok or info.error or (not info.chips and not info.driver_version):
        detail = info.error or command_failure(result)
        context.add(
            "npu-smi-failed",
            Severity.ERROR,
            ("ascend_driver",),
            T(
                "`npu-smi info` failed: {detail}. The NPU driver is not working, so no NPU "
                "can be used.",
                detail=detail,
            ),
            _npu_smi_fix(detail),
        )
        return None
    if info.driver_version:
        context.component("ascend_driver", info.driver_version, NPU_SMI)
    for index, chip in enumerate(info.chips):
        context.inventory.devices.append(Device("ascend", index, chip.name, chip.health))
        if chip.health.upper() != "OK":
            context.add(
                "device-health",
                Severity.WARNING,
                ("ascend_driver",),
                T(
                    "NPU {npu} chip {chip} ({name}) reports health {health}.",
                    npu=chip.npu_id,
                    chip=chip.chip_id,
                    name=chip.name,
                    health=chip.health,
                ),
                T(
                    "Inspect it with `npu-smi info -t health -i {npu} -c {chip}`.",
                    npu=chip.npu_id,
                    chip=chip.chip_id,
                ),
            )
    return len(info.chips)


def _npu_smi_fix(detail: str) -> str:
    # NOTE: -8005 and -8020 meanings: vllm-ascend #2698 and Ascend/cann-container-image #46.
    if "-8005" in detail or "-8020" in detail:
        return T(
            "The device is already held by another container or process: stop it, or start this "
            "container with only the --device=/dev/davinciN it owns (plus /dev/davinci_manager, "
            "/dev/devmm_svm, /dev/hisi_hdc)."
        )
    if "timed out" in detail or "did not answer" in detail:
        return T("The driver hangs: check `dmesg` for NPU driver errors and reboot the node.")
    return T(
        "Check that the NPU driver is installed and loaded on the host (reinstall "
        "{package} and reboot); inside a container, "
        "mount /usr/local/Ascend/driver and the /dev/davinci* devices.",
        package=DRIVER_PACKAGE,
    )


def _environment(context: ProbeContext, toolkit: Toolkit, torch_npu_installed: bool) -> None:
    env = context.evidence.getenv
    set_env = _set_env_script(context, toolkit)
    context.inventory.facts[FACT_SET_ENV] = set_env
    severity = Severity.ERROR if torch_npu_installed else Severity.WARNING
    consequence = (
        T("`import torch_npu` fails with `libhccl.so: cannot open shared object file`")
        if torch_npu_installed
        else T("programs cannot find the CANN libraries")
    )
    home_path = env("ASCEND_HOME_PATH")
    if home_path and not _names_a_directory(context.evidence, home_path):
        context.add(
            "env-not-sourced",
            severity,
            ("cann",),
            T(
                "ASCEND_HOME_PATH={path} does not exist, so {consequence}.",
                path=home_path,
                consequence=consequence,
            ),
            f"source {set_env}",
        )
        return
    missing = _missing_environment(context, toolkit, home_path)
    if missing:
        context.add(
            "env-not-sourced",
            severity,
            ("cann",),
            T(
                "CANN {version} is installed at {home}, but its environment is not set up "
                "(missing: {missing}), so {consequence}.",
                version=toolkit.version,
                home=toolkit.home,
                missing=join(missing, ", "),
                consequence=consequence,
            ),
            T(
                "source {script}   # add it to ~/.bashrc, or to the job script before python "
                "starts",
                script=set_env,
            ),
        )
    _nnal_environment(context, toolkit)


def _missing_environment(
    context: ProbeContext, toolkit: Toolkit, home_path: str | None
) -> list[str]:
    """What `set_env.sh` would have set that the environment lacks: CANN's variables, and its
    and the driver's libraries in LD_LIBRARY_PATH."""
    env = context.evidence.getenv
    missing: list[str] = [
        name
        for name in ("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME", "ASCEND_OPP_PATH")
        if not env(name)
    ]
    library_path = [p.rstrip("/") for p in (env("LD_LIBRARY_PATH") or "").split(":") if p]
    homes = {toolkit.home, f"{toolkit.root}/ascend-toolkit/latest", f"{toolkit.root}/cann"}
    homes.update(h.rstrip("/") for h in (env("ASCEND_TOOLKIT_HOME"), home_path) if h)
    if not any(p.startswith(h) and "lib64" in p for p in library_path for h in homes):
        missing.append(T("{path} in LD_LIBRARY_PATH", path=f"{toolkit.home}/lib64"))
    driver_lib = f"{ASCEND_ROOT}/driver/lib64"
    if context.inventory.version("ascend_driver") and not any(
        p.startswith(driver_lib) for p in library_path
    ):
        missing.append(T("{path} in LD_LIBRARY_PATH", path=driver_lib))
    return missing


def _nnal_environment(context: ProbeContext, toolkit: Toolkit) -> None:
    """NNAL (ATB) is set up by its own set_env.sh, the one that sets ATB_HOME_PATH."""
    if context.inventory.version("nnal") and not context.evidence.getenv("ATB_HOME_PATH"):
        context.add(
            "nnal-not-sourced",
            Severity.WARNING,
            ("nnal",),
            T(
                "NNAL (ATB) is installed but ATB_HOME_PATH is not set, so code that uses ATB "
                "fails with `libatb.so: cannot open shared object file`."
            ),
            f"source {toolkit.root}/nnal/atb/set_env.sh",
        )


def _names_a_directory(evidence: Evidence, path: str) -> bool:
    """Whether an environment path names a directory CANN can use: a relative one does not
    (it depends on where the job starts), nor one the system cannot open (too long)."""
    if not path.startswith("/"):
        return False
    try:
        return evidence.list_dir(path.rstrip("/") or "/") is not None
    except UnreadableError:
        return False


def _set_env_script(context: ProbeContext, toolkit: Toolkit) -> str:
    candidates = [
        f"{toolkit.root}/ascend-toolkit/set_env.sh",
        f"{toolkit.home}/set_env.sh",
        f"{toolkit.home.rsplit('/', 1)[0]}/set_env.sh",
    ]
    for candidate in dict.fromkeys(candidates):
        if context.read(candidate) is not None:
            return candidate
    return candidates[0]


def parse_visible_devices(value: str) -> tuple[list[int], str]:
    """The logical ids the Ascend runtime takes from ASCEND_RT_VISIBLE_DEVICES, and the rest.

    NOTE: per the CANN environment-variable reference the runtime reads ascending ids and stops
    at the first bad character or invalid id: `1, 2,3` -> [1], `1,3,8` on 8 devices -> [1, 3].
    """
    ids: list[int] = []
    text = value.strip()
    position = 0
    for piece in text.split(","):
        if not (piece.isascii() and piece.isdigit()) or (ids and int(piece) <= ids[-1]):
            break
        ids.append(int(piece))
        position += len(piece) + 1
    return ids, text[position:]


def _visible_devices(context: ProbeContext, device_count: int | None) -> None:
    value = context.evidence.getenv(VISIBLE_DEVICES)
    if value is None:
        return
    ids, ignored = parse_visible_devices(value)
    if ignored:
        context.add(
            "visible-devices",
            Severity.WARNING if ids else Severity.ERROR,
            ("ascend_driver",),
            T(
                "{variable}={value!r}: the runtime stops reading at {ignored!r} and uses only "
                "{ids}.",
                variable=VISIBLE_DEVICES,
                value=value,
                ignored=ignored,
                ids=ids,
            )
            if ids
            else T(
                "{variable}={value!r}: the runtime stops reading at {ignored!r} and sees no "
                "device at all.",
                variable=VISIBLE_DEVICES,
                value=value,
                ignored=ignored,
            ),
            T(
                "export {variable}={ids}   # comma-separated ascending ids, no spaces",
                variable=VISIBLE_DEVICES,
                ids=",".join(str(i) for i in ids or [0]),
            ),
        )
    if device_count is None:
        return
    absent = [i for i in ids if i >= device_count]
    if absent:
        valid = [i for i in ids if i < device_count] or list(range(device_count))
        context.add(
            "visible-devices",
            Severity.ERROR,
            ("ascend_driver",),
            T(
                "{variable}={value} names device {absent}, but npu-smi shows {count} device(s) "
                "(ids 0-{last}).",
                variable=VISIBLE_DEVICES,
                value=value,
                absent=", ".join(map(str, absent)),
                count=device_count,
                last=device_count - 1,
            ),
            f"export {VISIBLE_DEVICES}={','.join(str(i) for i in valid)}",
        )
