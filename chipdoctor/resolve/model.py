"""What the resolver works with and returns: candidate stacks, conflicts, the resolution."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from chipdoctor.i18n import T
from chipdoctor.matrix.model import Matrix
from chipdoctor.resolve.pins import Pin

if TYPE_CHECKING:
    from chipdoctor.resolve.rank import Bound

#: Extra acceptance test on a candidate target (e.g. "an official image exists for it").
Accept = Callable[[Mapping[str, str]], bool]


class DeviceOnly:
    """A stack's `target_filter` standing alone as the resolver's accept test (no recipe asked
    for a base image): a resolver that widens its search for recipes (AMD's rocm/pytorch image
    builds, which no pip index serves) must not widen it for this."""

    def __init__(self, test: Accept) -> None:
        self.test = test

    def __call__(self, target: Mapping[str, str]) -> bool:
        return self.test(target)


def kept_reason(reason: str) -> str:
    """A reason for a version that is installed and stays."""
    return T("installed; kept: {reason}", reason=reason)


def installed_reason(reason: str) -> str:
    """A reason for a version that is installed and also the one the matrix lists."""
    return T("installed; {reason}", reason=reason)


class LazyReasons(Mapping[str, str]):
    """Reasons written when first read: a search weighs thousands of candidates and explains
    one, and writing every translatable reason of every candidate doubled its time."""

    def __init__(self, ready: Mapping[str, str], later: Callable[[], Mapping[str, str]]) -> None:
        self._ready = ready
        self._later: Callable[[], Mapping[str, str]] | None = later
        self._all: dict[str, str] = {}

    def _written(self) -> dict[str, str]:
        if self._later is not None:
            self._all = {**self._ready, **self._later()}
            self._later = None
        return self._all

    def __getitem__(self, key: str) -> str:
        return self._written()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._written())

    def __len__(self) -> int:
        return len(self._written())


@dataclass(frozen=True)
class Candidate:
    """One complete stack the matrix vouches for, with why each version is there.

    `warnings` name pairings the matrix does not publish but `check` only warns about (a
    driver newer than the ones a toolkit lists); a candidate with fewer is better.
    """

    target: Mapping[str, str]
    reasons: Mapping[str, str]
    warnings: tuple[str, ...] = ()
    #: Its place in the matrix's order (the last tie-break), for a stack that weighs its
    #: candidates in another order; empty: the order they come in.
    order: tuple[int, ...] = ()


@dataclass(frozen=True)
class Conflict:
    """Pins that no stack satisfies together (a minimal set: drop any one and a stack exists)."""

    options: tuple[str, ...]
    message: str


@dataclass
class Resolution:
    stack: str
    pins: tuple[Pin, ...]
    #: What is installed now, by component (absent: not installed or unknown).
    current: dict[str, str]
    #: The chosen stack, by component; empty when there are conflicts.
    target: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    #: The components in display order, hardest to change first.
    order: tuple[str, ...] = ()
    #: The host's own components (driver, firmware): a container gets them from the host.
    hard: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.conflicts

    def changed(self, component: str) -> bool:
        target = self.target.get(component)
        return target is not None and target != self.current.get(component)


class StackResolver(Protocol):
    """One stack's knowledge of its tables; the generic search lives in resolve.core.

    Components are ranked by how hard they are to change: `hard` (the administrator's:
    driver, firmware) before any matrix warning, then `medium` (the vendor toolkit, then
    Python) one by one, then `soft` (pip packages) counted together.
    """

    @property
    def stack(self) -> str: ...

    @property
    def hard(self) -> tuple[str, ...]: ...

    @property
    def medium(self) -> tuple[str, ...]: ...

    @property
    def soft(self) -> tuple[str, ...]: ...

    @property
    def derived(self) -> tuple[str, ...]:
        """Components that follow another (CANN kernels follow the toolkit): shown, not ranked."""
        ...

    def candidates(
        self,
        matrix: Matrix,
        current: Mapping[str, str],
        pins: Iterable[Pin],
        accept: Accept | None,
        bound: Bound | None = None,
    ) -> Iterable[Candidate]:
        """Every stack worth considering (pins may be used to prune; core re-checks them).

        `bound`, when given, may drop a branch it calls hopeless; it learns as the caller takes
        candidates (a Ranking the best so far, so a stack that yields likely winners first skips
        more; a Distinct the versions already listed).
        """
        ...
