"""The generic search: filter a stack's candidates by the pins, rank them (resolve.rank),
explain conflicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import combinations
from typing import Any

from chipdoctor import stacks
from chipdoctor.errors import BadInput
from chipdoctor.i18n import T, join
from chipdoctor.matrix.model import Matrix, MatrixSet
from chipdoctor.model import Inventory
from chipdoctor.resolve.index import newest_key
from chipdoctor.resolve.model import (
    Accept,
    Candidate,
    Conflict,
    DeviceOnly,
    Resolution,
    StackResolver,
)
from chipdoctor.resolve.pins import Pin, is_prerelease
from chipdoctor.resolve.rank import Bound, Distinct, Ranking

#: How many pins the conflict search combines at most (2^n small resolves).
_MAX_CONFLICT_PINS = 6


def resolver_for(stack: str) -> StackResolver:
    resolver = stacks.get(stack).resolver()
    if resolver is None:
        raise BadInput(
            f"`chipdoctor fix` is not available for {stacks.STACKS[stack].title} ({stack}) yet;"
            f" it plans for {', '.join(_fixable())}"
        )
    return resolver


def _fixable() -> list[str]:
    return [name for name, stack in stacks.STACKS.items() if stack.resolver() is not None]


def choose_stack(inventory: Inventory, stack: str | None, pins: Sequence[Pin]) -> str:
    """The stack to resolve: --stack, else the one found, else the one the pins name."""
    if stack is not None:
        return stack
    if inventory.stacks:
        return inventory.stacks[0]
    named = [
        name
        for name, known in stacks.STACKS.items()
        if any(p.component in known.components for p in pins)
    ]
    if len(named) == 1:
        return named[0]
    raise BadInput(
        "no accelerator stack found here and none named: pass --stack " + "|".join(_fixable())
    )


def components_of(resolver: StackResolver) -> tuple[str, ...]:
    """The stack's components in display order: hardest to change first."""
    return (*resolver.hard, *resolver.medium, *resolver.derived, *resolver.soft)


def current_versions(inventory: Inventory, resolver: StackResolver) -> dict[str, str]:
    wanted = components_of(resolver)
    return {c: v for c in wanted if (v := inventory.version(c))}


def resolve(
    inventory: Inventory,
    matrices: MatrixSet,
    pins: Sequence[Pin] = (),
    *,
    stack: str | None = None,
    keep_driver: bool = False,
    accept: Accept | None = None,
) -> Resolution:
    """The best stack for this inventory under the pins, or the pins that conflict."""
    name = choose_stack(inventory, stack, pins)
    resolver = resolver_for(name)
    components = components_of(resolver)
    for pin in pins:
        if pin.component not in components:
            raise BadInput(
                f"{pin.option}: {pin.component} is not part of the {name} stack "
                f"({', '.join(components)})"
            )
    current = current_versions(inventory, resolver)
    constraints = list(pins)
    driver = resolver.hard[0] if resolver.hard else None
    if keep_driver and driver and driver in current:
        said = T("the installed driver {driver}", driver=current[driver])
        constraints.append(Pin(driver, current[driver], said))
    matrix = matrices.get(name)
    accept = _together(accept, _device_only(stacks.get(name).target_filter(inventory)))
    resolution = Resolution(name, tuple(constraints), current, order=components, hard=resolver.hard)
    best = _best(resolver, matrix, current, constraints, accept)
    if best is None:
        resolution.conflicts = _conflicts(resolver, matrix, current, constraints, accept)
        return resolution
    resolution.target = {c: best.target[c] for c in components if c in best.target}
    resolution.reasons = dict(best.reasons)
    resolution.warnings = list(best.warnings)
    return resolution


def planned_target(stack: str, inventory: Inventory, matrix: Matrix) -> dict[str, str] | None:
    """The target `fix` plans for this inventory without pins or options, for `check`'s fix
    lines to name the same build (its rules may call this: the judge's inventories hold no
    device facts, so no target filter applies there and nothing recurses)."""
    resolver = resolver_for(stack)
    current = current_versions(inventory, resolver)
    best = _best(
        resolver, matrix, current, (), _device_only(stacks.get(stack).target_filter(inventory))
    )
    return None if best is None else dict(best.target)


def _device_only(test: Accept | None) -> Accept | None:
    return None if test is None else DeviceOnly(test)


def _together(first: Accept | None, second: Accept | None) -> Accept | None:
    if first is None or second is None:
        return first or second
    return lambda target: first(target) and second(target)


def admissible(
    resolver: StackResolver,
    matrix: Matrix,
    current: Mapping[str, str],
    pins: Sequence[Pin],
    accept: Accept | None,
    *,
    bound: Bound | None = None,
) -> Iterator[Candidate]:
    """Candidates that meet every pin and choose no pre-release the user did not ask for."""
    for candidate in resolver.candidates(matrix, current, pins, accept, bound):
        if all(
            candidate.target.get(p.component) is not None
            and p.matches(candidate.target[p.component])
            for p in pins
        ) and not _unasked_prerelease(candidate, current, pins, resolver.derived):
            yield candidate


def _unasked_prerelease(
    candidate: Candidate,
    current: Mapping[str, str],
    pins: Sequence[Pin],
    derived: tuple[str, ...],
) -> bool:
    """A pre-release the user neither has nor named in full (derived components follow)."""
    for component, version in candidate.target.items():
        if component in derived or version == current.get(component):
            continue
        if not is_prerelease(component, version):
            continue
        if not any(p.component == component and p.exact(version) for p in pins):
            return True
    return False


def _best(
    resolver: StackResolver,
    matrix: Matrix,
    current: Mapping[str, str],
    pins: Sequence[Pin],
    accept: Accept | None,
) -> Candidate | None:
    ranking = Ranking(resolver, current)
    best: tuple[tuple[Any, ...], Candidate] | None = None
    found = admissible(resolver, matrix, current, pins, accept, bound=ranking)
    for index, candidate in enumerate(found):
        cost = ranking.cost(candidate)
        key = (*cost, candidate.order or (index,))
        if best is None or key < best[0]:
            best = (key, candidate)
            ranking.best = cost
    return None if best is None else best[1]


def _conflicts(
    resolver: StackResolver,
    matrix: Matrix,
    current: Mapping[str, str],
    pins: Sequence[Pin],
    accept: Accept | None,
) -> list[Conflict]:
    """The minimal sets of pins that no candidate satisfies, each explained."""
    considered = list(pins)[:_MAX_CONFLICT_PINS]
    cache: dict[tuple[int, ...], bool] = {}

    def meets(indexes: tuple[int, ...]) -> bool:
        """Whether any candidate meets these pins: the first one found settles it."""
        if indexes not in cache:
            chosen = [considered[i] for i in indexes]
            found = admissible(resolver, matrix, current, chosen, accept)
            cache[indexes] = next(iter(found), None) is not None
        return cache[indexes]

    def values(indexes: tuple[int, ...], component: str) -> list[str]:
        chosen = [considered[i] for i in indexes]
        return _values(resolver, matrix, current, chosen, accept, component=component)

    found: list[tuple[int, ...]] = []
    for size in range(1, len(considered) + 1):
        for subset in combinations(range(len(considered)), size):
            if any(set(f) <= set(subset) for f in found):
                continue
            if not meets(subset):
                found.append(subset)
    if not found:  # only the acceptance test (no image, say) rules every stack out
        return [Conflict((), T("no stack in the matrix meets the requirements of this request"))]
    conflicts = []
    for subset in found:
        chosen = [considered[i] for i in subset]
        message = _explain(chosen, subset, values)
        conflicts.append(Conflict(tuple(p.option for p in chosen), message))
    return conflicts


def _explain(
    chosen: list[Pin],
    subset: tuple[int, ...],
    values: Callable[[tuple[int, ...], str], list[str]],
) -> str:
    if len(chosen) == 1:
        (pin,) = chosen
        known = values((), pin.component)
        if known:
            return T(
                "{option}: no stack in the matrix has {component} {version} (it knows {known})",
                option=pin.option,
                component=pin.component,
                version=pin.text,
                known=_listing(known),
            )
        return T(
            "{option}: no stack in the matrix has {component} {version}",
            option=pin.option,
            component=pin.component,
            version=pin.text,
        )
    parts = []
    for position, pin in enumerate(chosen):
        others = tuple(i for j, i in enumerate(subset) if j != position)
        rest = [p for j, p in enumerate(chosen) if j != position]
        allowed = values(others, pin.component)
        said = _chain(
            [p.option for p in rest], lambda a, b: T("{left} and {right}", left=a, right=b)
        )
        parts.append(
            T(
                "with {said}, {component} can be {allowed}",
                said=said,
                component=pin.component,
                allowed=_listing(allowed),
            )
            if allowed
            else T("with {said}, no {component} fits", said=said, component=pin.component)
        )
    pins = _chain(
        [p.option for p in chosen],
        lambda a, b: T("{left} conflicts with {right}", left=a, right=b),
    )
    return T("{pins}: {parts}", pins=pins, parts=join(parts, "; "))


def _chain(items: list[str], link: Callable[[str, str], str]) -> str:
    """`a conflicts with b conflicts with c`, each link translatable."""
    out = items[0]
    for item in items[1:]:
        out = link(out, item)
    return out


def _values(
    resolver: StackResolver,
    matrix: Matrix,
    current: Mapping[str, str],
    pins: Sequence[Pin],
    accept: Accept | None,
    *,
    component: str,
) -> list[str]:
    """The versions of `component` that candidates meeting the pins have, newest first."""
    distinct = Distinct(component)
    for candidate in admissible(resolver, matrix, current, pins, accept, bound=distinct):
        if component in candidate.target:
            distinct.seen.add(candidate.target[component])
    # spellings one version has (24.1.RC2, 24.1.rc2) in one order, whatever the set's
    return sorted(distinct.seen, key=lambda v: (newest_key(component, v), v))


def _listing(values: list[str], limit: int = 8) -> str:
    shown = ", ".join(values[:limit])
    if len(values) <= limit:
        return shown
    return T("{shown} (+{more} more)", shown=shown, more=len(values) - limit)
