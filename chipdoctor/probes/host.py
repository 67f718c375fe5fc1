"""The host itself: OS, architecture, glibc, Python and the PyTorch packages."""

from __future__ import annotations

from chipdoctor.components import TORCH_COMPONENTS
from chipdoctor.evidence.base import Evidence
from chipdoctor.probes.base import ProbeContext
from chipdoctor.report.model import Inventory

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
            version = release.get("VERSION_ID", "")
            context.component("os", f"{name} {version}".strip(), "/etc/os-release")
        if facts.machine:
            context.component("arch", facts.machine, "platform")
        if facts.glibc:
            context.component("glibc", facts.glibc, "platform")
        for package in TORCH_COMPONENTS:
            version = python.package(package)
            if version:
                context.component(package, version, f"{PACKAGE_SOURCE}: {package}")
        return context.inventory
