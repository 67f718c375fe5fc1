"""Ascend candidates from the matrix tables `torch_npu`, `torch_npu_cann`, `cann_driver`,
`driver_firmware` and `cann_python`, judged the way `chipdoctor.stacks.ascend.rules` judges a host:

- torch is a release a `torch_npu` row pairs with that torch_npu (else `check` errs);
- CANN is a row's CANN, or one `torch_npu_cann` declares compatible (else it warns or errs);
- the driver is listed for that CANN by a compatible `cann_driver` row; a driver newer than every
  listed one is kept with a warning (as `check` warns); older, or marked incompatible, is not;
- the firmware is the one `driver_firmware` publishes with the driver (else `check` warns);
- Python is listed for the torch_npu and inside the CANN install guide's range (`cann_python`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial

from chipdoctor.i18n import T
from chipdoctor.matrix.model import INCOMPATIBLE, Matrix, Row
from chipdoctor.resolve.index import (
    PerMatrix,
    RowIndex,
    concrete,
    is_concrete,
    matches,
    newest_key,
)
from chipdoctor.resolve.model import (
    Accept,
    Candidate,
    LazyReasons,
    installed_reason,
    kept_reason,
)
from chipdoctor.resolve.pins import Pin, allowed, by_component
from chipdoctor.resolve.rank import Bound, Ranking
from chipdoctor.rules.common import compare, lowest
from chipdoctor.versions import InvalidVersion, VendorVersion, parse_vendor

DRIVER, FIRMWARE = "ascend_driver", "ascend_firmware"
#: (CANN, the row that vouches for it, whether it is the row's own pairing).
_Option = tuple[str, Row, bool]
#: A torch_npu's place in the matrix, and its CANN option's.
_Place = tuple[int, int]


@dataclass
class _Group:
    """Every `torch_npu` row of one torch_npu version, merged as `check` reads them."""

    torch_npu: str
    rows: list[Row] = field(default_factory=list)
    _patterns: dict[str, list[str]] = field(default_factory=dict)
    _pairs: dict[str, bool] = field(default_factory=dict)

    def pairs_with(self, torch: str) -> bool:
        """Whether a row of this torch_npu names that torch (asked once per search)."""
        if torch not in self._pairs:
            self._pairs[torch] = any(_row_matches(r, "torch", torch) for r in self.rows)
        return self._pairs[torch]

    def patterns(self, component: str) -> list[str]:
        if component not in self._patterns:
            found = (p for row in self.rows for p in row.patterns(component))
            self._patterns[component] = list(dict.fromkeys(found))
        return self._patterns[component]


class _Index:
    """The tables, indexed once per loaded matrix."""

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        groups: dict[str, _Group] = {}
        for row in matrix.table("torch_npu").rows:
            if row.verdict == INCOMPATIBLE:
                continue
            for version in row.patterns("torch_npu"):
                if is_concrete(version):
                    groups.setdefault(version, _Group(version)).rows.append(row)
        self.groups = list(groups.values())
        self.compat = RowIndex(matrix.table("torch_npu_cann"))
        self.drivers = RowIndex(matrix.table("cann_driver"))
        self.firmware = RowIndex(matrix.table("driver_firmware"))
        self.python = RowIndex(matrix.table("cann_python"))
        canns = {
            p
            for name in (
                "torch_npu",
                "torch_npu_cann",
                "cann_driver",
                "cann_python",
                "cann_kernels",
            )
            for row in matrix.table(name).rows
            for p in row.patterns("cann")
            if is_concrete(p)
        }
        self.canns = sorted(canns)
        self._by_prefix: dict[tuple[str, ...], list[str]] = {}
        for cann in self.canns:
            tokens = _tokens(cann)
            for length in range(1, len(tokens) + 1):
                self._by_prefix.setdefault(tokens[:length], []).append(cann)
        self._status: dict[tuple[str, str], tuple[str, str]] = {}
        self._choices: dict[str, list[tuple[str, Row]]] = {}
        self._firmware: dict[str, tuple[list[str], Row | None]] = {}
        self._options: dict[tuple[str, str | None], list[_Option]] = {}

    def cann_options(self, group: _Group, installed: str | None) -> list[_Option]:
        """The CANN versions a torch_npu runs on."""
        key = (group.torch_npu, installed)
        if key not in self._options:
            self._options[key] = self._cann_options(group, installed)
        return self._options[key]

    def _cann_options(self, group: _Group, installed: str | None) -> list[_Option]:
        out: dict[str, _Option] = {}
        for own, rows in ((True, group.rows), (False, self.compat.lookup(group.torch_npu))):
            for row in rows:
                for pattern in row.patterns("cann"):
                    for hit in self._canns_matching(pattern, installed):
                        # `8.0.RC3` lists an installed 8.0.RC3.20: keep the installed one
                        keep = installed and hit != installed and matches("cann", hit, installed)
                        cann = installed if keep and installed else hit
                        out.setdefault(cann, (cann, row, own))
        return list(out.values())

    def _canns_matching(self, pattern: str, installed: str | None) -> list[str]:
        """Known CANN versions a pattern admits: by token prefix, or tested one by one."""
        line = concrete(pattern)
        if line is not None:
            tokens = _tokens(line)
            hits = list(self._by_prefix.get(tokens, ()))
            if is_concrete(pattern) and pattern not in hits:
                hits.insert(0, pattern)
        else:
            hits = [c for c in self.canns if matches("cann", pattern, c)]
        if installed and installed not in hits and matches("cann", pattern, installed):
            hits.append(installed)
        return hits

    def driver_status(self, cann: str, driver: str) -> tuple[str, str]:
        """("ok" | "warning" | "error", why), as rules.ascend._cann_vs_driver decides."""
        key = (cann, driver)
        if key not in self._status:
            self._status[key] = self._driver_status(cann, driver)
        return self._status[key]

    def _driver_status(self, cann: str, driver: str) -> tuple[str, str]:
        rows = self.drivers.lookup(cann)
        cite = self.matrix.short_origin
        for row in rows:
            if row.verdict == INCOMPATIBLE and _row_matches(row, DRIVER, driver):
                return "error", T("marked incompatible ({cite})", cite=cite(row))
        compatible = [r for r in rows if r.verdict != INCOMPATIBLE]
        for row in compatible:
            if _row_matches(row, DRIVER, driver):
                return "ok", T("CANN {cann} lists it ({cite})", cann=cann, cite=cite(row))
        patterns = [p for r in compatible for p in r.patterns(DRIVER)]
        if not patterns:
            return "warning", T("the matrix lists no driver for CANN {cann}", cann=cann)
        oldest = lowest(DRIVER, patterns) or patterns[0]
        order = compare(DRIVER, driver, oldest)
        listed = ", ".join(dict.fromkeys(patterns))
        if order is None or order < 0:
            return "error", T(
                "older than the drivers listed for CANN {cann} ({listed})", cann=cann, listed=listed
            )
        return "warning", T(
            "driver {driver} is newer than the drivers listed for CANN {cann} ({listed}); newer "
            "drivers usually run older CANN, but this pairing is not published",
            driver=driver,
            cann=cann,
            listed=listed,
        )

    def driver_rank(self, cann: str, installed: str | None) -> int:
        """0 when the installed driver runs this CANN as published, 1 with a warning, else 2."""
        if not installed:
            return 0
        return {"ok": 0, "warning": 1}.get(self.driver_status(cann, installed)[0], 2)

    def driver_choices(self, cann: str) -> list[tuple[str, Row]]:
        """Drivers a compatible row lists for this CANN, newest first (a `25.5.X` line as 25.5)."""
        if cann not in self._choices:
            self._choices[cann] = self._driver_choices(cann)
        return self._choices[cann]

    def _driver_choices(self, cann: str) -> list[tuple[str, Row]]:
        rows = self.drivers.lookup(cann)
        against = [r for r in rows if r.verdict == INCOMPATIBLE]
        out: dict[str, Row] = {}
        for row in rows:
            if row.verdict == INCOMPATIBLE:
                continue
            for pattern in row.patterns(DRIVER):
                version = concrete(pattern)
                if version and not any(_row_matches(r, DRIVER, version) for r in against):
                    out.setdefault(version, row)
        return sorted(out.items(), key=lambda item: newest_key(DRIVER, item[0]))

    def firmware_for(self, driver: str) -> tuple[list[str], Row | None]:
        """The firmware published with the driver, newest first, and the row that says so."""
        if driver not in self._firmware:
            self._firmware[driver] = self._firmware_for(driver)
        return self._firmware[driver]

    def _firmware_for(self, driver: str) -> tuple[list[str], Row | None]:
        rows = self.firmware.lookup(driver)
        patterns = [p for r in rows for p in r.patterns(FIRMWARE) if is_concrete(p)]
        return sorted(set(patterns), key=lambda v: newest_key(FIRMWARE, v)), (
            rows[0] if rows else None
        )

    def python_allowed(self, cann: str, python: str) -> bool:
        rows = self.python.lookup(cann)
        return not rows or any(_row_matches(r, "python", python) for r in rows)


@lru_cache(maxsize=65536)
def _tokens(version: str) -> tuple[str, ...]:
    parsed = vendor_version(version)
    return parsed.tokens if parsed is not None else (version,)


def vendor_version(text: str) -> VendorVersion | None:
    try:
        return parse_vendor(text)
    except InvalidVersion:
        return None


_index = PerMatrix(_Index)


class AscendResolver:
    stack = "ascend"
    hard = (DRIVER, FIRMWARE)
    medium = ("cann", "python")
    derived = ("cann_kernels", "nnal")
    soft = ("torch_npu", "torch")

    def candidates(
        self,
        matrix: Matrix,
        current: Mapping[str, str],
        pins: Iterable[Pin],
        accept: Accept | None,
        bound: Bound | None = None,
    ) -> Iterator[Candidate]:
        """Each torch_npu on each CANN it runs on; those the installed driver runs come first
        (the installed CANN's first of all), so the bound learns a good stack early and drops
        most of the rest unbuilt, before asking whether the driver runs their CANN."""
        index = _index(matrix)
        by = by_component(pins)
        installed = current.get(DRIVER)
        firmware = _Firmware(index, current, by)
        # only a ranking learns from the order: a stack it ranks lower waits for the rest
        ranked = isinstance(bound, Ranking)
        keeps = installed if installed and allowed(by, DRIVER, installed) else None
        kept = _Kept(keeps, firmware, ranked)

        def search(
            place: _Place, group: _Group, torch: str, option: _Option
        ) -> Iterator[Candidate]:
            found = _Search(
                index, group, torch, *option, current, by, accept, firmware, bound, place
            )
            return found.candidates()

        later: list[tuple[int, _Place, _Group, str, _Option]] = []
        for place, group, torch, options in _branches(index, current, by):
            chosen = {"torch_npu": group.torch_npu, "torch": torch}
            if bound is not None and kept.hopeless(bound, chosen, None):
                continue  # hopeless whatever its CANN, however well the driver runs it
            for spot, option in options:
                chosen = {"torch_npu": group.torch_npu, "torch": torch, "cann": option[0]}
                if bound is not None and kept.hopeless(bound, chosen, None):
                    continue  # hopeless however well the driver runs this CANN
                rank = index.driver_rank(option[0], installed)
                if rank and ranked:
                    later.append((rank, (place, spot), group, torch, option))
                else:
                    yield from search((place, spot), group, torch, option)
        later.sort(key=lambda item: item[0])
        for rank, where, group, torch, option in later:
            chosen = {"torch_npu": group.torch_npu, "torch": torch, "cann": option[0]}
            if bound is None or not kept.hopeless(bound, chosen, rank):
                yield from search(where, group, torch, option)


def _branches(
    index: _Index, current: Mapping[str, str], by: Mapping[str, list[Pin]]
) -> Iterator[tuple[int, _Group, str, Iterator[tuple[int, _Option]]]]:
    """Each torch_npu the pins allow, with its place in the matrix's order, its torch and (lazily:
    a hopeless torch_npu never asks) the CANN options the pins allow, each with its place. The
    installed torch_npu comes first, and the installed CANN first among its options."""
    installed = current.get("torch_npu")
    groups = sorted(enumerate(index.groups), key=lambda item: item[1].torch_npu != installed)
    for place, group in groups:
        if not allowed(by, "torch_npu", group.torch_npu):
            continue
        torch = _torch(group, current.get("torch"), by)
        if torch is not None:
            yield place, group, torch, _cann_options(index, group, current, by)


def _cann_options(
    index: _Index, group: _Group, current: Mapping[str, str], by: Mapping[str, list[Pin]]
) -> Iterator[tuple[int, _Option]]:
    cann = current.get("cann")
    options = [o for o in index.cann_options(group, cann) if allowed(by, "cann", o[0])]
    yield from sorted(enumerate(options), key=lambda item: item[1][0] != cann)


@dataclass
class _Kept:
    """The installed driver as one search may keep it (None where pins or its absence replace
    it), for judging a torch_npu on a CANN before its search is built."""

    driver: str | None
    firmware: _Firmware
    #: The bound ranks (a replaced driver ranks below a kept one), not just filters.
    ranked: bool

    def hopeless(self, bound: Bound, chosen: dict[str, str], rank: int | None) -> bool:
        """The driver stays with `rank` warnings and its firmware's, else it is replaced; with
        `rank` None (not worked out yet) it must be hopeless either way, which a ranking settles
        with the driver kept."""
        if self.driver is not None and rank != 2:
            version, _, warnings = self.firmware(self.driver, changed=False)
            stays = {**chosen, DRIVER: self.driver}
            if version is not None:
                stays[FIRMWARE] = version
            if not bound.hopeless(stays, (rank or 0) + len(warnings)):
                return False
            if rank is not None or self.ranked:
                return True
        return bound.hopeless(chosen, 0, changed=(DRIVER,))


class _Firmware:
    """The firmware each driver gets in one search: the installed one kept with the driver, else
    the one published with it. Worked out once per driver, as every CANN it runs asks."""

    def __init__(self, index: _Index, current: Mapping[str, str], by: Mapping[str, list[Pin]]):
        self.index = index
        self.current = current
        self.by = by
        self._seen: dict[tuple[str, bool], tuple[str | None, str, tuple[str, ...]]] = {}

    def __call__(self, driver: str, *, changed: bool) -> tuple[str | None, str, tuple[str, ...]]:
        """(the firmware or None, why, warnings)."""
        key = (driver, changed)
        if key not in self._seen:
            self._seen[key] = self._choose(driver, changed)
        return self._seen[key]

    def _choose(self, driver: str, changed: bool) -> tuple[str | None, str, tuple[str, ...]]:
        published, row = self.index.firmware_for(driver)
        installed = self.current.get(FIRMWARE)
        if installed and not changed and allowed(self.by, FIRMWARE, installed):
            kept = T("installed; kept with the driver")
            if published and not any(matches(FIRMWARE, p, installed) for p in published):
                warning = T(
                    "firmware {installed} is not the one published with driver {driver} "
                    "({published})",
                    installed=installed,
                    driver=driver,
                    published=", ".join(published),
                )
                return installed, kept, (warning,)
            return installed, kept, ()
        fitting = [p for p in published if allowed(self.by, FIRMWARE, p)]
        if fitting and row is not None:
            why = T(
                "published with driver {driver} ({cite})",
                driver=driver,
                cite=self.index.matrix.short_origin(row),
            )
            return fitting[0], why, ()
        return None, "", ()


def _row_matches(row: Row, component: str, version: str) -> bool:
    """`Row.matches` with every pattern test memoised."""
    return any(matches(component, p, version) for p in row.patterns(component))


def _torch(group: _Group, installed: str | None, by: Mapping[str, list[Pin]]) -> str | None:
    """The installed torch when the group pairs with it (a GPU build never), else its release."""
    gpu_build = installed is not None and ("+cu" in installed or "+rocm" in installed)
    paired = installed and group.pairs_with(installed)
    if installed and paired and not gpu_build and allowed(by, "torch", installed):
        return installed
    for pattern in group.patterns("torch"):
        if is_concrete(pattern) and allowed(by, "torch", pattern):
            return pattern
    return None


@dataclass
class _Search:
    """One torch_npu on one CANN: the driver, firmware and Python that complete the stack."""

    index: _Index
    group: _Group
    torch: str
    cann: str
    row: Row  # the row that vouches for this CANN
    own: bool  # the row's own pairing (not a compatibility declaration)
    current: Mapping[str, str]
    by: Mapping[str, list[Pin]]
    accept: Accept | None
    firmware: _Firmware
    bound: Bound | None = None
    place: _Place = (0, 0)  # its place in the matrix's order

    def candidates(self) -> Iterator[Candidate]:
        """With the installed driver when it runs this CANN, else with each listed driver."""
        installed = self.current.get(DRIVER)
        why_not = ""
        if installed and allowed(self.by, DRIVER, installed):
            status, why = self.index.driver_status(self.cann, installed)
            if status != "error":
                kept = self._finish(
                    {DRIVER: installed},
                    lambda: T("installed; kept (the hardest to change): {why}", why=why),
                    [why] if status == "warning" else [],
                    driver_changed=False,
                )
                if kept is not None:
                    yield kept
                return
            why_not = why
        for place, (driver, row) in enumerate(self.index.driver_choices(self.cann)):
            if not allowed(self.by, DRIVER, driver) or self._hopeless({DRIVER: driver}, 0):
                continue
            found = self._finish(
                {DRIVER: driver},
                partial(self._driver_reason, driver, row, why_not),
                [],
                driver_changed=True,
                place=place,
            )
            if found is not None:
                yield found

    def _driver_reason(self, driver: str, row: Row, why_not: str) -> str:
        """Why this driver replaces the installed one (or is chosen where none is known)."""
        listed = T(
            "CANN {cann} lists driver {driver} ({cite})",
            cann=self.cann,
            driver=driver,
            cite=self.index.matrix.short_origin(row),
        )
        installed = self.current.get(DRIVER)
        if not installed:
            return listed
        return T(
            "the installed driver {installed} does not run CANN {cann} ({why}); {listed}",
            installed=installed,
            cann=self.cann,
            why=why_not or T("pinned to another driver"),
            listed=listed,
        )

    def _finish(
        self,
        target: dict[str, str],
        driver_reason: Callable[[], str],
        warnings: list[str],
        *,
        driver_changed: bool,
        place: int = 0,
    ) -> Candidate | None:
        version, why, more = self.firmware(target[DRIVER], changed=driver_changed)
        firmware = {} if version is None else {FIRMWARE: why}
        if version is not None:
            target[FIRMWARE] = version
        warnings = [*warnings, *more]
        group, cann, current = self.group, self.cann, self.current
        target.update(torch_npu=group.torch_npu, torch=self.torch, cann=cann)
        if self._hopeless(target, len(warnings)):
            return None
        reasons = {DRIVER: driver_reason(), **firmware}
        python = self._python(target)
        if python is None:
            return None
        target["python"] = python
        for derived in ("cann_kernels", "nnal"):
            installed = current.get(derived)
            if installed and installed == current.get("cann") == cann:
                target[derived] = installed
            elif installed or derived == "cann_kernels":
                target[derived] = cann
        later = LazyReasons(reasons, lambda: self._explain(target, python))
        return Candidate(target, later, tuple(warnings), (*self.place, place))

    def _hopeless(self, chosen: Mapping[str, str], warnings: int) -> bool:
        if self.bound is None:
            return False
        known = {"torch_npu": self.group.torch_npu, "torch": self.torch, "cann": self.cann}
        return self.bound.hopeless({**known, **chosen}, warnings)

    def _explain(self, target: Mapping[str, str], python: str) -> dict[str, str]:
        """Why each version beside the driver and firmware: written for the chosen stack only."""
        group, cann, current = self.group, self.cann, self.current
        cite = self.index.matrix.short_origin
        reasons: dict[str, str] = {}
        first = group.rows[0]
        pairing = T("its published pairing") if self.own else T("declared compatible")
        runs = T(
            "torch_npu {torch_npu} runs on CANN {cann} ({pairing}, {cite})",
            torch_npu=group.torch_npu,
            cann=cann,
            pairing=pairing,
            cite=cite(self.row),
        )
        reasons["cann"] = kept_reason(runs) if cann == current.get("cann") else runs
        reasons["cann_kernels"] = T("the kernels/ops package of CANN {cann}", cann=cann)
        if "nnal" in target:
            reasons["nnal"] = T("NNAL (ATB) of CANN {cann}", cann=cann)
        reasons["torch_npu"] = T(
            "built for torch {torch} ({cite})", torch=first.first("torch"), cite=cite(first)
        )
        reasons["torch"] = T(
            "torch_npu {torch_npu} requires torch {torch}",
            torch_npu=group.torch_npu,
            torch=self.torch.split("+", 1)[0],
        )
        listed = T(
            "listed for torch_npu {torch_npu} ({pythons})",
            torch_npu=group.torch_npu,
            pythons=", ".join(group.patterns("python")),
        )
        reasons["python"] = installed_reason(listed) if python == current.get("python") else listed
        return reasons

    def _python(self, target: Mapping[str, str]) -> str | None:
        """The installed Python when allowed, else the newest listed one that fits."""
        listed = [p for p in self.group.patterns("python") if is_concrete(p)]
        installed = self.current.get("python")
        options: list[str] = []
        if installed and any(matches("python", p, installed) for p in listed):
            options.append(installed)
        options += sorted(listed, key=lambda v: newest_key("python", v))
        for python in dict.fromkeys(options):
            if not allowed(self.by, "python", python):
                continue
            if not self.index.python_allowed(self.cann, python):
                continue
            if self.accept is None or self.accept({**target, "python": python}):
                return python
        return None


RESOLVER = AscendResolver()
