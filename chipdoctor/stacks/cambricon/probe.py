"""Cambricon MLU: torch_mlu, Neuware (CNToolkit) with CNNL and CNCL, the MLU driver and cards
from ``cnmon``, and the environment torch_mlu's README asks for.

Paths, file formats and the facts behind every finding: docs/stacks/cambricon.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from chipdoctor.evidence.base import Evidence
from chipdoctor.i18n import T, join
from chipdoctor.model import Device, Inventory, Severity
from chipdoctor.probes.base import ProbeContext, command_failure
from chipdoctor.stacks.cambricon.facts import (
    CNMON,
    CONTAINER_FLAGS,
    DRIVER_PACKAGE,
    NEUWARE_ROOT,
    VISIBLE_VARIABLES,
)


@dataclass(frozen=True)
class Neuware:
    home: str  # e.g. /usr/local/neuware
    version: str | None


class CambriconProbe:
    name = "cambricon"

    def collect(self, evidence: Evidence) -> Inventory:
        context = ProbeContext("cambricon", evidence)
        torch_mlu = evidence.python.package("torch_mlu")
        if torch_mlu:
            context.component("torch_mlu", torch_mlu, "package metadata: torch-mlu")
        neuware = _neuware(context)
        card_count = _cnmon(context, relevant=bool(torch_mlu or neuware))
        if neuware is not None:
            _environment(context, neuware)
        if torch_mlu or neuware or card_count is not None:
            _visible_devices(context, card_count, torch_mlu is not None)
        return context.finish()


def _neuware(context: ProbeContext) -> Neuware | None:
    """The first Neuware install among $NEUWARE_HOME and the default, with its libraries."""
    for home in context.homes("NEUWARE_HOME", NEUWARE_ROOT):
        path = f"{home}/version.txt"
        text = context.read(path)
        libraries = context.list_dir(f"{home}/lib64")
        if text is None and not libraries:
            continue
        # NOTE: the parsers (and their regexes) only where Neuware is: start-up.
        from chipdoctor.stacks.cambricon.neuware import library_version, parse_neuware_version

        version = parse_neuware_version(text) if text is not None else None
        if version:
            context.component("neuware", version, path)
        elif text is not None:
            context.add(
                "neuware-version-unreadable",
                Severity.WARNING,
                ("neuware",),
                T(
                    "{path} exists but holds no 'Neuware Version x.y.z' line; the CNToolkit "
                    "version is unknown.",
                    path=path,
                ),
                T("Reinstall the cntoolkit package (cntoolkit_<version>-1.<distro>_<arch>.deb)."),
            )
        for component, library in (("cnnl", "cnnl"), ("cncl", "cncl")):
            found = library_version(libraries, library)
            if found:
                context.component(component, found, f"{home}/lib64/lib{library}.so.{found}")
        return Neuware(home, version)
    return None


def _cnmon(context: ProbeContext, *, relevant: bool) -> int | None:
    """Driver version and cards from ``cnmon``; the number of cards, None if unknown."""
    result = context.run(CNMON)
    if result is None:
        if relevant:
            context.add(
                "cnmon-missing",
                Severity.INFO,
                ("cambricon_driver",),
                T(
                    "cnmon is not installed here, so the MLU driver version and the cards cannot "
                    "be checked (containers often lack it)."
                ),
                T(
                    "On the host install the MLU driver ({package}); in a container start it "
                    "with {flags}.",
                    package=DRIVER_PACKAGE,
                    flags=CONTAINER_FLAGS,
                ),
            )
        return None
    # NOTE: imported here, not at the top: a host without the stack never pays for the parser.
    from chipdoctor.stacks.cambricon.cnmon import parse_cnmon

    info = parse_cnmon(result.stdout + ("\n" + result.stderr if not result.ok else ""))
    if not result.ok or info.error:
        detail = (
            command_failure(result)
            if not result.ok
            else T("`cnmon` printed no card table but {error!r}", error=info.error)
        )
        context.add(
            "cnmon-failed",
            Severity.ERROR,
            ("cambricon_driver",),
            T("{detail}. The MLU driver is not working, so no MLU can be used.", detail=detail),
            _cnmon_fix(detail),
        )
        return None
    if info.driver_version:
        context.component("cambricon_driver", info.driver_version, CNMON)
    for card in info.cards:
        # NOTE: cnmon's table has no health column (Ecc-Error and Util only).
        context.inventory.devices.append(Device("cambricon", card.index, card.name, "N/A"))
    if not info.cards:
        context.add(
            "no-cards",
            Severity.WARNING,
            ("cambricon_driver",),
            T(
                "cnmon (driver {driver}) lists no MLU card.",
                driver=info.driver_version or T("unknown"),
            ),
            T(
                "Check that the cards are seated and the driver sees them (`lspci -d cabc:`); in a "
                "container pass the devices with {flags}.",
                flags=CONTAINER_FLAGS,
            ),
        )
    return len(info.cards)


def _cnmon_fix(detail: str) -> str:
    if "did not answer" in detail:
        return T("The driver hangs: check `dmesg` for cambricon errors and reboot the node.")
    return T(
        "Check that the MLU driver is installed and loaded on the host (`lsmod | grep "
        "cambricon_drv`; reinstall the {package} package and reboot); in a container "
        "start it with {flags}.",
        package=DRIVER_PACKAGE,
        flags=CONTAINER_FLAGS,
    )


def _environment(context: ProbeContext, neuware: Neuware) -> None:
    """The variables torch_mlu's README sets: NEUWARE_HOME, PATH and LD_LIBRARY_PATH."""
    env = context.evidence.getenv
    home = neuware.home
    declared = env("NEUWARE_HOME")
    if declared and declared.rstrip("/") != home:
        context.add(
            "neuware-home",
            Severity.WARNING,
            ("neuware",),
            T(
                "NEUWARE_HOME={declared} holds no Neuware install (no version.txt, no lib64), "
                "but {home} does; builds of MLU extensions look there first.",
                declared=declared,
                home=home,
            ),
            f"export NEUWARE_HOME={home}",
        )
        return
    paths = [p.rstrip("/") for p in (env("PATH") or "").split(":") if p]
    libraries = [p.rstrip("/") for p in (env("LD_LIBRARY_PATH") or "").split(":") if p]
    gaps = _EnvGaps(
        home,
        no_home=not declared,
        no_bin=f"{home}/bin" not in paths,
        no_lib=f"{home}/lib64" not in libraries,
    )
    if not (gaps.no_home or gaps.no_bin or gaps.no_lib):
        return
    missing, fix = gaps.missing_and_fix()
    label = f"Neuware {neuware.version}" if neuware.version else "Neuware"
    context.add(
        "env-not-set",
        Severity.WARNING,
        ("neuware",),
        T(
            "{label} is installed at {home}, but the environment torch_mlu's README sets up is "
            "missing ({missing}): {consequences}.",
            label=label,
            home=home,
            missing=join(missing, ", "),
            consequences=join(gaps.consequences(), "; "),
        ),
        "\n".join(fix),
    )


@dataclass(frozen=True)
class _EnvGaps:
    """Which of NEUWARE_HOME, its bin in PATH and its lib64 in LD_LIBRARY_PATH are missing."""

    home: str
    no_home: bool
    no_bin: bool
    no_lib: bool

    def missing_and_fix(self) -> tuple[list[str], list[str]]:
        """What is missing, and the export line that sets each."""
        home = self.home
        missing: list[str] = []
        fix: list[str] = []
        if self.no_home:
            missing.append("NEUWARE_HOME")
            fix.append(f"export NEUWARE_HOME={home}")
        if self.no_bin:
            missing.append(T("{path} in PATH", path=f"{home}/bin"))
            fix.append(f"export PATH=$PATH:{home}/bin")
        if self.no_lib:
            missing.append(T("{path} in LD_LIBRARY_PATH", path=f"{home}/lib64"))
            fix.append(f"export LD_LIBRARY_PATH={home}/lib64:$LD_LIBRARY_PATH")
        return missing, fix

    def consequences(self) -> list[str]:
        home = self.home
        consequences: list[str] = []
        if self.no_home and self.no_bin:
            # NOTE: torch_mlu's cpp_extension looks for $NEUWARE_HOME, then `cncc` on PATH, and
            # then raises "NEUWARE_HOME environment variable is not set"
            # (Cambricon/torch_mlu torch_mlu/utils/cpp_extension.py).
            consequences.append(
                T(
                    "building MLU extensions fails with 'NEUWARE_HOME environment variable is "
                    "not set'"
                )
            )
        elif self.no_bin:
            consequences.append(
                T("the Neuware tools in {path} (cncc, cnas) are not found", path=f"{home}/bin")
            )
        elif self.no_home:
            consequences.append(T("builds that read NEUWARE_HOME do not find Neuware"))
        if self.no_lib:
            consequences.append(
                T("programs may not find the Neuware libraries in {path}", path=f"{home}/lib64")
            )
        return consequences


@dataclass(frozen=True)
class VisibleDevices:
    """What torch_mlu makes of a visible-devices value."""

    ids: tuple[int, ...]  # the ordinals it uses, in order
    ignored: str  # the rest of the value it stops reading at ("" when it reads it all)
    repeated: bool  # a repeated ordinal, which makes the set empty
    uuids: bool  # the value lists card UUIDs, which are not checked here


def parse_visible_devices(value: str) -> VisibleDevices:
    """Read a visible-devices value the way torch_mlu does.

    NOTE: mirrors Cambricon/torch_mlu torch_mlu/mlu/__init__.py `_parse_visible_devices`
    ("Keep align with cnrt"): a value with "-" of 36+ characters is a UUID list; otherwise
    comma-separated ordinals, where a non-number ends the list and a repeated one empties it.
    """
    if "-" in value and len(value) >= 36:
        return VisibleDevices((), "", False, True)
    ids: list[int] = []
    pieces = value.split(",")
    for position, piece in enumerate(pieces):
        text = piece.strip()
        if not (text.isascii() and text.isdigit()):
            return VisibleDevices(tuple(ids), ",".join(pieces[position:]), False, False)
        number = int(text)
        if number in ids:
            return VisibleDevices((), "", True, False)
        ids.append(number)
    return VisibleDevices(tuple(ids), "", False, False)


def _visible_devices(context: ProbeContext, card_count: int | None, torch_mlu: bool) -> None:
    env = context.evidence.getenv
    variable = next((name for name in VISIBLE_VARIABLES if env(name) is not None), None)
    if variable is None or (variable == "CUDA_VISIBLE_DEVICES" and not torch_mlu):
        return
    value = env(variable) or ""
    parsed = parse_visible_devices(value)
    if parsed.uuids:
        return
    note = (
        T(
            " (torch_mlu falls back to CUDA_VISIBLE_DEVICES when CN_VISIBLE_DEVICES and "
            "MLU_VISIBLE_DEVICES are unset)"
        )
        if variable == "CUDA_VISIBLE_DEVICES"
        else ""
    )
    valid = list(parsed.ids)
    problem = ""
    if parsed.repeated:
        problem = T("repeats a card, which makes torch_mlu see none")
    elif not valid:
        problem = T("names no card")
    elif parsed.ignored:
        problem = T("stops being a list of card numbers at {ignored!r}", ignored=parsed.ignored)
    if card_count is not None:
        beyond = next((i for i, number in enumerate(valid) if number >= card_count), None)
        if beyond is not None:
            past_last = T(
                "names card {absent}, but cnmon shows {count} card(s)",
                absent=", ".join(str(n) for n in valid[beyond:]),
                count=card_count,
            )
            valid = valid[:beyond]
            problem = join([p for p in (problem, past_last) if p], "; ")
    if not problem:
        return
    shown = (
        T(" torch_mlu uses cards {valid}.", valid=valid)
        if valid
        else T(" torch_mlu sees no MLU at all.")
    )
    usable = valid or list(range(card_count or 1))
    context.add(
        "visible-devices",
        Severity.WARNING if valid else Severity.ERROR,
        ("cambricon_driver",),
        T(
            "{variable}={value!r}{note} {problem}.{shown}",
            variable=variable,
            value=value,
            note=note,
            problem=problem,
            shown=shown,
        ),
        f"export {variable}=" + ",".join(str(n) for n in usable),
    )
