"""Hygon DCU candidates from the matrix tables `torch_dtk` and `driver_dtk`, judged by
the DCU rules (`rules.py` here) themselves (each target goes through `evaluate`: no error, and
their warnings are the candidate's):

- torch is a Hygon DAS build a `torch_dtk` row lists, as pip reports it (`2.5.1+das.opt1.dtk2604`;
  rows before DAS 1.2 name only the release), or the installed DAS build when the rules accept
  it; never a CPU, CUDA or upstream ROCm build;
- DTK is the one the build is made for, or the installed DTK when the rules accept the build on
  it (another patch of the same DTK release is a warning);
- the driver is kept when Hygon's table lists the DTK for the driver's tier, or when the driver
  is newer than every tier that lists the DTK (a warning, as `check` warns). Older, the DTK does
  not run on it: the candidate names the minimum of a tier that lists the DTK instead, which the
  ranking picks only when the pins leave no DTK the installed driver runs. An unknown driver
  (no version found) constrains nothing and stays out of the target;
- Python is one the build's row lists: the wheels are published per Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from chipdoctor.i18n import T
from chipdoctor.matrix.model import INCOMPATIBLE, Matrix, Row
from chipdoctor.resolve.index import PerMatrix, is_concrete, matches, newest_first
from chipdoctor.resolve.judge import Judge
from chipdoctor.resolve.model import Accept, Candidate, installed_reason, kept_reason
from chipdoctor.resolve.pins import Pin, allowed, by_component
from chipdoctor.resolve.rank import Bound
from chipdoctor.rules.common import release_of
from chipdoctor.stacks._hip.rocm_versions import dtk_from_torch, is_dtk_build
from chipdoctor.stacks.dcu.rules import DRIVER_TABLE, TORCH_TABLE, driver_number
from chipdoctor.versions import InvalidVersion, VendorVersion, parse_vendor

DRIVER = "hygon_driver"

#: How a driver stands with a DTK in Hygon's table.
_OK, _NEWER, _OLDER = "ok", "newer", "older"


@dataclass
class Build:
    """One torch build: the version pip reports, the DTK it is made for, the rows listing it."""

    torch: str
    dtk: str | None
    rows: list[Row] = field(default_factory=list)

    @property
    def pythons(self) -> list[str]:
        listed = (p for row in self.rows for p in row.patterns("python") if is_concrete(p))
        return list(dict.fromkeys(listed))

    @property
    def judged_as(self) -> str:
        """The version the rules read: a pre-DAS 1.2 row names only the release, but its wheels
        end their local tag in `dtk<YYMM[P]>` (`2.1.0+das1.1.git3ac1bdd.abi1.dtk2404`)."""
        if "+" in self.torch or not self.dtk:
            return self.torch
        return f"{self.torch}+dtk{self.dtk.replace('.', '')}"

    def row_for(self, python: str | None) -> Row | None:
        """The row that lists this Python (else the first): the one to cite and download."""
        for row in self.rows:
            if python and any(matches("python", p, python) for p in row.patterns("python")):
                return row
        return self.rows[0] if self.rows else None


@dataclass(frozen=True)
class _Tier:
    bound: VendorVersion
    text: str  # the minimum as written: 6.3.30
    row: Row


class _Index:
    """The tables, read once per loaded matrix; every judgement of a target memoised."""

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        builds: dict[tuple[str, str], Build] = {}
        for row in matrix.table(TORCH_TABLE).rows:
            dtk = row.first("dtk")
            if row.verdict == INCOMPATIBLE or not is_concrete(dtk):
                continue
            for torch in row.patterns("torch"):
                if is_concrete(torch):
                    builds.setdefault((torch, dtk), Build(torch, dtk)).rows.append(row)
        self.builds = list(builds.values())
        self.tiers: list[_Tier] = []
        for row in matrix.table(DRIVER_TABLE).rows:
            if row.cards:
                continue  # a card's own rule (BW200's) names no DTK release to plan towards
            text = row.first(DRIVER).lstrip(">= ")
            try:
                self.tiers.append(_Tier(parse_vendor(text), text, row))
            except InvalidVersion:
                continue
        self.tiers.sort(key=lambda tier: tier.bound, reverse=True)
        self._judge = Judge("dcu", matrix)

    def known(self, torch: str) -> Build | None:
        """The installed torch as a build, when it is a DAS build (with the rows that know it)."""
        if not is_dtk_build(torch):
            return None
        built_for = dtk_from_torch(torch)
        rows = [
            row
            for row in self.matrix.table(TORCH_TABLE).lookup(torch)
            if "+" in row.first("torch")
            or (built_for is not None and row.matches("dtk", built_for))
        ]
        return Build(torch, built_for, rows)

    def listing(self, dtk: str) -> list[_Tier]:
        """The driver tiers that list this DTK, newest minimum first."""
        return [tier for tier in self.tiers if tier.row.matches("dtk", dtk)]

    def driver_fit(self, driver: str, dtk: str) -> tuple[str, _Tier | None]:
        """Whether the DTK runs on the driver, with the driver's tier (rules.dcu reads the
        driver's leading number and takes the highest tier that number reaches)."""
        number = driver_number(driver)
        if number is None:
            return _OK, None
        tier = next((t for t in self.tiers if number >= t.bound), None)
        if tier is not None and tier.row.matches("dtk", dtk):
            return _OK, tier
        listing = self.listing(dtk)
        if not listing or number >= listing[0].bound:
            return _NEWER, tier
        return _OLDER, tier

    def judge(self, torch: str, dtk: str, driver: str | None) -> tuple[bool, tuple[str, ...]]:
        """(accepted, warnings): what `check` says of a host with exactly these versions."""
        return self._judge({"torch": torch, "dtk": dtk, DRIVER: driver or ""})


_index = PerMatrix(_Index)


def torch_build(matrix: Matrix, torch: str, dtk: str | None) -> Build | None:
    """The build of a target torch: the matrix's own (for that very DTK first, then for its
    release), else the installed DAS build with the rows that know it."""
    index = _index(matrix)
    same = [build for build in index.builds if build.torch == torch]
    if dtk:
        same.sort(key=lambda b: (b.dtk != dtk, not (b.dtk and matches("dtk", b.dtk, dtk))))
    return same[0] if same else index.known(torch)


class DcuResolver:
    stack = "dcu"
    hard = (DRIVER,)
    medium = ("dtk", "python")
    derived: tuple[str, ...] = ()
    soft = ("torch",)

    def candidates(
        self,
        matrix: Matrix,
        current: Mapping[str, str],
        pins: Iterable[Pin],
        accept: Accept | None,
        bound: Bound | None = None,
    ) -> Iterator[Candidate]:
        index = _index(matrix)
        by = by_component(pins)
        for build in _builds(index, current.get("torch")):
            if not allowed(by, "torch", build.torch):
                continue
            for dtk in _dtk_options(build, current.get("dtk")):
                if allowed(by, "dtk", dtk):
                    yield from _Search(index, build, dtk, current, by, accept).candidates()


def _builds(index: _Index, installed: str | None) -> list[Build]:
    """The installed DAS build first (kept when it fits), then every build of the matrix.

    A row that names only a release is skipped when the installed torch is that very release
    without a local tag: that one is not a DAS build (PyPI's or a CPU one), and a target equal
    to it would read as "keep".
    """
    out = []
    own = index.known(installed) if installed else None
    if own is not None:
        out.append(own)
    for build in index.builds:
        if own is not None and build.torch == own.torch:
            continue
        if installed and build.torch == installed and "+" not in installed:
            continue
        out.append(build)
    return out


def _dtk_options(build: Build, installed: str | None) -> list[str]:
    """The installed DTK (the rules decide whether the build runs on it), then the build's."""
    options = [installed] if installed else []
    if build.dtk and build.dtk != installed:
        options.append(build.dtk)
    return options


def _full_driver(text: str) -> bool:
    """A driver version, not a prefix: `6.3.31` or `6.3.31-V1.5.0a`, not `6.3`."""
    number = driver_number(text)
    return number is not None and len(number.tokens) >= 3


@dataclass
class _Search:
    """One build on one DTK: the driver and Python that complete the stack."""

    index: _Index
    build: Build
    dtk: str
    current: Mapping[str, str]
    by: Mapping[str, list[Pin]]
    accept: Accept | None

    def candidates(self) -> Iterator[Candidate]:
        """With the installed driver when the DTK runs on it, else with each driver the table
        requires (only when the host's driver is known or a pin names one)."""
        installed = self.current.get(DRIVER)
        why_not: str = T("pinned to another driver")
        if installed and allowed(self.by, DRIVER, installed):
            fit, tier = self.index.driver_fit(installed, self.dtk)
            if fit != _OLDER:
                found = self._finish(installed, self._kept_reason(installed, fit, tier))
                if found is not None:
                    yield found
                return
            why_not = (
                T(
                    "its tier >={bound} lists DTK {listed}",
                    bound=tier.text,
                    listed=", ".join(tier.row.patterns("dtk")),
                )
                if tier is not None
                else T("it is older than every driver in Hygon's table")
            )
        if not installed and DRIVER not in self.by:
            found = self._finish(None, "")
            if found is not None:
                yield found
            return
        for driver, tier in self._driver_choices():
            listed = T(
                "Hygon lists DTK {dtk} for drivers >={bound} ({cite})",
                dtk=self.dtk,
                bound=tier.text,
                cite=self.index.matrix.short_origin(tier.row),
            )
            reason = (
                T(
                    "the installed driver {installed} does not run DTK {dtk} ({why}); {listed}",
                    installed=installed,
                    dtk=self.dtk,
                    why=why_not,
                    listed=listed,
                )
                if installed
                else listed
            )
            found = self._finish(driver, reason)
            if found is not None:
                yield found

    def _driver_choices(self) -> list[tuple[str, _Tier]]:
        """The minimum of each tier that lists the DTK, and a full driver version a pin names,
        that the DTK runs on (each with the tier that vouches for it)."""
        named = [p.text for p in self.by.get(DRIVER, ()) if _full_driver(p.text)]
        options = [*(t.text for t in self.index.listing(self.dtk)), *named]
        out = []
        for driver in newest_first(DRIVER, options):
            if not allowed(self.by, DRIVER, driver):
                continue
            fit, tier = self.index.driver_fit(driver, self.dtk)
            if fit == _OK and tier is not None:
                out.append((driver, tier))
        return out

    def _kept_reason(self, driver: str, fit: str, tier: _Tier | None) -> str:
        if tier is None:
            why = T("Hygon's table does not read driver {driver}", driver=driver)
        elif fit == _OK:
            why = T(
                "Hygon lists DTK {dtk} for drivers >={bound} ({cite})",
                dtk=self.dtk,
                bound=tier.text,
                cite=self.index.matrix.short_origin(tier.row),
            )
        else:
            why = T(
                "driver {driver} is newer than the drivers Hygon lists DTK {dtk} for",
                driver=driver,
                dtk=self.dtk,
            )
        return T("installed; kept (the hardest to change): {why}", why=why)

    def _finish(self, driver: str | None, driver_reason: str) -> Candidate | None:
        build, dtk = self.build, self.dtk
        accepted, warnings = self.index.judge(build.judged_as, dtk, driver)
        if not accepted:
            return None
        target = {"dtk": dtk, "torch": build.torch}
        if driver:
            target[DRIVER] = driver
        python = self._python(target)
        if python is None:
            return None
        target["python"] = python
        reasons = {DRIVER: driver_reason} if driver else {}
        reasons.update(self._reasons(python))
        return Candidate(target, reasons, warnings)

    def _reasons(self, python: str) -> dict[str, str]:
        build, dtk, current = self.build, self.dtk, self.current
        row = build.row_for(python)
        cite = self.index.matrix.short_origin(row) if row is not None else ""
        built_for = build.dtk or dtk
        if row is None:
            made = T("a Hygon build for DTK {dtk} that the matrix does not list", dtk=built_for)
        else:
            made = T(
                "the Hygon build for DTK {dtk}, download directory {branch} ({cite})",
                dtk=built_for,
                branch=row.extra.get("branch", ""),
                cite=cite,
            )
        on = (
            T(
                "torch {torch} is built for DTK {dtk} ({cite})",
                torch=build.torch,
                dtk=built_for,
                cite=cite,
            )
            if row is not None
            else T("torch {torch} is built for DTK {dtk}", torch=build.torch, dtk=built_for)
        )
        pythons = ", ".join(build.pythons)
        listed = (
            T(
                "the torch {torch} wheels are published for Python {pythons} ({cite})",
                torch=release_of(build.torch),
                pythons=pythons,
                cite=cite,
            )
            if pythons
            else T("the matrix lists no Python for torch {torch}", torch=build.torch)
        )
        return {
            "torch": kept_reason(made) if build.torch == current.get("torch") else made,
            "dtk": kept_reason(on) if dtk == current.get("dtk") else on,
            "python": installed_reason(listed) if python == current.get("python") else listed,
        }

    def _python(self, target: Mapping[str, str]) -> str | None:
        """The installed Python when the build is published for it, else the newest listed."""
        listed = self.build.pythons
        installed = self.current.get("python")
        options: list[str] = []
        if installed and (not listed or any(matches("python", p, installed) for p in listed)):
            options.append(installed)
        options += newest_first("python", listed)
        for python in dict.fromkeys(options):
            if not allowed(self.by, "python", python):
                continue
            if self.accept is None or self.accept({**target, "python": python}):
                return python
        return None


RESOLVER = DcuResolver()
