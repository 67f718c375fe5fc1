"""`check`'s fix for a wrong or missing component IS `fix`'s plan (issue 12 item 7).

A rule knows what is wrong; which version to install instead is the resolver's choice, and two
pieces of code choosing it drift (check said torch 2.3.0+rocm6.0 where fix planned 2.14.0). So
after the rules have spoken, every error of a stack that a version change cures gets, as its
fix, the steps of the plan `chipdoctor fix` makes for that host. Where the finding involves the
driver, the second way is the resolver's too: the plan that keeps the finding's other
components and changes the driver. The rules' own text stays where no plan is made (no
resolver for the stack, a conflict, nothing to change).

This runs outside the rules: the resolver judges each candidate with the rules themselves, so
the rules cannot ask the resolver.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from chipdoctor import __version__
from chipdoctor.i18n import T, join
from chipdoctor.matrix.model import MatrixSet
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.resolve.model import Resolution, StackResolver
from chipdoctor.resolve.pins import Pin
from chipdoctor.stacks import STACKS


def planned(inventory: Inventory, matrices: MatrixSet, findings: list[Finding]) -> list[Finding]:
    """`findings`, each error a plan cures (and each driver warning both ways cure) carrying
    that plan as its fix. Where no plan can be made the rules' own fixes stay: a planning
    failure must not cost `check` its verdicts (`chipdoctor fix` reports it itself)."""
    out = list(findings)
    for stack in inventory.stacks:
        resolver = STACKS[stack].resolver()
        if resolver is None:
            continue
        mine = [i for i, f in enumerate(out) if f.stack == stack and f.severity in _PLANNED]
        if not mine:
            continue
        try:
            way = _Ways(inventory, matrices, stack, resolver, findings)
            fixes = {i: way.fix(out[i]) for i in mine}
        except Exception:  # a planning bug must not hide the rules' verdicts
            continue
        for i, fix in fixes.items():
            if fix is not None:
                out[i] = replace(out[i], fix=fix)
    return out


#: An error gets the plan; a warning only both ways where the driver is too old for it (the
#: resolver ranks a candidate with a warning after one without, so its plan cures that too).
_PLANNED = (Severity.ERROR, Severity.WARNING)


class _Ways:
    """The plans of one stack, made once."""

    def __init__(
        self,
        inventory: Inventory,
        matrices: MatrixSet,
        stack: str,
        resolver: StackResolver,
        findings: list[Finding],
    ) -> None:
        self.inventory = inventory
        self.matrices = matrices
        self.stack = stack
        self.findings = findings
        self.resolver = resolver
        self.driver = resolver.hard[0]
        self.default = self._resolve(())

    def fix(self, finding: Finding) -> str | None:
        resolution = self.default
        if not self._cures(resolution, finding):
            return None
        plan = self._steps(resolution)
        if not plan:
            return None
        warning = finding.severity is Severity.WARNING
        resolver = self.resolver
        if self.driver in finding.components and not resolution.changed(self.driver):
            hard = set(resolver.hard)
            upgrade = self._keeping(finding, lambda c: c not in hard)
            if upgrade is not None and upgrade.changed(self.driver):
                return T(
                    "{upgrade}\nor keep the driver: {plan}",
                    upgrade=self._steps(upgrade),
                    plan=plan,
                )
        if warning:
            return None
        toolkits = [c for c in resolver.medium if c in finding.components]
        if toolkits and not any(resolution.changed(c) for c in toolkits):
            soft = set(resolver.soft)
            other = self._keeping(finding, lambda c: c in soft)
            if other is not None and any(other.changed(c) for c in toolkits):
                packages = ", ".join(c for c in finding.components if c in soft)
                other_way = self._steps(other)
                return T(
                    "{plan}\nor keep {packages}: {other}",
                    plan=plan,
                    packages=packages,
                    other=other_way,
                )
        return plan

    def _keeping(self, finding: Finding, which: Callable[[str], bool]) -> Resolution | None:
        """The plan with the finding's `which` components pinned to their installed versions."""
        kept = tuple(
            Pin(c, v, T("the installed {component}", component=c))
            for c in finding.components
            if which(c) and (v := self.default.current.get(c))
        )
        if not kept:
            return None
        other = self._resolve(kept)
        return other if other.ok else None

    def _cures(self, resolution: Resolution, finding: Finding) -> bool:
        """Whether the plan is this finding's fix: it gives every component the finding names
        (the driver aside) a version and changes one, and installs no toolkit the host did not
        record and the finding does not name. A plan that adds such a toolkit was made for a
        host the evidence does not show (a bug report that pasted two package versions): the
        rule's narrower fix stands there."""
        if not resolution.ok:
            return False
        hard = set(resolution.hard)
        named = [c for c in finding.components if c not in hard]
        if not named or any(resolution.target.get(c) is None for c in named):
            return False
        if not any(resolution.changed(c) for c in named):
            return False
        guessed = [
            c
            for c in self.resolver.medium
            if c != "python"
            and c in resolution.target
            and c not in resolution.current
            and c not in named
        ]
        return not guessed

    def _resolve(self, pins: tuple[Pin, ...]) -> Resolution:
        from chipdoctor.fix.command import refuse_downgrade
        from chipdoctor.resolve.core import resolve

        resolution = resolve(self.inventory, self.matrices, pins, stack=self.stack)
        refuse_downgrade(resolution, self.matrices.get(self.stack))
        return resolution

    def _steps(self, resolution: Resolution) -> str:
        """The plan's steps as one fix: each command, or the title of a step without one to
        run here (an administrator's)."""
        from chipdoctor.fix.plan import build_plan

        plan = build_plan(__version__, resolution, self.inventory, self.findings)
        lines: list[str] = []
        for step in plan.steps:
            if step.kind == "verify":
                continue
            runnable = step.kind != "admin" and step.commands
            if step.kind in ("admin", "toolkit") or not runnable:
                lines.append(step.title)
            if runnable:
                lines.extend(step.commands)
        return join(_one_pip_line(lines))


def _one_pip_line(lines: list[str]) -> list[str]:
    """Consecutive `pip install` lines with the same options as one line, as a user pastes
    them (`pip install torch==… torchvision==… --index-url …`)."""
    out: list[str] = []
    last: tuple[list[str], list[str]] | None = None
    for line in lines:
        words = line.split()
        if words[:2] == ["pip", "install"]:
            cut = next((i for i, w in enumerate(words[2:], 2) if w.startswith("-")), len(words))
            wanted, options = words[2:cut], words[cut:]
            if wanted and last is not None and last[1] == options:
                last[0].extend(wanted)
                out[-1] = " ".join(["pip", "install", *last[0], *options])
                continue
            if wanted:
                last = (wanted, options)
                out.append(line)
                continue
        last = None
        out.append(line)
    return out
