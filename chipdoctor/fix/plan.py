"""The plan `chipdoctor fix` prints: each component current -> target and why, then the steps
in order. `to_dict()` is the `chipdoctor-plan/1` contract (docs/contracts.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chipdoctor.errors import BadInput
from chipdoctor.i18n import T
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.resolve.model import Resolution
from chipdoctor.stacks import STACKS
from chipdoctor.stacks.interface import StepWriter
from chipdoctor.versions import InvalidVersion, scheme_for

if TYPE_CHECKING:
    from chipdoctor.matrix.store import DataSource

PLAN_FORMAT = "chipdoctor-plan/1"


@dataclass(frozen=True)
class Change:
    component: str
    current: str | None
    target: str | None
    reason: str

    @property
    def action(self) -> str:
        """keep | install | upgrade | downgrade | change (unordered versions)."""
        if self.target is None or self.target == self.current:
            return "keep"
        if self.current is None:
            return "install"
        scheme = scheme_for(self.component)
        try:
            older = scheme.parse(self.target) < scheme.parse(self.current)
        except InvalidVersion:
            return "change"
        return "downgrade" if older else "upgrade"


@dataclass(frozen=True)
class Step:
    """One thing to do. `commands` are exact lines to run; an `admin` step has none to run
    here (it names what to ask the administrator for)."""

    kind: str
    title: str
    commands: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class PipInstall:
    """One pip package of the target stack, and where pip gets it.

    `wheel` is set when no package index serves this build: a URL pip installs directly, or
    a wheel file name to download from `download` (a recipe then needs `--wheelhouse`).
    """

    component: str
    package: str  # the pip distribution: torch, torch-npu
    version: str  # exactly what is installed: 2.5.1+cu124
    index_url: str = ""  # "" is pip's default index (PyPI)
    wheel: str = ""
    download: str = ""
    #: Keep pip from replacing the vendor's torch with PyPI's (vendor wheels pin no deps right).
    no_deps: bool = False
    #: Why this build, for the step title (already translatable text).
    note: str = ""

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def direct_url(self) -> bool:
        return self.wheel.startswith("https://")


@dataclass
class Plan:
    tool_version: str
    resolution: Resolution
    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    #: Problems `check` reports that a version change does not cure (environment, devices).
    also: list[Finding] = field(default_factory=list)
    #: Facts the steps were written for (chip series, architecture), for the recipe writers.
    facts: dict[str, str] = field(default_factory=dict)
    #: The compatibility data the plan was made with (bundled or updated, path, date).
    data: DataSource | None = None

    @property
    def stack(self) -> str:
        return self.resolution.stack

    @property
    def status(self) -> str:
        """ok: nothing to change; change: steps to carry out; conflict: no stack fits."""
        if not self.resolution.ok:
            return "conflict"
        if any(c.action != "keep" for c in self.changes) or self.also:
            return "change"
        return "ok"

    def exit_code(self) -> int:
        return 1 if self.status == "conflict" else 0

    def target(self, component: str) -> str | None:
        return self.resolution.target.get(component)

    def changed(self, component: str) -> bool:
        return self.resolution.changed(component)

    def to_dict(self) -> dict[str, Any]:
        resolution = self.resolution
        return {
            "format": PLAN_FORMAT,
            "tool": {"name": "chipdoctor", "version": self.tool_version},
            **({"data": self.data.to_dict()} if self.data is not None else {}),
            "status": self.status,
            "stack": self.stack,
            "pins": [
                {"component": p.component, "version": p.text, "option": p.option}
                for p in resolution.pins
            ],
            "components": [
                {
                    "id": c.component,
                    "current": c.current,
                    "target": c.target,
                    "action": c.action,
                    "reason": c.reason,
                }
                for c in self.changes
            ],
            "warnings": list(resolution.warnings),
            "steps": [
                {"kind": s.kind, "title": s.title, "commands": list(s.commands), "why": s.why}
                for s in self.steps
            ],
            "conflicts": [
                {"pins": list(c.options), "message": c.message} for c in resolution.conflicts
            ],
            "also": [
                {
                    "id": f.id,
                    "severity": f.severity.value,
                    "message": str(f.message),
                    "fix": str(f.fix),
                }
                for f in self.also
            ],
        }


def build_plan(
    tool_version: str,
    resolution: Resolution,
    inventory: Inventory,
    findings: list[Finding],
    facts: dict[str, str] | None = None,
) -> Plan:
    """The plan for a resolution; `findings` are the host's `check` findings."""
    plan = Plan(tool_version, resolution, facts=dict(facts or {}))
    for component in resolution.order:
        current = resolution.current.get(component)
        target = resolution.target.get(component)
        if current is None and target is None:
            continue
        reason = resolution.reasons.get(component, "")
        if target is None and resolution.ok:
            reason = reason or T("not part of the chosen stack; leave it as it is")
        plan.changes.append(Change(component, current, target, reason))
    if not resolution.ok:
        return plan
    changed = {c.component for c in plan.changes if c.action != "keep"}
    plan.also = [
        f
        for f in findings
        if f.severity is not Severity.INFO
        and f.stack == resolution.stack
        and not changed.intersection(f.components)
    ]
    plan.steps = step_writer(resolution.stack).steps(plan, inventory)
    return plan


def step_writer(stack: str) -> StepWriter:
    writer = STACKS[stack].step_writer()
    if writer is None:
        raise BadInput(f"`chipdoctor fix` is not available for {STACKS[stack].title} yet")
    return writer


def image_view(stack: str, target: Mapping[str, str]) -> Mapping[str, str]:
    """The target as the fields of a stack's `images:` (its stack.yaml) name them."""
    return step_writer(stack).image_view(target)
