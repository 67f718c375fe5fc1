"""Unmet `Requires-Dist` of the installed distributions that touch the PyTorch stack, as
`pip check` reports them, each with the pip line that meets it.

Read from METADATA (chipdoctor/evidence/distmeta.py), never by importing. Only requirements on
the stack's own packages are judged (torch, torchvision, torchaudio, the vendor extensions,
Triton and NVIDIA's CUDA wheels): a stale `pydantic` pin is not this tool's business.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from chipdoctor.components import ALL_COMPONENTS
from chipdoctor.evidence.base import PlatformInfo, PythonInfo, normalize_name
from chipdoctor.i18n import T
from chipdoctor.model import Finding, Severity
from chipdoctor.rules.common import is_final, pip_install, release_line, release_of
from chipdoctor.rules.stack_packages import touches_stack
from chipdoctor.torchwheels import wheel_source

#: A build's local tag that names its index on download.pytorch.org (`+cu124`, `+rocm6.2`).
_VARIANT = re.compile(r"^(cpu|cu[0-9]+|rocm[0-9.]+)$")

#: torch release line -> torchvision release line. Source: pytorch/vision README.md,
#: "corresponding torchvision versions" table <https://github.com/pytorch/vision#installation>.
TORCHVISION_FOR_TORCH = {
    "1.5": "0.6", "1.6": "0.7", "1.7": "0.8", "1.8": "0.9", "1.9": "0.10", "1.10": "0.11",
    "1.11": "0.12", "1.12": "0.13", "1.13": "0.14", "2.0": "0.15", "2.1": "0.16", "2.2": "0.17",
    "2.3": "0.18", "2.4": "0.19", "2.5": "0.20", "2.6": "0.21", "2.7": "0.22", "2.8": "0.23",
    "2.9": "0.24", "2.10": "0.25", "2.11": "0.26", "2.12": "0.27", "2.13": "0.28",
}  # fmt: skip
_COMPANIONS = ("torchvision", "torchaudio")


@dataclass(frozen=True)
class Unmet:
    """One requirement of an installed distribution that the environment does not meet."""

    requirer: str
    requirer_version: str
    target: str
    specifier: str
    installed: str | None


def marker_environment(platform: PlatformInfo, python: PythonInfo) -> dict[str, str]:
    """PEP 508 marker values of the inspected machine (not this one), no extra selected."""
    env: dict[str, str] = {k: str(v) for k, v in default_environment().items()}
    if platform.system:
        env["platform_system"] = platform.system
        env["sys_platform"] = platform.system.lower()
        env["os_name"] = "nt" if platform.system == "Windows" else "posix"
    if platform.machine:
        env["platform_machine"] = platform.machine
    if python.version:
        env["python_full_version"] = python.version
        env["python_version"] = ".".join(python.version.split(".")[:2])
    env["extra"] = ""
    return env


def unmet(
    requires: Mapping[str, tuple[str, ...]],
    packages: Mapping[str, str],
    environment: Mapping[str, str],
) -> list[Unmet]:
    """Every requirement on a stack package that the installed versions do not meet."""
    found: list[Unmet] = []
    for requirer, lines in sorted(requires.items()):
        version = packages.get(requirer)
        if version is None:
            continue
        for line in lines:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            target = normalize_name(requirement.name)
            if not touches_stack(target) or requirement.url:
                continue
            if requirement.marker is not None and not _applies(requirement, environment):
                continue
            installed = packages.get(target)
            if installed is not None and _meets(requirement.specifier, installed):
                continue
            found.append(Unmet(requirer, version, target, str(requirement.specifier), installed))
    return found


def _applies(requirement: Requirement, environment: Mapping[str, str]) -> bool:
    assert requirement.marker is not None
    try:
        return requirement.marker.evaluate(dict(environment))
    except Exception:  # an unknown marker variable: judge it as pip would not install it
        return False


def _meets(specifier: SpecifierSet, installed: str) -> bool:
    try:
        return specifier.contains(Version(installed), prereleases=True)
    except InvalidVersion:
        return True  # an unreadable version is not a finding


def findings(
    requires: Mapping[str, tuple[str, ...]],
    packages: Mapping[str, str],
    environment: Mapping[str, str],
) -> list[Finding]:
    """One error per stack package whose requirers are not met, with one pip line for all."""
    by_target: dict[str, list[Unmet]] = {}
    for item in unmet(requires, packages, environment):
        by_target.setdefault(item.target, []).append(item)
    return [_finding(target, items, packages) for target, items in sorted(by_target.items())]


def _finding(target: str, items: list[Unmet], packages: Mapping[str, str]) -> Finding:
    installed = items[0].installed
    needs = "; ".join(
        f"{i.requirer} {i.requirer_version} requires {target}{i.specifier or ''}" for i in items
    )
    message = (
        T("{needs}, but {target} {installed} is installed.", needs=needs, target=target,
          installed=installed)
        if installed
        else T("{needs}, but {target} is not installed.", needs=needs, target=target)
    )  # fmt: skip
    return Finding(
        "host.unmet-requirement",
        Severity.ERROR,
        tuple(
            dict.fromkeys(
                c
                for c in (_component(n) for n in (target, *(i.requirer for i in items)))
                if c in ALL_COMPONENTS
            )
        ),
        message,
        _fix(target, items, packages),
    )


def _component(name: str) -> str:
    return name.replace("-", "_")


def _fix(target: str, items: list[Unmet], packages: Mapping[str, str]) -> str:
    installed = items[0].installed
    requirers = {i.requirer for i in items}
    # NOTE: a nightly's companions are pinned to one day's torch, not a line.
    if target == "torch" and installed and is_final(installed) and requirers <= set(_COMPANIONS):
        return companions_for(installed, sorted(requirers))
    specifier = SpecifierSet(",".join(i.specifier for i in items if i.specifier))
    pinned = _pinned(specifier)
    if pinned is None:
        return pip_install(f"{target}{specifier}")
    variant = wheel_variant(installed) if target in ("torch", *_COMPANIONS) else None
    if variant and "+" not in pinned:
        return pip_install(f"{target}=={pinned}+{variant}", index_url=wheel_source(pinned, variant))
    return pip_install(f"{target}=={pinned}")


def exact_builds(torch: str, tag: str, companions: list[tuple[str, str]]) -> str:
    """The exact builds of one variant (`torch==2.5.1+cu124`, and each installed companion of
    the same release) from its index: a bare `torch==2.5.1` is already satisfied by an
    installed `2.5.1+cpu`, and pip would change nothing."""
    requirements = [f"torch=={release_of(torch)}+{tag}"]
    requirements += [f"{name}=={release_of(version)}+{tag}" for name, version in companions]
    return pip_install(*requirements, index_url=wheel_source(release_of(torch), tag))


def companions_for(torch: str, companions: list[str]) -> str:
    """Keep the installed torch; reinstall torchvision/torchaudio built for it (pip picks the
    release whose own pin matches `torch==<installed>`)."""
    line = release_line(torch)
    wanted = [
        f"torchvision=={TORCHVISION_FOR_TORCH[line]}.*"
        if name == "torchvision" and line in TORCHVISION_FOR_TORCH
        else name
        for name in companions
    ]
    variant = wheel_variant(torch)
    return pip_install(
        *wanted, f"torch=={torch}", index_url=wheel_source(torch, variant) if variant else None
    )


def _pinned(specifier: SpecifierSet) -> str | None:
    """The one version an `==` pin names, when it meets the rest of the specifier too."""
    for spec in specifier:
        if spec.operator == "==" and "*" not in spec.version:
            try:
                if specifier.contains(Version(spec.version), prereleases=True):
                    return spec.version
            except InvalidVersion:
                return None
    return None


def wheel_variant(version: str | None) -> str | None:
    """The local tag of a build that names its index on download.pytorch.org (`cu124`)."""
    local = (version or "").partition("+")[2]
    return local if _VARIANT.match(local) else None
