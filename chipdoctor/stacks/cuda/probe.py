"""NVIDIA CUDA: the driver (``nvidia-smi``, ``/proc/driver/nvidia/version``), the highest CUDA it
supports, the CUDA toolkit on disk, cuDNN, the GPUs, and ``CUDA_VISIBLE_DEVICES``.

Paths and file formats: docs/stacks/cuda.md, which cites where each one comes from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chipdoctor.evidence.base import CommandResult, Evidence, UnreadableError
from chipdoctor.i18n import T, join
from chipdoctor.model import Device, Inventory, Severity
from chipdoctor.probes.base import ProbeContext, command_failure
from chipdoctor.probes.libfiles import library_version
from chipdoctor.stacks.cuda.facts import (
    CUDNN_PACKAGES,
    DEFAULT_CUDA_HOME,
    DRIVER_DOWNLOAD,
    FACT_CAPABILITY,
    FACT_CAPABILITY_SOURCE,
    FACT_GPU_COUNT,
    FACT_OTHER_EXTENSION,
    FACT_TORCH_LIBRARY,
    FACT_TORCH_NATIVE,
    FACT_TORCH_PORTABLE,
    HOME_VARIABLES,
    NCCL_LIBRARY,
    NCCL_PACKAGES,
    NCCL_SYSTEM_DIRS,
    NVIDIA_SMI,
    OTHER_EXTENSIONS,
    PROC_VERSION,
    QUERY_CAPABILITY,
    TORCH_CUDA_LIBRARY,
    VISIBLE_DEVICES,
)

if TYPE_CHECKING:
    from chipdoctor.stacks.cuda.nvidia_smi import NvidiaSmiFailure, NvidiaSmiInfo


class CudaProbe:
    name = "cuda"

    def collect(self, evidence: Evidence) -> Inventory:
        context = ProbeContext("cuda", evidence)
        module = _proc_version(context)
        smi_present = _nvidia_smi(context, module)
        if module:
            # The kernel module's version stands in when nvidia-smi is absent or failing.
            context.component("nvidia_driver", module, PROC_VERSION)
        queried = _capabilities(context)
        homes = _toolkit_homes(context)
        toolkit_home = _toolkit(context, homes)
        _cudnn(context, homes, evidence.platform.machine)
        for extension in OTHER_EXTENSIONS:
            if evidence.python.package(extension):
                context.inventory.facts[FACT_OTHER_EXTENSION] = extension
                break
        inventory = context.inventory
        # NOTE: cuDNN alone (a pip dependency of CUDA torch wheels) or a CUDA_HOME pointing
        # nowhere do not make a CUDA host: every x86_64 `pip install torch` brings the former.
        if (
            inventory.version("nvidia_driver")
            or smi_present
            or queried
            or toolkit_home
            or any(f.id != "cuda.cuda-home-missing" for f in inventory.findings)
        ):
            inventory.stacks.append("cuda")
            # NOTE: only on a CUDA host: elsewhere the system library directories' listings
            # would cost every check, and every snapshot would record them, for nothing.
            _nccl(context, homes, evidence.platform.machine)
            _visible_devices(context)
            _torch_device_code(context)
            if any(key.startswith(FACT_CAPABILITY) for key in inventory.facts):
                from chipdoctor.stacks.cuda import extensions  # only where GPUs are known

                extensions.probe(context)
        else:
            inventory.components.clear()
            inventory.findings.clear()
        return inventory


def _nvidia_smi(context: ProbeContext, module: str | None) -> bool:
    """Driver, CUDA driver API and GPUs from ``nvidia-smi``; whether the tool is installed.

    `module` is the kernel module's version from /proc, named in failure messages.
    """
    result = context.run(NVIDIA_SMI)
    if result is None:
        return False
    # NOTE: imported here, not at the top: a host without the stack never pays for the parser.
    from chipdoctor.stacks.cuda.nvidia_smi import parse_nvidia_smi

    info = parse_nvidia_smi(result.stdout + "\n" + result.stderr)
    if info.driver_version:
        context.component("nvidia_driver", info.driver_version, NVIDIA_SMI)
    if info.cuda_version:
        context.component("cuda_driver_api", info.cuda_version, NVIDIA_SMI)
    _gpus(context, info)
    if info.failure is not None and info.failure.kind == "device-unreachable" and info.gpus:
        _gpu_unreachable(context, len(info.gpus), info.failure)
    elif info.failure is not None:
        _smi_failure(context, info.failure, module)
    elif not info.gpus and (not result.ok or not info.driver_version):
        _smi_broken(context, result)
    return True


def _gpus(context: ProbeContext, info: NvidiaSmiInfo) -> None:
    """Each GPU as a device, a warning for each unhealthy one, and how many CUDA sees."""
    from chipdoctor.stacks.cuda import nvidia_smi

    for gpu in info.gpus:
        context.inventory.devices.append(Device("cuda", gpu.index, gpu.name, gpu.health))
        if gpu.health != nvidia_smi.HEALTH_OK:
            context.add(
                "device-health",
                Severity.WARNING,
                ("nvidia_driver",),
                T(
                    "GPU {index} ({name}, {bus}) shows {health!r} in nvidia-smi: the driver "
                    "cannot read it, and work on it may fail.",
                    index=gpu.index,
                    name=gpu.name,
                    bus=gpu.bus_id,
                    health=gpu.health,
                ),
                T(
                    "Inspect it with `nvidia-smi -q -i {index}` and `dmesg | grep -i xid`; "
                    "reset it (`nvidia-smi -r -i {index}`, no process may use it) or reboot.",
                    index=gpu.index,
                ),
            )
    if info.mig_devices:
        # NOTE: with MIG enabled CUDA enumerates MIG devices, not GPUs: ordinals are not checked.
        context.inventory.facts[FACT_GPU_COUNT] = "mig"
    elif info.gpus:
        context.inventory.facts[FACT_GPU_COUNT] = str(len(info.gpus))


def _gpu_unreachable(context: ProbeContext, count: int, failure: NvidiaSmiFailure) -> None:
    context.add(
        "device-health",
        Severity.WARNING,
        ("nvidia_driver",),
        T(
            "nvidia-smi lists {count} GPU(s) but says: {message}",
            count=count,
            message=failure.message,
        ),
        T(
            "Check `dmesg | grep -i xid` for the GPU that fell off the bus; reseat or replace "
            "it, or reboot the node."
        ),
    )


def _smi_failure(context: ProbeContext, failure: NvidiaSmiFailure, module: str | None) -> None:
    versions: list[str] = []
    if module:
        versions.append(T("kernel module {version} in {path}", version=module, path=PROC_VERSION))
    if failure.library_version:
        versions.append(T("NVML library {version}", version=failure.library_version))
    error = failure.message.rstrip(".")
    consequence = _FAILURE_CONSEQUENCE.get(failure.kind, _NO_GPU)
    message = (
        T(
            "nvidia-smi failed: {error} ({versions}). {consequence}",
            error=error,
            versions=join(versions, ", "),
            consequence=consequence,
        )
        if versions
        else T("nvidia-smi failed: {error}. {consequence}", error=error, consequence=consequence)
    )
    context.add(
        "nvidia-smi-failed",
        Severity.ERROR,
        ("nvidia_driver",),
        message,
        _FAILURE_FIX.get(failure.kind, _FAILURE_FIX["no-driver"]),
    )


def _smi_broken(context: ProbeContext, result: CommandResult) -> None:
    if result.timed_out:
        fix = T("The driver hangs: check `dmesg | grep -i -e nvrm -e xid` and reboot the node.")
    else:
        fix = _FAILURE_FIX["no-driver"]
    context.add(
        "nvidia-smi-failed",
        Severity.ERROR,
        ("nvidia_driver",),
        T(
            "{failure}; no GPU table came back. {consequence}",
            failure=command_failure(result),
            consequence=_NO_GPU,
        ),
        fix,
    )


_NO_GPU = T("No CUDA program (PyTorch included) can use the GPU until this is fixed.")
_FAILURE_CONSEQUENCE = {
    "no-driver": T(
        "The NVIDIA kernel module is not loaded, so no CUDA program (PyTorch included) can use "
        "the GPU until this is fixed."
    ),
    "version-mismatch": T(
        "The loaded kernel module and the installed user-space driver libraries are different "
        "versions (typically a driver upgrade without a reboot): {consequence}",
        consequence=_NO_GPU,
    ),
    "no-devices": T(
        "The driver is loaded but initialised no GPU. {consequence}", consequence=_NO_GPU
    ),
}
# NOTE: fixes follow NVIDIA's messages and the maintainers' answers: the mismatch clears with a
# reboot (asokolsky/asokolsky.github.io hardware/nvidia, zzzhouuu/truenas-nvidia-drivers#19);
# "Unknown Error" inside a container after `systemctl daemon-reload` needs the container
# recreated (NVIDIA/nvidia-docker#1730); "No devices were found" is an adapter that failed to
# initialise, logged by NVRM in dmesg (NVIDIA/open-gpu-kernel-modules#862).
_FAILURE_FIX = {
    "no-driver": T(
        "Load the driver (`sudo modprobe nvidia`); if that fails, reinstall the NVIDIA driver "
        "for the running kernel ({url}) and reboot. Inside a container, start it "
        "with `--gpus all` (NVIDIA Container Toolkit).",
        url=DRIVER_DOWNLOAD,
    ),
    "version-mismatch": T(
        "Reboot the node so the kernel module matches the upgraded driver libraries (or unload "
        "and reload the nvidia modules: `sudo rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia "
        "&& sudo modprobe nvidia`); if it persists, reinstall one driver version."
    ),
    "nvml-init": T(
        "Inside a container: recreate it (a `systemctl daemon-reload` on the host detaches "
        "running containers from their GPUs). On the host: check `dmesg | grep -i nvrm` and "
        "reboot."
    ),
    "library-missing": T(
        "Install the NVIDIA driver's user-space libraries (libnvidia-ml.so), or in a container "
        "start it with `--gpus all` so the NVIDIA Container Toolkit mounts them; then run "
        "`sudo ldconfig`."
    ),
    "no-devices": T(
        "Check `dmesg | grep -i nvrm` for RmInitAdapter errors; check that the GPU is "
        "supported by this driver (or the open kernel module), and that the BIOS enables "
        "Above 4G Decoding / Resizable BAR; then reboot."
    ),
    "device-unreachable": T(
        "A GPU fell off the bus: check `dmesg | grep -i xid` (Xid 79), reseat or replace it, "
        "or reboot the node."
    ),
}


def _proc_version(context: ProbeContext) -> str | None:
    """The loaded kernel module's version from /proc, if the driver is loaded."""
    text = context.read(PROC_VERSION)
    if text is None:
        return None
    from chipdoctor.stacks.cuda.nvidia_smi import parse_proc_driver_version

    module = parse_proc_driver_version(text)
    if module is None:
        context.add(
            "driver-version-unreadable",
            Severity.WARNING,
            ("nvidia_driver",),
            T(
                "{path} exists but has no `NVRM version:` line the driver version can be read "
                "from.",
                path=PROC_VERSION,
            ),
            T(
                "Run `cat {path}` and `nvidia-smi` by hand to see what the driver reports.",
                path=PROC_VERSION,
            ),
        )
        return None
    return module.version


def _toolkit_homes(context: ProbeContext) -> list[str]:
    homes: list[str] = []
    for variable in HOME_VARIABLES:
        value = context.evidence.getenv(variable)
        if not value or not value.startswith("/"):
            continue
        home = value.rstrip("/") or "/"
        if not _exists(context, home):
            context.add(
                "cuda-home-missing",
                Severity.WARNING,
                ("cuda",),
                T(
                    "{variable}={value} does not exist, so builds of CUDA extensions "
                    "(torch.utils.cpp_extension, pip packages compiled from source) fail to find "
                    "nvcc and the CUDA headers.",
                    variable=variable,
                    value=value,
                ),
                T(
                    "export {variable}=<the toolkit directory, e.g. {default}>   # or "
                    "unset {variable}",
                    variable=variable,
                    default=DEFAULT_CUDA_HOME,
                ),
            )
            continue
        homes.append(home)
    homes.append(DEFAULT_CUDA_HOME)
    return list(dict.fromkeys(homes))


def _exists(context: ProbeContext, directory: str) -> bool:
    try:
        return context.evidence.list_dir(directory) is not None
    except UnreadableError:
        return True  # it exists; reading its files reports what cannot be read


#: The toolkit's version records, newest first (version.json since CUDA 11.1).
_VERSION_FILES = ("version.json", "version.txt")


def _toolkit(context: ProbeContext, homes: list[str]) -> str | None:
    """The first toolkit found; its version from version.json (11.1+) or version.txt."""
    for home in homes:
        for name in _VERSION_FILES:
            path = f"{home}/{name}"
            text = context.read(path)
            if text is None:
                continue
            # NOTE: the parsers (and their regexes) only where a toolkit is: start-up.
            from chipdoctor.stacks.cuda.cuda_toolkit import parse_version_json, parse_version_txt

            version = (parse_version_json if name == "version.json" else parse_version_txt)(text)
            if version is None:
                context.add(
                    "toolkit-version-unreadable",
                    Severity.WARNING,
                    ("cuda",),
                    T("{path} exists but holds no CUDA version chipdoctor can read.", path=path),
                    T(
                        "Check the toolkit with `{nvcc} --version`; reinstall it if the file is "
                        "damaged.",
                        nvcc=f"{home}/bin/nvcc",
                    ),
                )
                continue
            context.component("cuda", version, path)
            return home
    return None


def _multiarch(machine: str) -> str:
    """The CPU part of the Debian multiarch directory NVIDIA's packages install into."""
    return "aarch64" if machine.lower() in ("aarch64", "arm64") else "x86_64"


def _cudnn(context: ProbeContext, homes: list[str], machine: str) -> None:
    """cuDNN from the pip package PyTorch loads, else from the headers of a system install."""
    python = context.evidence.python
    for package in CUDNN_PACKAGES:
        version = python.package(package)
        if version:
            context.component("cudnn", version, f"package metadata: {package}")
            return
    include_dirs = [f"{home}/include" for home in homes]
    include_dirs.append("/usr/include")
    # NOTE: Debian/Ubuntu packages install cudnn_version_v9.h under the multiarch directory and
    # point /usr/include/cudnn_version.h at it through update-alternatives.
    multiarch = f"/usr/include/{_multiarch(machine)}-linux-gnu"
    include_dirs.append(multiarch)
    for directory in include_dirs:
        names = ["cudnn_version.h"]
        if directory == multiarch:
            names += sorted(
                (n for n in context.list_dir(directory) if n.startswith("cudnn_version_v")),
                reverse=True,
            )
        names.append("cudnn.h")
        for name in names:
            path = f"{directory}/{name}"
            text = context.read(path)
            if not text:
                continue
            from chipdoctor.stacks.cuda.cuda_toolkit import parse_cudnn_header

            version = parse_cudnn_header(text)
            if version:
                context.component("cudnn", version, path)
                return


def _nccl(context: ProbeContext, homes: list[str], machine: str) -> None:
    """NCCL from the pip package PyTorch loads, else from a system install's file name."""
    for package in NCCL_PACKAGES:
        version = context.evidence.python.package(package)
        if version:
            context.component("nccl", version, f"package metadata: {package}")
            return
    directories = [d.format(arch=_multiarch(machine)) for d in NCCL_SYSTEM_DIRS]
    found = library_version(context, [*directories, *(f"{h}/lib64" for h in homes)], NCCL_LIBRARY)
    if found is not None:
        context.component("nccl", *found)


def parse_visible_devices(value: str) -> tuple[list[int], str] | None:
    """The GPU ordinals CUDA takes from CUDA_VISIBLE_DEVICES, and the first entry it stops at.

    NOTE: CUDA reads each entry's leading integer (strtoul-like: `1gpu2` is 1, pytorch/pytorch
    #84879) and stops at the first invalid one, so `0,2,-1,1` exposes only 0 and 2 (CUDA C++
    Programming Guide, environment variables). None for UUID or MIG forms, which are not
    checked here.
    """
    ids: list[int] = []
    for piece in (p.strip() for p in value.split(",")):
        if piece.upper().startswith(("GPU-", "MIG-")):
            return None
        digits = len(piece) - len(piece.lstrip("0123456789"))
        if digits == 0:
            return ids, piece
        ids.append(int(piece[:digits]))
    return ids, ""


def _visible_devices(context: ProbeContext) -> None:
    value = context.evidence.getenv(VISIBLE_DEVICES)
    count_fact = context.inventory.facts.get(FACT_GPU_COUNT)
    if value is None or count_fact is None or count_fact == "mig":
        return
    parsed = parse_visible_devices(value)
    if parsed is None:
        return
    ids, stopped_at = parsed
    count = int(count_fact)
    valid: list[int] = []
    for ordinal in ids:
        if ordinal >= count:
            stopped_at = str(ordinal)
            break
        valid.append(ordinal)
    if not stopped_at:
        return
    every = ",".join(str(i) for i in range(count))
    if not valid:
        context.add(
            "visible-devices",
            Severity.ERROR if stopped_at not in ("", "-1") else Severity.WARNING,
            ("nvidia_driver",),
            T(
                "{variable}={value!r} hides every GPU: CUDA stops at {stopped!r} and nvidia-smi "
                "shows {count} GPU(s) (ids 0-{last}), so torch.cuda.is_available() is False.",
                variable=VISIBLE_DEVICES,
                value=value,
                stopped=stopped_at,
                count=count,
                last=count - 1,
            ),
            T(
                "export {variable}={every}   # or unset {variable}",
                variable=VISIBLE_DEVICES,
                every=every,
            ),
        )
        return
    context.add(
        "visible-devices",
        Severity.WARNING,
        ("nvidia_driver",),
        T(
            "{variable}={value!r}: CUDA stops at {stopped!r} (nvidia-smi shows {count} GPU(s), "
            "ids 0-{last}) and uses only GPU(s) {valid}.",
            variable=VISIBLE_DEVICES,
            value=value,
            stopped=stopped_at,
            count=count,
            last=count - 1,
            valid=", ".join(map(str, valid)),
        ),
        f"export {VISIBLE_DEVICES}={','.join(map(str, valid))}",
    )


def parse_capability_query(text: str) -> dict[int, tuple[str, str]]:
    """index -> (name, compute capability) from `nvidia-smi --query-gpu=index,name,compute_cap
    --format=csv,noheader` (`0, NVIDIA TITAN V, 7.0`, fields joined by ", "); an older driver's
    `Field "compute_cap" is not a valid field to query.` gives nothing."""
    from chipdoctor.stacks.cuda.archs import parse_capability

    found: dict[int, tuple[str, str]] = {}
    for line in text.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 3 or not fields[0].isdigit():
            continue
        if parse_capability(fields[-1]) is None:
            continue
        found[int(fields[0])] = (", ".join(fields[1:-1]), fields[-1])
    return found


def _capabilities(context: ProbeContext) -> bool:
    """Each GPU's compute capability: nvidia-smi's own field, else NVIDIA's table by name;
    whether the query listed GPUs (a GPU host even where the table was not recorded)."""
    facts = context.inventory.facts
    result = context.run(QUERY_CAPABILITY)
    queried = parse_capability_query(result.stdout) if result is not None and result.ok else {}
    listed = {d.index for d in context.inventory.devices if d.stack == "cuda"}
    for index, (name, capability) in queried.items():
        facts[f"{FACT_CAPABILITY}{index}"] = capability
        if not listed:  # the GPU table was not recorded (or failed): the query names them
            from chipdoctor.stacks.cuda.nvidia_smi import HEALTH_OK

            context.inventory.devices.append(Device("cuda", index, name, HEALTH_OK))
    if queried:
        facts[FACT_CAPABILITY_SOURCE] = QUERY_CAPABILITY
        return True
    if not context.inventory.devices:
        return False
    from chipdoctor.stacks.cuda.archs import CUDA_GPUS_URL, capability_of_name, capability_text

    for device in context.inventory.devices:
        by_name = capability_of_name(device.name)
        if by_name is not None:
            facts[f"{FACT_CAPABILITY}{device.index}"] = capability_text(by_name)
            facts[FACT_CAPABILITY_SOURCE] = CUDA_GPUS_URL
    return False


def _torch_device_code(context: ProbeContext) -> None:
    """The cubins and PTX of the installed torch, read from its libtorch_cuda.so (bounded: the
    section headers only). Not recorded (an image, an older snapshot): the rules use the
    published lists instead. A CPU build has no such library."""
    found = context.torch_device_code(TORCH_CUDA_LIBRARY)
    if found is not None:
        path, code = found
        facts = context.inventory.facts
        facts[FACT_TORCH_LIBRARY] = path
        facts[FACT_TORCH_NATIVE] = " ".join(code.native)
        facts[FACT_TORCH_PORTABLE] = " ".join(code.portable)
