"""How candidates are ranked, and the bound that lets a stack skip branches that cannot win.

Ranking (lexicographic, lower is better), so a fix keeps what is hardest to change:
1. each `hard` component changed (the driver, then the firmware: an administrator's job);
2. the number of pairings the matrix does not publish (warnings `check` would print);
3. each `medium` component changed (the vendor toolkit, then Python);
4. how many `soft` components (pip packages) change;
5. the newest toolkit, Python and packages, then the newest driver and firmware;
6. the order the matrix lists its rows in (deterministic).

The search weighs one candidate per torch build, toolkit and driver, so it grows with the
matrix; with the bound a branch whose known part already ranks below the best candidate is
dropped before its Python, firmware and reasons are worked out, which keeps `fix` linear.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from chipdoctor.resolve.index import newest_key
from chipdoctor.resolve.model import Candidate, StackResolver


class Bound(Protocol):
    """What a stack's search may ask while it builds candidates: may it drop this branch?"""

    def hopeless(
        self, chosen: Mapping[str, str], warnings: int, changed: tuple[str, ...] = ()
    ) -> bool: ...


class Ranking:
    """The cost of a candidate, and the best cost seen so far in one search."""

    def __init__(self, resolver: StackResolver, current: Mapping[str, str]) -> None:
        self.hard = resolver.hard
        self.medium = resolver.medium
        self.soft = resolver.soft
        self.current = current
        self.best: tuple[Any, ...] | None = None

    def cost(self, candidate: Candidate) -> tuple[Any, ...]:
        target, current = candidate.target, self.current
        newest = tuple(
            newest_key(component, target.get(component, ""))
            for component in (*self.medium, *self.soft, *self.hard)
        )
        return (
            *(int(target.get(c) != current.get(c)) for c in self.hard),
            len(candidate.warnings),
            *(int(target.get(c) != current.get(c)) for c in self.medium),
            sum(int(target.get(c) != current.get(c)) for c in self.soft),
            *newest,
        )

    def hopeless(
        self, chosen: Mapping[str, str], warnings: int, changed: tuple[str, ...] = ()
    ) -> bool:
        """Whether every completion of `chosen` ranks below the best seen so far.

        `changed` names components that will differ from the installed ones, whatever they
        become; warnings only grow. A component not yet chosen counts as kept, the lowest it
        can cost, so the bound never drops a branch that could win or tie.
        """
        best = self.best
        if best is None:
            return False
        current = self.current

        def cost(c: str) -> int:
            return int(c in changed or (c in chosen and chosen[c] != current.get(c)))

        lower = [cost(c) for c in self.hard]
        lower.append(warnings)
        lower += [cost(c) for c in self.medium]
        lower.append(sum(cost(c) for c in self.soft))
        return tuple(lower) > best[: len(lower)]


class Distinct:
    """A bound for listing the versions of one component that candidates can have: a branch
    whose version of it is already listed adds nothing, so it is dropped unbuilt (explaining a
    conflict built every candidate of the matrix before)."""

    def __init__(self, component: str) -> None:
        self.component = component
        #: The versions found so far (the caller adds each admissible candidate's).
        self.seen: set[str] = set()

    def hopeless(
        self, chosen: Mapping[str, str], warnings: int, changed: tuple[str, ...] = ()
    ) -> bool:
        """Only `chosen` matters: a version once chosen is the candidate's version."""
        version = chosen.get(self.component)
        return version is not None and version in self.seen
