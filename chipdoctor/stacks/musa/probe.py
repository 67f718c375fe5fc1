"""Moore Threads MUSA: torch_musa, the MUSA toolkit, the driver and GPUs from ``mthreads-gmi``,
and ``MUSA_VISIBLE_DEVICES``.

Paths, formats and the facts behind every finding: docs/matrix-sources/musa.md.
"""

from __future__ import annotations

from types import ModuleType

from chipdoctor.evidence.base import Evidence
from chipdoctor.i18n import T
from chipdoctor.model import Device, Inventory, Severity
from chipdoctor.probes.base import ProbeContext, command_failure
from chipdoctor.stacks.musa.facts import (
    FACT_MCCL,
    FACT_MCCL_DIRS,
    FACT_TOOLKIT_HOME,
    SDK_DOWNLOAD,
)

MUSA_ROOT = "/usr/local/musa"
GMI = "mthreads-gmi"
VERSION_QUERY = "musa_version_query"
VISIBLE_VARIABLE = "MUSA_VISIBLE_DEVICES"


class MusaProbe:
    name = "musa"

    def collect(self, evidence: Evidence) -> Inventory:
        context = ProbeContext("musa", evidence)
        torch_musa = evidence.python.package("torch_musa")
        if torch_musa:
            context.component("torch_musa", torch_musa, "package metadata: torch-musa")
        found = _toolkit(context) or context.inventory.version("musa_toolkit")
        if torch_musa or found:
            _mccl(context)
        gpu_count = _gmi(context, relevant=bool(torch_musa or found))
        if torch_musa or found or gpu_count is not None:
            _visible_devices(context, gpu_count)
        return context.finish()


def _parsers() -> ModuleType:
    """The output parsers, imported when there is output to parse: a host without the stack
    never pays for them."""
    from chipdoctor.stacks.musa import parsers

    return parsers


def _toolkit(context: ProbeContext) -> str | None:
    """The first toolkit root among $MUSA_HOME and /usr/local/musa, with its version."""
    for home in context.homes("MUSA_HOME", MUSA_ROOT):
        path = f"{home}/version.json"
        text = context.read(path)
        if text is None and context.list_dir(home) == []:
            continue
        context.inventory.facts[FACT_TOOLKIT_HOME] = home
        version = _parsers().parse_toolkit_version(text) if text is not None else None
        if version:
            context.component("musa_toolkit", version, path)
        elif text is not None:
            context.add(
                "toolkit-version-unreadable",
                Severity.WARNING,
                ("musa_toolkit",),
                T(
                    "{path} holds no musa_toolkits version; the MUSA toolkit version is unknown.",
                    path=path,
                ),
                T("Reinstall the MUSA toolkit of your MUSA SDK ({url}).", url=SDK_DOWNLOAD),
            )
        elif not _query(context):
            context.add(
                "toolkit-version-unknown",
                Severity.INFO,
                ("musa_toolkit",),
                T(
                    "{home} holds a MUSA toolkit without version.json, and musa_version_query "
                    "gave no version; its pairing with torch_musa cannot be checked.",
                    home=home,
                ),
                T("Run `musa_version_query` and compare with the torch_musa release notes."),
            )
        return home
    _query(context)
    return None


def _mccl(context: ProbeContext) -> None:
    """Where MCCL (`libmccl.so*`) lies: torch_musa looks in the toolkit root's lib/
    ($MUSA_HOME, else /usr/local/musa). Judged only where such a lib/ was seen holding files:
    a toolkit known only from musa_version_query may live elsewhere."""
    seen = []
    for home in context.homes("MUSA_HOME", MUSA_ROOT):
        folder = f"{home}/lib"
        names = context.list_dir(folder)
        mccl = sorted(n for n in names if n.startswith("libmccl.so"))
        if mccl:
            context.inventory.facts[FACT_MCCL] = f"{folder}/{mccl[0]}"
            return
        if names:
            seen.append(folder)
    if seen:
        context.inventory.facts[FACT_MCCL] = ""
        context.inventory.facts[FACT_MCCL_DIRS] = " ".join(seen)


def _query(context: ProbeContext) -> bool:
    """``musa_version_query``, where no version.json says which toolkit is installed."""
    result = context.run(VERSION_QUERY)
    version = (
        _parsers().parse_toolkit_version(result.stdout)
        if result is not None and result.ok
        else None
    )
    if version:
        context.component("musa_toolkit", version, VERSION_QUERY)
    return version is not None


def _gmi(context: ProbeContext, *, relevant: bool) -> int | None:
    """Driver version and GPUs from ``mthreads-gmi``; the number of GPUs, None if unknown."""
    result = context.run(GMI)
    if result is None:
        if relevant:
            _gmi_missing(context)
        return None
    info = _parsers().parse_mthreads_gmi(
        result.stdout + ("\n" + result.stderr if not result.ok else "")
    )
    if not result.ok or info.error:
        detail = (
            command_failure(result)
            if not result.ok
            else T("`mthreads-gmi` printed no GPU table but {error!r}", error=info.error)
        )
        _gmi_failed(context, detail)
        return None
    if info.driver_version:
        context.component("musa_driver", info.driver_version, GMI)
    for gpu in info.gpus:
        # NOTE: mthreads-gmi's table has no health column.
        context.inventory.devices.append(Device("musa", gpu.index, gpu.name, "N/A"))
    if not info.gpus:
        context.add(
            "no-gpus",
            Severity.WARNING,
            ("musa_driver",),
            T(
                "mthreads-gmi (driver {driver}) lists no GPU.",
                driver=info.driver_version or T("unknown"),
            ),
            T(
                "Check that the GPUs are seated and the driver sees them (`lsmod | grep mtgpu`); "
                "in a container pass them with --env MTHREADS_VISIBLE_DEVICES=all."
            ),
        )
    return len(info.gpus)


def _gmi_missing(context: ProbeContext) -> None:
    context.add(
        "mthreads-gmi-missing",
        Severity.INFO,
        ("musa_driver",),
        T(
            "mthreads-gmi is not installed here, so the MUSA driver version and the GPUs "
            "cannot be checked (containers often lack it)."
        ),
        T(
            "On the host install the MUSA driver of your MUSA SDK ({url}); in a "
            "container copy or mount the host's mthreads-gmi (`which mthreads-gmi`).",
            url=SDK_DOWNLOAD,
        ),
    )


def _gmi_failed(context: ProbeContext, detail: str) -> None:
    context.add(
        "mthreads-gmi-failed",
        Severity.ERROR,
        ("musa_driver",),
        T(
            "{detail}. The MUSA driver is not working, so no MUSA GPU can be used.",
            detail=detail,
        ),
        T(
            "Check that the MUSA driver is loaded on the host (`lsmod | grep mtgpu`; "
            "reinstall the driver of your MUSA SDK, {url}, and reboot).",
            url=SDK_DOWNLOAD,
        ),
    )


def _visible_devices(context: ProbeContext, gpu_count: int | None) -> None:
    """MUSA_VISIBLE_DEVICES as GPU numbers: empty, or naming GPUs mthreads-gmi does not list.

    Other forms (UUIDs) are left alone: no Moore Threads source says how they are read.
    """
    value = context.evidence.getenv(VISIBLE_VARIABLE)
    if value is None:
        return
    pieces = [piece.strip() for piece in value.split(",")]
    if value.strip() and not all(p.isascii() and p.isdigit() for p in pieces):
        return
    numbers = [int(p) for p in pieces if p]
    beyond = [n for n in numbers if gpu_count is not None and n >= gpu_count]
    if numbers and not beyond:
        return
    usable = [n for n in numbers if n not in beyond]
    message = (
        T("{variable} is set but empty, so it names no GPU.", variable=VISIBLE_VARIABLE)
        if not numbers
        else T(
            "{variable}={value!r} names GPU {absent}, but mthreads-gmi lists {count} GPU(s).",
            variable=VISIBLE_VARIABLE,
            value=value,
            absent=", ".join(str(n) for n in beyond),
            count=gpu_count,
        )
    )
    context.add(
        "visible-devices",
        Severity.WARNING,
        ("musa_driver",),
        message,
        f"export {VISIBLE_VARIABLE}=" + ",".join(str(n) for n in usable)
        if usable
        else f"unset {VISIBLE_VARIABLE}",
    )
