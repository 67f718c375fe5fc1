"""Cambricon candidates from the matrix tables `torch_mlu` (each torch_mlu build with its torch and
its Neuware, CNNL, CNCL and driver minimums) and `neuware_driver` (the driver each CNToolkit is
published with), judged by the Cambricon rules (`rules.py` here) themselves (no error; their
warnings are the candidate's):

- the installed stack, when the rules accept it; a host with neither torch nor torch_mlu is
  given PyTorch only when a pin or a recipe asks for it (an SDK-only host needs none);
- else a torch_mlu build of the table with the torch it is built for: the installed torch when
  it is that release and the rules accept its build, else the plain release (the pip step says
  which wheel: PyTorch's CPU one from 2.4 on, Cambricon's own before);
- Neuware (CNToolkit): the installed one, the minimum the build's row names, or the newest
  CNToolkit whose published pairing the installed driver meets (the ranking weighs a pairing
  warning before a toolkit change, as `check` warns of it);
- the driver: the installed one, the build's minimum or the one its CNToolkit is paired with;
  an unknown driver (no cnmon) is never put in a plan;
- CNNL and CNCL follow the SDK: the installed ones, or the build's minimums;
- Python is kept, or the pinned one (the table ties none to torch_mlu).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import product

from chipdoctor.i18n import T
from chipdoctor.matrix.model import INCOMPATIBLE, Matrix, Row
from chipdoctor.resolve.index import PerMatrix, RowIndex, is_concrete, newest_first
from chipdoctor.resolve.judge import Judge
from chipdoctor.resolve.model import Accept, Candidate, LazyReasons, kept_reason
from chipdoctor.resolve.pins import Pin, allowed, by_component
from chipdoctor.resolve.rank import Bound
from chipdoctor.rules.common import compare, lowest, release_of

DRIVER, NEUWARE = "cambricon_driver", "neuware"
LIBRARIES = ("cnnl", "cncl")
PYTORCH = ("torch_mlu", "torch")


@dataclass(frozen=True)
class _Pick:
    """One version of a component and why it is there (`why` names the reason to write)."""

    version: str | None
    why: str = "kept"
    row: Row | None = None


_NONE = _Pick(None)


class _Index:
    """The tables of one matrix, read once: builds newest first, CNToolkits with their driver."""

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.judge = Judge("cambricon", matrix)
        builds = [
            (version, row)
            for row in matrix.table("torch_mlu").rows
            if row.verdict != INCOMPATIBLE
            for version in row.patterns("torch_mlu")
            if is_concrete(version)
        ]
        first = dict(reversed(builds))
        self.builds = [(v, first[v]) for v in newest_first("torch_mlu", first)]
        pairings = RowIndex(matrix.table("neuware_driver"))
        listed = [
            v
            for row in matrix.table("neuware_driver").rows
            for v in row.patterns(NEUWARE)
            if is_concrete(v)
        ]
        #: Each CNToolkit the pairing table lists, newest first, with the lowest driver its rows
        #: name and the first of them (what the rules compare the installed driver with).
        self.toolkits: list[tuple[str, str, Row]] = []
        for version in newest_first(NEUWARE, listed):
            rows = [r for r in pairings.lookup(version) if r.patterns(DRIVER)]
            bound = lowest(DRIVER, [p for r in rows for p in r.patterns(DRIVER)])
            if rows and bound:
                self.toolkits.append((version, bound, rows[0]))
        self.paired = {version: (bound, row) for version, bound, row in self.toolkits}


_index = PerMatrix(_Index)


def minimum(component: str, row: Row) -> str | None:
    """The version a row asks for at least (`>=6.2.0` -> 6.2.0, `4.4.3` -> 4.4.3)."""
    patterns = row.patterns(component)
    return lowest(component, patterns) if patterns else None


def meets(driver: str, bound: str) -> bool:
    """The driver is the bound's release or newer (how the rules weigh a pairing)."""
    return (compare(DRIVER, driver, bound) or 0) >= 0


class CambriconResolver:
    stack = "cambricon"
    hard = (DRIVER,)
    medium = (NEUWARE, "python")
    derived = LIBRARIES
    soft = PYTORCH

    def candidates(
        self,
        matrix: Matrix,
        current: Mapping[str, str],
        pins: Iterable[Pin],
        accept: Accept | None,
        bound: Bound | None = None,
    ) -> Iterator[Candidate]:
        by = by_component(pins)
        search = _Search(_index(matrix), current, by, accept)
        yield from search.as_installed()
        # PyTorch where the host has it, a pin asks for it or a recipe (a PyTorch container) is
        # written; an SDK-only host is not given one to quiet a warning.
        if any(c in current or by.get(c) for c in PYTORCH) or accept is not None:
            for version, row in search.index.builds:
                yield from search.with_build(version, row)


@dataclass
class _Search:
    index: _Index
    current: Mapping[str, str]
    by: Mapping[str, list[Pin]]
    accept: Accept | None

    def as_installed(self) -> Iterator[Candidate]:
        """The installed torch and torch_mlu (or none), with the host's SDK or a fitting one."""
        if "torch" in self.current and "torch_mlu" not in self.current:
            return  # a torch alone does not use the MLU: a torch_mlu build is the fix
        pytorch = [self._kept(c) for c in PYTORCH]
        if any(p.version and not allowed(self.by, c, p.version) for c, p in zip(PYTORCH, pytorch)):
            return
        yield from self._stacks(None, pytorch)

    def with_build(self, version: str, row: Row) -> Iterator[Candidate]:
        if not allowed(self.by, "torch_mlu", version):
            return
        build = _Pick(version, "build", row)
        for torch in self._torch(row):
            yield from self._stacks(row, [build, torch])

    def _stacks(self, row: Row | None, pytorch: list[_Pick]) -> Iterator[Candidate]:
        python = self._python()
        for neuware in self._neuwares(row):
            options = [
                self._drivers(row, neuware.version),
                [neuware],
                *(self._libraries(c, row) for c in LIBRARIES),
            ]
            for host in product(*options):
                picks = dict(zip((DRIVER, NEUWARE, *LIBRARIES), host))
                picks.update(zip(PYTORCH, pytorch))
                picks["python"] = python
                target = {c: p.version for c, p in picks.items() if p.version}
                yield from self._judged(target, picks)

    def _kept(self, component: str) -> _Pick:
        version = self.current.get(component)
        return _Pick(version) if version else _NONE

    def _offer(self, out: list[_Pick], component: str, pick: _Pick) -> None:
        """Add a version the pins allow, once (the first reason for it stays)."""
        fresh = all(p.version != pick.version for p in out)
        if pick.version and fresh and allowed(self.by, component, pick.version):
            out.append(pick)

    def _torch(self, row: Row) -> list[_Pick]:
        """The installed torch when it is the row's release (the rules judge its build), and
        the plain release."""
        release = row.first("torch")
        out: list[_Pick] = []
        installed = self.current.get("torch")
        if installed and release_of(installed) == release_of(release):
            self._offer(out, "torch", _Pick(installed))
        self._offer(out, "torch", _Pick(release, "torch", row))
        return out

    def _neuwares(self, row: Row | None) -> list[_Pick]:
        installed = self.current.get(NEUWARE)
        out: list[_Pick] = []
        if installed:
            self._offer(out, NEUWARE, _Pick(installed))
        if row is not None and (wanted := minimum(NEUWARE, row)):
            self._offer(out, NEUWARE, _Pick(wanted, "minimum", row))
        if installed or row is not None:
            driver = self.current.get(DRIVER)
            fitting = [
                (version, bound, paired)
                for version, bound, paired in self.index.toolkits
                if row is None or not row.patterns(NEUWARE) or row.matches(NEUWARE, version)
                if allowed(self.by, NEUWARE, version)
            ]
            if driver:
                best = next(((v, r) for v, bound, r in fitting if meets(driver, bound)), None)
                if best is not None:
                    self._offer(out, NEUWARE, _Pick(best[0], "toolkit", best[1]))
            if self.by.get(NEUWARE) and fitting:
                self._offer(out, NEUWARE, _Pick(fitting[0][0], "pinned", fitting[0][2]))
        return out or [_NONE]

    def _drivers(self, row: Row | None, neuware: str | None) -> list[_Pick]:
        """The installed driver, then the row's minimum, then the one CNToolkit is paired with."""
        installed = self.current.get(DRIVER)
        if installed is None and not self.by.get(DRIVER):
            return [_NONE]  # an unknown driver (cnmon missing) is not something to ask for
        out: list[_Pick] = []
        if installed:
            self._offer(out, DRIVER, _Pick(installed))
        if row is not None and (wanted := minimum(DRIVER, row)):
            self._offer(out, DRIVER, _Pick(wanted, "minimum", row))
        paired = self.index.paired.get(neuware or "")
        if paired is not None:
            self._offer(out, DRIVER, _Pick(paired[0], "paired", paired[1]))
        return out or [_NONE]

    def _libraries(self, component: str, row: Row | None) -> list[_Pick]:
        out: list[_Pick] = []
        self._offer(out, component, self._kept(component))
        if row is not None and (wanted := minimum(component, row)):
            self._offer(out, component, _Pick(wanted, "minimum", row))
        return out or [_NONE]

    def _python(self) -> _Pick:
        python = self.current.get("python")
        if python and allowed(self.by, "python", python):
            return _Pick(python)
        pinned = [p.text for p in self.by.get("python", ())]
        return _Pick(pinned[0], "pinned") if pinned else _NONE

    def _judged(self, target: dict[str, str], picks: dict[str, _Pick]) -> Iterator[Candidate]:
        accepted, warnings = self.index.judge(target)
        if accepted and (self.accept is None or self.accept(target)):
            reasons = LazyReasons({}, partial(self._explain, target, picks))
            yield Candidate(target, reasons, warnings)

    def _explain(self, target: Mapping[str, str], picks: Mapping[str, _Pick]) -> dict[str, str]:
        """Why each version: written for the chosen stack only."""
        reasons: dict[str, str] = {}
        torch_mlu = target.get("torch_mlu", "")
        for component, version in target.items():
            pick = picks[component]
            cite = self.index.matrix.short_origin(pick.row) if pick.row is not None else ""
            if version == self.current.get(component):
                reasons[component] = kept_reason(T("check's rules accept it with this stack"))
            elif pick.why == "build":
                reasons[component] = self._build_reason(target, pick, cite)
            elif pick.why == "torch":
                reasons[component] = T(
                    "torch_mlu {torch_mlu} is built for torch {torch} ({cite})",
                    torch_mlu=torch_mlu,
                    torch=version,
                    cite=cite,
                )
            elif pick.why == "minimum" and pick.row is not None:
                stated = pick.row.first(component).startswith(">=")
                reasons[component] = (
                    T(
                        "the minimum torch_mlu {torch_mlu} needs ({cite})",
                        torch_mlu=torch_mlu,
                        cite=cite,
                    )
                    if stated
                    else T(
                        "the version torch_mlu {torch_mlu} is published with ({cite})",
                        torch_mlu=torch_mlu,
                        cite=cite,
                    )
                )
            elif pick.why == "toolkit" and pick.row is not None:
                reasons[component] = T(
                    "the newest CNToolkit published with MLU driver {drivers}, which the "
                    "installed {driver} meets ({cite})",
                    drivers=", ".join(pick.row.patterns(DRIVER)),
                    driver=self.current.get(DRIVER, ""),
                    cite=cite,
                )
            elif pick.why == "pinned" and pick.row is not None:
                reasons[component] = T(
                    "pinned; published with MLU driver {drivers} ({cite})",
                    drivers=", ".join(pick.row.patterns(DRIVER)),
                    cite=cite,
                )
            elif pick.why == "paired":
                reasons[component] = T(
                    "the MLU driver CNToolkit {neuware} is published with ({cite})",
                    neuware=target.get(NEUWARE, ""),
                    cite=cite,
                )
            else:
                reasons[component] = T("pinned")
        return reasons

    def _build_reason(self, target: Mapping[str, str], pick: _Pick, cite: str) -> str:
        """A build; with the driver it needs when cnmon could not show the driver here."""
        reason = T("a torch_mlu build the matrix lists ({cite})", cite=cite)
        needs = minimum(DRIVER, pick.row) if pick.row is not None else None
        if needs is None or DRIVER in target:
            return reason
        return T(
            "{reason}; it needs MLU driver {driver} or newer, which is unknown here (no cnmon)",
            reason=reason,
            driver=needs,
        )


RESOLVER = CambriconResolver()
