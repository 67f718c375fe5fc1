"""Cambricon candidates from the matrix tables `torch_mlu` (each torch_mlu build with its torch and
its Neuware, CNNL, CNCL and driver minimums) and `neuware_driver`, judged by
`chipdoctor.rules.cambricon` itself (no error; its warnings are the candidate's):

- the installed stack as it is, when the rules accept it (a host without PyTorch is not given
  one unless a pin asks for it);
- otherwise a torch_mlu build of the table with the torch it is built for (the installed torch
  when it is that release);
- the driver, Neuware (CNToolkit), CNNL and CNCL are kept when the rules accept them; else the
  minimum the torch_mlu row (or, for the driver, the Neuware's published pairing) names;
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
from chipdoctor.rules.common import lowest, release_of

DRIVER, NEUWARE = "cambricon_driver", "neuware"
LIBRARIES = ("cnnl", "cncl")
#: What the host has and a change of which is an administrator's or a toolkit install.
HOST = (DRIVER, NEUWARE, *LIBRARIES)


class _Index:
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
        order = newest_first("torch_mlu", [v for v, _ in builds])
        first = dict(reversed(builds))
        self.builds = [(v, first[v]) for v in order]
        self.drivers = RowIndex(matrix.table("neuware_driver"))


_index = PerMatrix(_Index)


def minimum(component: str, row: Row) -> str | None:
    """The version a row asks for at least (`>=6.2.0` -> 6.2.0, `4.4.3` -> 4.4.3)."""
    patterns = row.patterns(component)
    return lowest(component, patterns) if patterns else None


class CambriconResolver:
    stack = "cambricon"
    hard = (DRIVER,)
    medium = (NEUWARE, "python")
    derived = LIBRARIES
    soft = ("torch_mlu", "torch")

    def candidates(
        self,
        matrix: Matrix,
        current: Mapping[str, str],
        pins: Iterable[Pin],
        accept: Accept | None,
    ) -> Iterator[Candidate]:
        search = _Search(_index(matrix), current, by_component(pins), accept)
        yield from search.as_installed()
        for version, row in search.index.builds:
            yield from search.with_build(version, row)


@dataclass
class _Search:
    index: _Index
    current: Mapping[str, str]
    by: Mapping[str, list[Pin]]
    accept: Accept | None

    def as_installed(self) -> Iterator[Candidate]:
        target = {c: v for c, v in self.current.items() if c in (*HOST, "torch", "torch_mlu")}
        if "torch" in target and "torch_mlu" not in target:
            return  # a torch alone does not use the MLU: a torch_mlu build is the fix
        target.update(self._python())
        yield from self._judged(target, None)

    def with_build(self, version: str, row: Row) -> Iterator[Candidate]:
        torch = self._torch(row)
        if torch is None or not allowed(self.by, "torch_mlu", version):
            return
        options = [self._options(c, row) for c in HOST]
        for values in product(*options):
            target = {c: v for c, v in zip(HOST, values) if v}
            target.update(torch_mlu=version, torch=torch, **self._python())
            yield from self._judged(target, row)

    def _torch(self, row: Row) -> str | None:
        release = row.first("torch")
        installed = self.current.get("torch")
        if installed and release_of(installed) == release_of(release):
            return installed if allowed(self.by, "torch", installed) else None
        return release if allowed(self.by, "torch", release) else None

    def _options(self, component: str, row: Row) -> list[str | None]:
        """The installed version, then the row's minimum (or the driver Neuware pairs with)."""
        installed = self.current.get(component)
        if component == DRIVER and installed is None and not self.by.get(DRIVER):
            return [None]  # an unknown driver (cnmon missing) is not something to ask for
        out: list[str | None] = []
        if installed and allowed(self.by, component, installed):
            out.append(installed)
        wanted = minimum(component, row)
        if component == DRIVER and wanted is None:
            neuware = minimum(NEUWARE, row) or self.current.get(NEUWARE)
            paired = self.index.drivers.lookup(neuware) if neuware else []
            wanted = minimum(DRIVER, paired[0]) if paired else None
        if wanted and wanted != installed and allowed(self.by, component, wanted):
            out.append(wanted)
        return out or [None]

    def _python(self) -> dict[str, str]:
        python = self.current.get("python")
        if python and allowed(self.by, "python", python):
            return {"python": python}
        pinned = [p.text for p in self.by.get("python", ())]
        return {"python": pinned[0]} if pinned else {}

    def _judged(self, target: dict[str, str], row: Row | None) -> Iterator[Candidate]:
        accepted, warnings = self.index.judge(target)
        if accepted and (self.accept is None or self.accept(target)):
            yield Candidate(target, LazyReasons({}, partial(self._explain, target, row)), warnings)

    def _explain(self, target: Mapping[str, str], row: Row | None) -> dict[str, str]:
        """Why each version: written for the chosen stack only."""
        cite = self.index.matrix.short_origin(row) if row is not None else ""
        reasons: dict[str, str] = {}
        for component, version in target.items():
            if version == self.current.get(component):
                reasons[component] = kept_reason(T("check's rules accept it with this stack"))
            elif component == "torch_mlu":
                reasons[component] = T("a torch_mlu build the matrix lists ({cite})", cite=cite)
            elif component == "torch":
                reasons[component] = T(
                    "torch_mlu {torch_mlu} is built for torch {torch} ({cite})",
                    torch_mlu=target.get("torch_mlu", ""),
                    torch=version,
                    cite=cite,
                )
            elif component == "python":
                reasons[component] = T("pinned")
            else:
                reasons[component] = T(
                    "the minimum torch_mlu {torch_mlu} needs ({cite})",
                    torch_mlu=target.get("torch_mlu", ""),
                    cite=cite,
                )
        return reasons


RESOLVER = CambriconResolver()
