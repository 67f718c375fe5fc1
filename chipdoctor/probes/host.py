"""The host itself: OS, architecture, glibc, Python and the PyTorch packages."""

from __future__ import annotations

from chipdoctor.components import TORCH_COMPONENTS
from chipdoctor.evidence.base import Evidence
from chipdoctor.i18n import T
from chipdoctor.model import (
    FACT_TORCH_BUILD_SOURCE,
    FACT_TORCH_CUDA,
    FACT_TORCH_DEFAULT_BUILD,
    FACT_TORCH_HIP,
    FACT_TORCH_ROCM,
    Inventory,
    Severity,
)
from chipdoctor.probes.base import ProbeContext

PACKAGE_SOURCE = "package metadata"


class HostProbe:
    name = "host"

    def collect(self, evidence: Evidence) -> Inventory:
        context = ProbeContext("host", evidence)
        python = evidence.python
        if python.version:
            context.component("python", python.version, "python interpreter")
        facts = evidence.platform
        release = facts.os_release
        if release.get("ID"):
            name = release.get("NAME") or release["ID"]
            os_version = release.get("VERSION_ID", "")
            context.component("os", f"{name} {os_version}".strip(), "/etc/os-release")
        if facts.machine:
            context.component("arch", facts.machine, "platform")
        if facts.glibc:
            context.component("glibc", facts.glibc, "platform")
        for package in TORCH_COMPONENTS:
            version = python.package(package)
            if version:
                context.component(package, version, f"{PACKAGE_SOURCE}: {package}")
        if python.package("torch"):
            _torch_build(context)
        if python.package("xformers"):
            _xformers_build(context)
        return context.inventory


def _torch_build(context: ProbeContext) -> None:
    """Record the CUDA/HIP/ROCm a torch build targets, from the first torch/version.py found."""
    # NOTE: imported where torch is installed: a host without it need not pay for them.
    from chipdoctor.parsers.torch_version import parse_torch_version_py
    from chipdoctor.probes.torch_default import default_build

    for site in context.evidence.python.paths:
        path = f"{site.rstrip('/')}/torch/version.py"
        text = context.read(path)
        if text is None:
            continue
        build = parse_torch_version_py(text)
        facts = context.inventory.facts
        facts[FACT_TORCH_BUILD_SOURCE] = path
        for key, value in (
            (FACT_TORCH_CUDA, build.cuda),
            (FACT_TORCH_HIP, build.hip),
            (FACT_TORCH_ROCM, build.rocm),
        ):
            if value:
                facts[key] = value
        return
    # NOTE: no version.py recorded: a plain version is PyPI's wheel, its release's default build.
    python = context.evidence.python
    found = default_build(
        python.package("torch") or "",
        context.evidence.platform.machine,
        context.evidence.requires_dist().get("torch", ()),
        context.evidence.platform.system,
    )
    if found is not None:
        if found[0]:
            context.inventory.facts[FACT_TORCH_CUDA] = found[0]
        context.inventory.facts[FACT_TORCH_DEFAULT_BUILD] = found[1]


def _xformers_build(context: ProbeContext) -> None:
    """Record the torch and CUDA an xFormers build was made for, from the first
    xformers/cpp_lib.json found (chipdoctor/parsers/xformers_build.py); one that is not that
    format is a note: what it was built for cannot be told."""
    from chipdoctor.parsers import xformers_build as xf

    for site in context.evidence.python.paths:
        path = f"{site.rstrip('/')}/xformers/cpp_lib.json"
        text = context.read(path)
        if text is None:
            continue
        build = xf.parse_cpp_lib_json(text)
        if build is None:
            context.add(
                "xformers-build-unreadable",
                Severity.INFO,
                (),
                T(
                    "{path} is not the build record xFormers writes; which torch it was built "
                    "for cannot be told.",
                    path=path,
                ),
            )
            return
        facts = context.inventory.facts
        facts[xf.FACT_SOURCE] = path
        facts[xf.FACT_TORCH] = build.torch
        for key, value in (
            (xf.FACT_CUDA, None if build.cuda is None else str(build.cuda)),
            (xf.FACT_HIP, build.hip),
            (xf.FACT_PYTHON, build.python),
        ):
            if value:
                facts[key] = value
        return
