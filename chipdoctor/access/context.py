"""One access check: the evidence, what the probes found, and the findings it adds or merges."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

from chipdoctor.access.container import Container
from chipdoctor.access.places import Places
from chipdoctor.evidence.base import Evidence, FileStat, Identity, UnreadableError
from chipdoctor.i18n import T
from chipdoctor.loader.elf import ElfInfo, native_abi
from chipdoctor.loader.search import LoaderSearch
from chipdoctor.model import Finding, Inventory, Severity


class AccessContext:
    def __init__(
        self,
        evidence: Evidence,
        inventory: Inventory,
        identity: Identity,
        container: Container | None,
    ) -> None:
        self.evidence = evidence
        self.inventory = inventory
        self.identity = identity
        self.container = container
        self.places = Places(evidence, inventory)
        self.process: ElfInfo | None = native_abi(evidence.platform.machine)

    @cached_property
    def search(self) -> LoaderSearch | None:
        """The loader of this machine's processes; None when its architecture is unknown."""
        return None if self.process is None else LoaderSearch(self.evidence, self.process)

    def has(self, name: str) -> bool:
        """Whether a component id was found, or a pip distribution of that name is installed."""
        return self.inventory.version(name) is not None or bool(self.evidence.python.package(name))

    def stat(self, path: str) -> FileStat | None:
        try:
            return self.evidence.stat(path)
        except UnreadableError:
            return None

    def exists(self, path: str) -> bool:
        try:
            return self.evidence.stat(path) is not None
        except UnreadableError:
            return True

    def finding(self, finding_id: str) -> Finding | None:
        return next((f for f in self.inventory.findings if f.id == finding_id), None)

    def has_error_on(self, component: str) -> bool:
        """Whether a probe already reported an error about `component` (say, the driver)."""
        return any(
            f.severity is Severity.ERROR and component in f.components
            for f in self.inventory.findings
        )

    def add(
        self,
        finding_id: str,
        severity: Severity,
        components: tuple[str, ...],
        message: str,
        fix: str = "",
    ) -> None:
        self.inventory.findings.append(Finding(finding_id, severity, components, message, fix))

    def merge(self, finding_id: str, severity: Severity, prefix: str) -> bool:
        """Put `prefix` before a probe's finding about the same problem; False if none."""
        for index, finding in enumerate(self.inventory.findings):
            if finding.id == finding_id:
                worst = max(finding.severity, severity, key=lambda s: s.rank)
                self.inventory.findings[index] = replace(
                    finding,
                    severity=worst,
                    message=T("{prefix} {message}", prefix=prefix, message=finding.message),
                )
                return True
        return False
