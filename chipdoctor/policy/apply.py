"""Apply a policy to a finished report: ignores first, then the policy's own checks.

Every check the policy asks for becomes a finding, passing ones included (as info), so a CI
log or JUnit report shows what the gate verified and not only what failed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from chipdoctor.components import STACK_COMPONENTS
from chipdoctor.i18n import T
from chipdoctor.model import Component, Finding, Inventory, Report, Severity
from chipdoctor.policy.load import Constraint, Ignore, Policy, RequiredStack
from chipdoctor.report.common import SEVERITY
from chipdoctor.versions import InvalidVersion, scheme_for


def apply_policy(report: Report, policy: Policy, *, today: dt.date | None = None) -> Report:
    """The report with ignored findings demoted to info and the policy's findings added."""
    if not (policy.stacks or policy.constraints or policy.ignores):
        return report
    day = today if today is not None else dt.date.today()
    findings = _apply_ignores(report.findings, policy.ignores, day)
    findings += [_check_stack(report.inventory, required) for required in policy.stacks]
    findings += [_check_constraint(report.inventory, c) for c in policy.constraints]
    findings.sort(key=lambda f: -f.severity.rank)
    return dataclasses.replace(report, findings=findings)


def _apply_ignores(
    findings: list[Finding], ignores: tuple[Ignore, ...], day: dt.date
) -> list[Finding]:
    active: dict[str, Ignore] = {}
    out: list[Finding] = []
    for ignore in ignores:
        if ignore.until is not None and day > ignore.until:
            out.append(_expired(ignore, ignore.until))
        else:
            active[ignore.finding_id] = ignore
    for finding in findings:
        match = active.get(finding.id)
        if match is None:
            out.append(finding)
            continue
        until = T(" until {date}", date=match.until.isoformat()) if match.until else ""
        message = T(
            "Ignored by policy {origin}{until}: {reason}. (Was {severity}: {message})",
            origin=match.origin,
            until=until,
            reason=match.reason,
            severity=SEVERITY[finding.severity],
            message=finding.message,
        )
        out.append(dataclasses.replace(finding, severity=Severity.INFO, message=message))
    return out


def _expired(ignore: Ignore, until: dt.date) -> Finding:
    return Finding(
        "policy.ignore-expired",
        Severity.WARNING,
        (),
        T(
            "The ignore of {finding} at {origin} expired on {date}; the finding counts again.",
            finding=ignore.finding_id,
            origin=ignore.origin,
            date=until.isoformat(),
        ),
        T(
            "Fix what {finding} reports, or set a later `until` at {origin} if the reason still "
            "holds.",
            finding=ignore.finding_id,
            origin=ignore.origin,
        ),
    )


def _check_stack(inventory: Inventory, required: RequiredStack) -> Finding:
    finding_id = f"policy.stack-{required.stack}"
    if required.stack in inventory.stacks:
        return Finding(
            finding_id,
            Severity.INFO,
            (),
            T(
                "The {stack} stack is present (required by {origin}).",
                stack=required.stack,
                origin=required.origin,
            ),
        )
    return Finding(
        finding_id,
        Severity.ERROR,
        (),
        T(
            "The policy requires the {stack} stack ({origin}) but none of it was found here.",
            stack=required.stack,
            origin=required.origin,
        ),
        T(
            "Run this on a machine with the {stack} driver and toolkit installed, or remove "
            "{stack} from require_stacks at {origin}.",
            stack=required.stack,
            origin=required.origin,
        ),
    )


def _check_constraint(inventory: Inventory, constraint: Constraint) -> Finding:
    component = inventory.component(constraint.component)
    if component is None:
        return _constraint_not_installed(constraint)
    try:
        satisfied = scheme_for(constraint.component).matches(constraint.pattern, component.version)
    except InvalidVersion as exc:
        return _constraint_not_comparable(constraint, component, exc)
    if satisfied:
        return _constraint_met(constraint, component)
    return _constraint_not_met(constraint, component)


def _constraint_not_installed(constraint: Constraint) -> Finding:
    name, pattern, origin = constraint.component, constraint.pattern, constraint.origin
    return Finding(
        constraint.finding_id,
        Severity.ERROR,
        (name,),
        T(
            "{name} is not installed, but {pattern} is required (by {origin}).",
            name=name,
            pattern=pattern,
            origin=origin,
        ),
        T(
            "Install {name} {pattern}{hint}, or drop the constraint ({origin}).",
            name=name,
            pattern=pattern,
            hint=_pairing_hint(name),
            origin=origin,
        ),
    )


def _constraint_not_comparable(
    constraint: Constraint, component: Component, exc: InvalidVersion
) -> Finding:
    name, pattern, origin = constraint.component, constraint.pattern, constraint.origin
    return Finding(
        constraint.finding_id,
        Severity.ERROR,
        (name,),
        T(
            "{name} {version} (from {source}) cannot be compared with {pattern} (required by "
            "{origin}): {error}.",
            name=name,
            version=component.version,
            source=component.source,
            pattern=pattern,
            origin=origin,
            error=exc,
        ),
        T(
            "Check the version {source} reports, or change the constraint ({origin}).",
            source=component.source,
            origin=origin,
        ),
    )


def _constraint_met(constraint: Constraint, component: Component) -> Finding:
    """A passing check is reported too, as info, so the gate shows what it verified."""
    name, pattern, origin = constraint.component, constraint.pattern, constraint.origin
    return Finding(
        constraint.finding_id,
        Severity.INFO,
        (name,),
        T(
            "{name} {version} satisfies {pattern} (required by {origin}).",
            name=name,
            version=component.version,
            pattern=pattern,
            origin=origin,
        ),
    )


def _constraint_not_met(constraint: Constraint, component: Component) -> Finding:
    name, pattern, origin = constraint.component, constraint.pattern, constraint.origin
    return Finding(
        constraint.finding_id,
        Severity.ERROR,
        (name,),
        T(
            "{name} {version} does not satisfy {pattern} (required by {origin}).",
            name=name,
            version=component.version,
            pattern=pattern,
            origin=origin,
        ),
        T(
            "Install a {name} matching {pattern}{hint}, or change the constraint ({origin}).",
            name=name,
            pattern=pattern,
            hint=_pairing_hint(name),
            origin=origin,
        ),
    )


def _pairing_hint(component: str) -> str:
    for stack, ids in STACK_COMPONENTS.items():
        if component in ids:
            return T(
                " that goes with the rest of the stack (`chipdoctor matrix show {stack}` "
                "lists the pairings)",
                stack=stack,
            )
    return ""
