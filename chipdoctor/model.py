"""The domain: components, devices, findings, inventories and reports; no I/O.

The field names follow the `chipdoctor-report/1` contract in docs/contracts.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from chipdoctor.errors import EXIT_INCOMPATIBLE, EXIT_INTERNAL, EXIT_OK

if TYPE_CHECKING:
    from chipdoctor.matrix.store import DataSource
    from chipdoctor.smoke.failures import KnownFailure

REPORT_FORMAT = "chipdoctor-report/1"
#: Inventory.facts under this prefix are notes for people (the table prints them, JSON does
#: not carry them): what a check could not look at, where no finding is due.
NOTE_PREFIX = "note."
# Keys of Inventory.facts the host probe writes and the stacks' rules read: what the installed
# torch was built for (from torch/version.py).
FACT_TORCH_CUDA = "torch.build.cuda"
FACT_TORCH_HIP = "torch.build.hip"
FACT_TORCH_ROCM = "torch.build.rocm"
FACT_TORCH_BUILD_SOURCE = "torch.build.source"
#: Where the CUDA of a plain (untagged) torch version came from: its Requires-Dist or the
#: published default build of that release (chipdoctor/probes/torch_default.py).
FACT_TORCH_DEFAULT_BUILD = "torch.build.default"


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True)
class Component:
    """One installed piece of the stack, with the file or command its version came from."""

    id: str
    version: str
    source: str


#: What a device's `health` says (upper-cased) when it is healthy, or when its tool shows no
#: health at all (`N/A`): the table does not flag it, `fleet compare` counts it healthy.
HEALTHY = frozenset({"OK", "N/A"})


@dataclass(frozen=True)
class Device:
    stack: str
    index: int
    name: str
    health: str


@dataclass(frozen=True)
class Finding:
    id: str
    severity: Severity
    components: tuple[str, ...]
    message: str
    fix: str = ""

    @property
    def stack(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Symptom:
    """One error the failed job's log shows (`check --log`, chipdoctor/symptoms/): its kind, the
    values its message carries, the 1-based line it stands on and that line, made visible."""

    kind: str
    values: tuple[tuple[str, str], ...]
    line: int
    text: str
    #: The catalog entry that recognised it (chipdoctor/smoke/causes.py), for its cause and fix.
    failure: KnownFailure | None = field(default=None, compare=False)

    def value(self, name: str) -> str:
        return dict(self.values).get(name, "")


@dataclass
class Inventory:
    """What the probes found: components, devices, and the problems met while looking."""

    stacks: list[str] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Raw declarations rules may weigh (e.g. a toolkit's own `compatible_version` list);
    #: not part of the report contract.
    facts: dict[str, str] = field(default_factory=dict)
    #: The finding ids of parts of the check that failed by chipdoctor's own fault (a probe,
    #: the access check, a stack's rules): the report is incomplete.
    crashed: list[str] = field(default_factory=list)
    #: What the failed job's log shows (`check --log`): evidence the rules weigh beside the
    #: machine's own facts; empty without --log.
    symptoms: list[Symptom] = field(default_factory=list)

    def symptom(self, kind: str, **values: str) -> Symptom | None:
        """The first symptom of `kind` whose values start with the ones given, if any."""
        for symptom in self.symptoms:
            if symptom.kind == kind and all(
                symptom.value(name).startswith(want) for name, want in values.items()
            ):
                return symptom
        return None

    def version(self, component_id: str) -> str | None:
        for component in self.components:
            if component.id == component_id:
                return component.version
        return None

    def component(self, component_id: str) -> Component | None:
        for component in self.components:
            if component.id == component_id:
                return component
        return None

    def merge(self, other: Inventory) -> None:
        for stack in other.stacks:
            if stack not in self.stacks:
                self.stacks.append(stack)
        self.components.extend(other.components)
        self.devices.extend(other.devices)
        self.findings.extend(other.findings)
        self.facts.update(other.facts)
        self.crashed.extend(other.crashed)
        self.symptoms.extend(other.symptoms)


@dataclass(frozen=True)
class SmokeStep:
    """One step of `check --deep`, for people; JSON carries it as its `deep.<step>` finding."""

    step: str
    result: str  # "passed", "failed", "timed out", "crashed" or "skipped"
    seconds: float | None
    detail: str = ""


@dataclass
class Report:
    tool_version: str
    inventory: Inventory
    findings: list[Finding]
    #: The language people read it in ("en" or "zh_CN"); JSON stays English-keyed either way.
    lang: str = "en"
    #: The steps of `check --deep` in the order they ran; empty without --deep.
    smoke: list[SmokeStep] = field(default_factory=list)
    #: The node's hostname (the live host's, or the one a snapshot recorded); None: unknown.
    host: str | None = None
    #: The compatibility data it was judged with (bundled or updated, its path and date).
    data: DataSource | None = None

    def localized(self, text: str) -> str:
        """`text` in the report's language (messages built with i18n.T translate)."""
        if self.lang == "en":
            return str(text)
        from chipdoctor.i18n import translate

        return translate(text, self.lang)

    @property
    def status(self) -> str:
        worst = max((f.severity.rank for f in self.findings), default=-1)
        if worst >= Severity.ERROR.rank:
            return "error"
        if worst >= Severity.WARNING.rank:
            return "warning"
        return "ok"

    @property
    def incomplete(self) -> bool:
        """A part of the check failed by chipdoctor's own fault: what the report says is true,
        but it may miss problems."""
        return bool(self.inventory.crashed)

    def exit_code(self, *, strict: bool = False) -> int:
        if self.incomplete:
            return EXIT_INTERNAL
        status = self.status
        if status == "error" or (strict and status == "warning"):
            return EXIT_INCOMPATIBLE
        return EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": REPORT_FORMAT,
            "tool": {"name": "chipdoctor", "version": self.tool_version},
            **({"host": self.host} if self.host is not None else {}),
            **({"data": self.data.to_dict()} if self.data is not None else {}),
            "status": self.status,
            "stacks": list(self.inventory.stacks),
            "components": [
                {"id": c.id, "version": c.version, "source": c.source}
                for c in self.inventory.components
            ],
            "devices": [
                {"stack": d.stack, "index": d.index, "name": d.name, "health": d.health}
                for d in self.inventory.devices
            ],
            "findings": [self._finding_dict(f) for f in self.findings],
        }
        if self.incomplete:
            out["incomplete"] = True
        return out

    def _finding_dict(self, finding: Finding) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": finding.id,
            "severity": finding.severity.value,
            "components": list(finding.components),
            "message": str(finding.message),
            "fix": str(finding.fix),
        }
        if self.lang != "en":
            out["translations"] = {
                self.lang: {
                    "message": self.localized(finding.message),
                    "fix": self.localized(finding.fix),
                }
            }
        return out
