"""NVIDIA candidates from the matrix tables `torch_cuda` (the CUDA variants PyTorch builds each
release for), `toolkit_driver` and `minor_version_compat`, judged by `chipdoctor.stacks.cuda.rules`
itself (no error; its warnings are the candidate's):

- torch is a published wheel, `<release>+cu<XY>` as pip reports it (download.pytorch.org/whl/
  cuXY); the installed release is kept when one of its variants runs on the installed driver
  (under minor-version compatibility, with its warning, if need be), else every release the
  table lists is weighed. On the installed driver the variants are the ones the rules would
  name: every one it fully supports, else only the oldest it runs under minor-version
  compatibility (the closest to the driver). A torch without a CUDA or CPU tag that the rules
  accept is kept as it is (they cannot tell its build);
- the driver is kept when the rules accept the build on it (minor-version compatibility is a
  warning, as `check` says); else the driver NVIDIA releases that CUDA with is the target.
  An unknown driver (nvidia-smi failed) constrains nothing and stays out of the target. The
  CUDA the driver reports (`cuda_driver_api`) is the driver's: kept with it, hard like it;
- the CUDA toolkit, only when one is installed: kept, or the newest release the driver runs;
- cuDNN, only when installed: the one PyTorch lists for the build once torch changes (the
  wheel brings it), or when its major is not the one PyTorch lists (what `check` warns of);
- Python is kept (the matrix ties none to the wheels), or the pinned one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

from chipdoctor.i18n import T
from chipdoctor.matrix.model import INCOMPATIBLE, Matrix, Row
from chipdoctor.resolve.index import PerMatrix, is_concrete, matches, newest_first
from chipdoctor.resolve.judge import Judge
from chipdoctor.resolve.model import Accept, Candidate, LazyReasons, installed_reason, kept_reason
from chipdoctor.resolve.pins import Pin, allowed, by_component
from chipdoctor.resolve.rank import Bound
from chipdoctor.rules.common import cuda_tag, release_of
from chipdoctor.stacks.cuda.rules import minimum_driver, release_row
from chipdoctor.torchwheels import wheel_source
from chipdoctor.versions import DOTTED, InvalidVersion

DRIVER, API, TOOLKIT = "nvidia_driver", "cuda_driver_api", "cuda"


@dataclass(frozen=True)
class Wheel:
    """One PyTorch CUDA wheel: the version pip reports, its CUDA, the row that lists it."""

    torch: str  # 2.7.1+cu126
    cuda: str  # 12.6
    row: Row

    @property
    def index_url(self) -> str:
        return wheel_source(self.torch, cuda_tag(self.cuda))


def wheel_of(torch: str, cuda: str, row: Row) -> Wheel:
    return Wheel(f"{release_of(torch)}+cu{cuda.replace('.', '')}", cuda, row)


class _Index:
    """The tables, read once per loaded matrix."""

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.judge = Judge("cuda", matrix)
        self.rows = [r for r in matrix.table("torch_cuda").rows if r.verdict != INCOMPATIBLE]
        toolkits = matrix.table("toolkit_driver").rows
        concrete = [r.first(TOOLKIT) for r in toolkits if is_concrete(r.first(TOOLKIT))]
        self.toolkits = newest_first(TOOLKIT, concrete)
        self._rows = {r.first(TOOLKIT): r for r in reversed(toolkits)}

    def releases(self, extra: Iterable[str]) -> list[str]:
        """Every release a row names (`2.7.*` stands for 2.7.0), and `extra` ones rows cover."""
        out: list[str] = []
        for row in self.rows:
            for pattern in row.patterns("torch"):
                if is_concrete(pattern):
                    out.append(pattern)
                elif pattern.endswith(".*") and is_concrete(pattern[:-2]):
                    out.append(pattern[:-2] + ".0")
        out += [r for r in extra if self.wheels(r)]
        return newest_first("torch", out)

    def wheels(self, release: str) -> list[Wheel]:
        """The CUDA wheels of one release, one per CUDA, newest CUDA first."""
        found: dict[str, Wheel] = {}
        for row in self.rows:
            if any(matches("torch", p, release) for p in row.patterns("torch")):
                for cuda in row.patterns(TOOLKIT):
                    found.setdefault(cuda, wheel_of(release, cuda, row))
        return [found[c] for c in newest_first(TOOLKIT, found)]

    def toolkit_for(self, driver: str, api: str | None) -> tuple[str, Row] | None:
        """The newest CUDA toolkit release this driver runs with every feature."""
        for toolkit in self.toolkits:
            row = self._rows[toolkit]
            if _at_least(driver, row.first(DRIVER)) and (api is None or _not_newer(toolkit, api)):
                return toolkit, row
        return None


def _at_least(driver: str, pattern: str) -> bool:
    try:
        return DOTTED.matches(pattern, driver)
    except InvalidVersion:
        return False


def _major(version: str) -> str:
    return version.partition(".")[0]


def _not_newer(toolkit: str, api: str) -> bool:
    return matches(TOOLKIT, f"<={api}", ".".join(toolkit.split(".")[:2]))


_index = PerMatrix(_Index)


class CudaResolver:
    stack = "cuda"
    hard = (DRIVER, API)
    medium = (TOOLKIT, "python")
    derived = ("cudnn",)
    soft = ("torch",)

    def candidates(
        self,
        matrix: Matrix,
        current: Mapping[str, str],
        pins: Iterable[Pin],
        accept: Accept | None,
        bound: Bound | None = None,
    ) -> Iterator[Candidate]:
        pins = list(pins)
        search = _Search(_index(matrix), current, by_component(pins), accept)
        installed = current.get("torch")
        kept = list(search.as_installed())
        if installed:
            kept += search.release(release_of(installed))
        yield from kept
        if any(search.good(c) for c in kept):
            return  # the installed release runs as it is or with another variant
        pinned = [p.text for p in pins if p.component == "torch"]
        for release in search.index.releases(pinned):
            if installed is None or release != release_of(installed):
                yield from search.release(release)


@dataclass
class _Search:
    index: _Index
    current: Mapping[str, str]
    by: Mapping[str, list[Pin]]
    accept: Accept | None

    def good(self, candidate: Candidate) -> bool:
        """Runs on the installed driver: then another torch release is not worth weighing (a
        downgrade of many releases to shed a minor-version-compatibility warning is not)."""
        return candidate.target.get(DRIVER) == self.current.get(DRIVER)

    def as_installed(self) -> Iterator[Candidate]:
        """An installed torch the rules cannot place (no `+cuXY`/`+cpu` tag) but accept."""
        torch = self.current.get("torch")
        if torch and "+" not in torch and allowed(self.by, "torch", torch):
            yield from self._complete(torch, None)

    def release(self, release: str) -> Iterator[Candidate]:
        """The CUDA wheels of one torch release, each with the driver it needs."""
        wheels = [w for w in self.index.wheels(release) if allowed(self.by, "torch", w.torch)]
        on_driver = self._variants_on_driver(wheels)
        for wheel in wheels:
            yield from self._complete(wheel.torch, wheel, wheel.cuda in on_driver)

    def _variants_on_driver(self, wheels: list[Wheel]) -> set[str]:
        """The CUDAs worth proposing on the installed driver, as the rules rank a release's
        variants: every one it fully supports, and the oldest it runs only under minor-version
        compatibility (the closest to the driver; a newer one has the same warning and fewer
        features)."""
        host = {c: v for c in (DRIVER, API) if (v := self.current.get(c))}
        if DRIVER not in host:
            return {w.cuda for w in wheels}
        verdicts = [(w.cuda, *self.index.judge({"torch": w.torch, **host})) for w in wheels]
        fully = {cuda for cuda, accepted, warnings in verdicts if accepted and not warnings}
        compatible = [cuda for cuda, accepted, warnings in verdicts if accepted and warnings]
        return fully | set(compatible[-1:])  # wheels come newest CUDA first

    def _complete(
        self, torch: str, wheel: Wheel | None, on_driver: bool = True
    ) -> Iterator[Candidate]:
        for driver in self._drivers(wheel, on_driver):
            for toolkit in self._toolkits(driver):
                target = {"torch": torch}
                target.update(self._host(driver, toolkit))
                cudnn = self._cudnn(torch, wheel)
                if cudnn:
                    target["cudnn"] = cudnn
                accepted, warnings = self.index.judge(target)
                if not accepted or (self.accept is not None and not self.accept(target)):
                    continue
                reasons = LazyReasons({}, partial(self._explain, target, wheel))
                yield Candidate(target, reasons, warnings)

    def _drivers(self, wheel: Wheel | None, on_driver: bool) -> list[str | None]:
        """The installed driver (when `on_driver`), and the one NVIDIA releases the wheel's
        CUDA with."""
        installed = self.current.get(DRIVER)
        out: list[str | None] = []
        if installed is None:
            out.append(None)
        elif on_driver and allowed(self.by, DRIVER, installed):
            out.append(installed)
        row = release_row(self.index.matrix, wheel.cuda) if wheel else None
        if row is not None:
            wanted = minimum_driver(row)
            if wanted != installed and allowed(self.by, DRIVER, wanted):
                out.append(wanted)
        return out

    def _toolkits(self, driver: str | None) -> list[str | None]:
        installed = self.current.get(TOOLKIT)
        if installed is None:
            return [None]
        out: list[str | None] = []
        if allowed(self.by, TOOLKIT, installed):
            out.append(installed)
        api = self.current.get(API) if driver == self.current.get(DRIVER) else None
        newest = self.index.toolkit_for(driver, api) if driver else None
        if newest and newest[0] != installed and allowed(self.by, TOOLKIT, newest[0]):
            out.append(newest[0])
        return out

    def _host(self, driver: str | None, toolkit: str | None) -> dict[str, str]:
        out: dict[str, str] = {}
        if driver:
            out[DRIVER] = driver
            api = self.current.get(API)
            if api and driver == self.current.get(DRIVER):
                out[API] = api
        if toolkit:
            out[TOOLKIT] = toolkit
        python = self.current.get("python")
        pinned = [p.text for p in self.by.get("python", ())]
        if python and allowed(self.by, "python", python):
            out["python"] = python
        elif pinned:
            out["python"] = pinned[0]
        return out

    def _cudnn(self, torch: str, wheel: Wheel | None) -> str | None:
        """The installed cuDNN while torch stays and its major is the one PyTorch lists for the
        build (`check` warns of another); else the listed one, which the wheel brings."""
        installed = self.current.get("cudnn")
        listed = wheel.row.first("cudnn") if wheel else ""
        if installed is None or not listed:
            return installed
        if torch == self.current.get("torch") and _major(installed) == _major(listed):
            return installed
        return listed

    def _explain(self, target: Mapping[str, str], wheel: Wheel | None) -> dict[str, str]:
        """Why each version: written for the chosen stack only."""
        reasons = {"torch": self._torch_reason(target["torch"], wheel)}
        reasons.update(self._driver_reasons(target, wheel))
        toolkit = self._toolkit_reason(target)
        if toolkit:
            reasons[TOOLKIT] = toolkit
        cudnn = self._cudnn_reason(target, wheel)
        if cudnn:
            reasons["cudnn"] = cudnn
        python = target.get("python")
        if python:
            untied = T("the matrix ties no Python version to PyTorch's CUDA wheels")
            reasons["python"] = (
                installed_reason(untied) if python == self.current.get("python") else T("pinned")
            )
        return reasons

    def _torch_reason(self, torch: str, wheel: Wheel | None) -> str:
        if wheel is None:
            return kept_reason(T("check's rules find nothing against torch {torch}", torch=torch))
        built = T(
            "the PyTorch wheel of torch {release} for CUDA {cuda}, from {index} ({cite})",
            release=release_of(torch),
            cuda=wheel.cuda,
            index=wheel.index_url,
            cite=self.index.matrix.short_origin(wheel.row),
        )
        return kept_reason(built) if torch == self.current.get("torch") else built

    def _driver_reasons(self, target: Mapping[str, str], wheel: Wheel | None) -> dict[str, str]:
        """The driver's reason, and the driver API's that follows from it."""
        current = self.current
        driver = target.get(DRIVER)
        reasons: dict[str, str] = {}
        if driver and driver == current.get(DRIVER):
            reasons[DRIVER] = T(
                "installed; kept (the hardest to change): it runs torch {torch}",
                torch=target["torch"],
            )
            if API in target:
                reasons[API] = T("what driver {driver} supports (nvidia-smi)", driver=driver)
        elif driver and wheel is not None:
            row = release_row(self.index.matrix, wheel.cuda)
            reasons[DRIVER] = T(
                "NVIDIA releases CUDA {cuda} with driver {driver} or newer ({cite})",
                cuda=wheel.cuda,
                driver=driver,
                cite=self.index.matrix.short_origin(row) if row else "",
            )
            if API in current:
                reasons[API] = T("the new driver's own (nvidia-smi shows it once installed)")
        return reasons

    def _toolkit_reason(self, target: Mapping[str, str]) -> str | None:
        toolkit = target.get(TOOLKIT)
        driver = target.get(DRIVER)
        if toolkit and toolkit == self.current.get(TOOLKIT):
            return kept_reason(T("driver {driver} runs it", driver=driver or "?"))
        if toolkit and driver:
            return T(
                "the newest CUDA toolkit driver {driver} runs with every feature; toolkit "
                "{installed} needs a newer driver",
                driver=driver,
                installed=self.current.get(TOOLKIT),
            )
        return None

    def _cudnn_reason(self, target: Mapping[str, str], wheel: Wheel | None) -> str | None:
        cudnn = target.get("cudnn")
        if cudnn and cudnn == self.current.get("cudnn"):
            return T("installed; kept")
        if cudnn and wheel is not None:
            return T(
                "the cuDNN PyTorch builds torch {release} for CUDA {cuda} with ({cite})",
                release=release_of(target["torch"]),
                cuda=wheel.cuda,
                cite=self.index.matrix.short_origin(wheel.row),
            )
        return None


RESOLVER = CudaResolver()
