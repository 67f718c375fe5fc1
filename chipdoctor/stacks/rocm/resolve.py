"""AMD ROCm candidates from the matrix table `torch_rocm`, judged by `chipdoctor.stacks.rocm.rules`
itself (each target goes through `evaluate`: no error, and its warnings are the candidate's):

- torch is a PyTorch wheel as pip reports it, `<release>+rocm<variant>`, for a variant a
  `torch_rocm` row lists (download.pytorch.org/whl/rocm<variant>). A row naming a release line
  (`2.6.*`) stands for its `.0` release, the installed release and a release a pin names in full.
  The installed torch is kept when its local tag names a ROCm build the rules accept (AMD's own
  build, which no listed index serves, only while Python stays); a torch whose tag does not
  (PyPI's CUDA `2.5.1`, `+cpu`) is replaced: the resolver sees versions, not torch/version.py,
  so it cannot tell an untagged build is a ROCm one;
- ROCm (the host's user space) is kept: PyTorch's ROCm wheels bundle their ROCm runtime, and the
  rules only warn when the wheel is built for another ROCm release (such a candidate carries the
  warning, and ranks after one without). It changes only to a ROCm a pin asks for (a wheel
  variant, or the full version pinned), and is never added where none is installed;
- the amdgpu kernel driver is kept as found and never proposed: AMD states kernel-driver support
  per package release (`kmd_userspace`), which the module version a host shows does not map to,
  so no rule reads it (docs/stacks/rocm.md);
- Python is kept (or pinned): the matrix ties no Python to the wheels;
- with a recipe (an `accept` test), the stacks of AMD's rocm/pytorch images are candidates too
  (its stack.yaml `images:`): the image's ROCm and Python, and AMD's own torch build for that ROCm
  (`2.9.1+rocm7.2`), which only the image has: no pip index the matrix lists serves it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from chipdoctor.i18n import T
from chipdoctor.matrix.model import INCOMPATIBLE, Matrix, Row
from chipdoctor.resolve.index import PerMatrix, is_concrete, matches
from chipdoctor.resolve.judge import Judge
from chipdoctor.resolve.model import (
    Accept,
    Candidate,
    DeviceOnly,
    installed_reason,
    kept_reason,
)
from chipdoctor.resolve.pins import Pin, by_component
from chipdoctor.resolve.rank import Bound
from chipdoctor.rules.common import release_of
from chipdoctor.stacks._hip.rocm_versions import major_minor, rocm_from_torch
from chipdoctor.stacks._hip.rules import ROCM, classify_torch
from chipdoctor.stacks.rocm.rules import TABLE
from chipdoctor.torchwheels import wheel_source

DRIVER = "amdgpu_driver"


def amd_release(version: str) -> str:
    """A ROCm release as AMD spells it in image tags and download directories: `7.2.0` is
    `7.2` (rocm/pytorch:rocm7.2_… holds ROCm 7.2.0; repo.radeon.com/amdgpu-install/6.2/ is
    6.2.0), `6.4.4` stays."""
    parts = version.split(".")
    while len(parts) > 2 and parts[-1] == "0":
        parts.pop()
    return ".".join(parts)


def same_rocm(a: str, b: str) -> bool:
    return amd_release(a) == amd_release(b)


@dataclass(frozen=True)
class Wheel:
    """One PyTorch ROCm wheel: the version pip reports, its variant, the row that lists it."""

    torch: str  # 2.6.0+rocm6.2.4
    variant: str  # 6.2.4: the index is download.pytorch.org/whl/rocm6.2.4
    row: Row

    @property
    def index_url(self) -> str:
        return wheel_source(self.torch, f"rocm{self.variant}")


@dataclass(frozen=True)
class ImageStack:
    """What one rocm/pytorch image holds: its ROCm, its Python (minor) and AMD's torch build."""

    rocm: str
    python: str
    release: str
    reference: str

    @property
    def torch(self) -> str:
        return f"{self.release}+rocm{self.rocm}"


class _Index:
    """The table, read once per loaded matrix; every judgement of a target memoised."""

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.rows = [r for r in matrix.table(TABLE).rows if r.verdict != INCOMPATIBLE]
        self._judge = Judge("rocm", matrix)

    def wheels(self, releases: Iterable[str]) -> list[Wheel]:
        """Every wheel of every row: its plain releases, the `.0` of a line, and `releases`
        (the installed one, ones pinned in full) where the row's line has them."""
        extra = list(releases)
        out: dict[str, Wheel] = {}
        for row in self.rows:
            for release in _releases(row, extra):
                for variant in row.patterns("rocm"):
                    wheel = Wheel(f"{release}+rocm{variant}", variant, row)
                    out.setdefault(wheel.torch, wheel)
        return list(out.values())

    def rows_for(self, torch: str) -> list[Row]:
        """The rows whose torch line holds this torch's release."""
        release = release_of(torch)
        return [
            r for r in self.rows if any(matches("torch", p, release) for p in r.patterns("torch"))
        ]

    def wheel(self, torch: str) -> Wheel | None:
        """The listed wheel this torch version is, if any (`2.6.0+rocm6.2.4`)."""
        for row in self.rows_for(torch):
            for variant in row.patterns("rocm"):
                if torch == f"{release_of(torch)}+rocm{variant}":
                    return Wheel(torch, variant, row)
        return None

    def judge(self, torch: str, rocm: str | None) -> tuple[bool, tuple[str, ...]]:
        """(accepted, warnings): what `check` says of a host with exactly these versions."""
        return self._judge({"torch": torch, "rocm": rocm or ""})


def _releases(row: Row, extra: list[str]) -> list[str]:
    out = []
    for pattern in row.patterns("torch"):
        if is_concrete(pattern):
            out.append(pattern)
        elif pattern.endswith(".*") and is_concrete(pattern[:-2]):
            # NOTE: every PyTorch release line starts with its .0 release.
            out.append(pattern[:-2] + ".0")
    out += [r for r in extra if any(matches("torch", p, r) for p in row.patterns("torch"))]
    return list(dict.fromkeys(out))


_index = PerMatrix(_Index)


def wheel_for(matrix: Matrix, torch: str) -> Wheel | None:
    """The PyTorch wheel a target torch is, or None for a build no listed index serves."""
    return _index(matrix).wheel(torch)


@lru_cache(maxsize=1)
def image_stacks() -> tuple[ImageStack, ...]:
    """The stacks of the rocm/pytorch images, each once (the first image that has it)."""
    from chipdoctor.recipes.data import images

    out: dict[tuple[str, str, str], ImageStack] = {}
    for image in images():
        values = image.values
        if image.stack != "rocm" or not all(k in values for k in ("rocm", "python", "torch")):
            continue
        stack = ImageStack(values["rocm"], values["python"], values["torch"], image.reference)
        out.setdefault((stack.rocm, stack.python, stack.release), stack)
    return tuple(out.values())


class RocmResolver:
    stack = "rocm"
    hard = (DRIVER,)
    medium = ("rocm", "python")
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
        search = _Search(_index(matrix), current, by_component(pins), accept)
        yield from search.kept()
        for wheel in search.index.wheels(search.releases()):
            yield from search.with_wheel(wheel)
        if accept is not None and not isinstance(accept, DeviceOnly):
            for image in image_stacks():
                yield from search.with_image(image)


def _full(version: str) -> bool:
    """A full release (`6.4.1`), not a prefix (`6.4`)."""
    return len(version.split(".")) >= 3


@dataclass
class _Search:
    index: _Index
    current: Mapping[str, str]
    by: Mapping[str, list[Pin]]
    accept: Accept | None

    def ok(self, component: str, version: str | None) -> bool:
        pins = self.by.get(component, ())
        if version is None:
            return not pins
        return all(p.matches(version) for p in pins)

    def releases(self) -> list[str]:
        """Torch releases the table's lines hold beyond their `.0`: installed or pinned in full."""
        out = []
        installed = self.current.get("torch")
        if installed:
            out.append(release_of(installed))
        for pin in self.by.get("torch", ()):
            if _full(pin.text):
                out.append(release_of(pin.text))
        return out

    def kept(self) -> Iterator[Candidate]:
        """The installed ROCm build of torch, on the installed ROCm, when the rules accept it.
        A build no listed index serves (AMD's own) stays only in its own Python environment:
        a new one could not get it again."""
        torch = self.current.get("torch")
        if not torch or classify_torch(torch, {}).kind != ROCM:
            return
        fits, python = self._python()
        listed = self.index.wheel(torch) is not None
        if fits and (listed or python == self.current.get("python")):
            yield from self._finish(
                torch, self.current.get("rocm"), python, self._torch_reason(torch)
            )

    def with_wheel(self, wheel: Wheel) -> Iterator[Candidate]:
        if not self.ok("torch", wheel.torch):
            return
        fits, python = self._python()
        if not fits:
            return
        for rocm in self._rocm_options(wheel.variant):
            yield from self._finish(wheel.torch, rocm, python, self._torch_reason(wheel.torch))

    def with_image(self, image: ImageStack) -> Iterator[Candidate]:
        installed = self.current.get("rocm")
        rocm = installed if installed and same_rocm(installed, image.rocm) else image.rocm
        fits, python = self._python(image.python)
        if not fits or not self.ok("torch", image.torch):
            return
        where = T("the image {image}", image=image.reference)
        made = T(
            "AMD's build of torch {release} for ROCm {rocm}, preinstalled in {where}",
            release=image.release,
            rocm=image.rocm,
            where=where,
        )
        reasons = {
            "rocm": T("the ROCm of {where}", where=where),
            "python": T("the Python of {where}", where=where),
        }
        yield from self._finish(image.torch, rocm, python, made, reasons)

    def _rocm_options(self, variant: str) -> list[str | None]:
        """The installed ROCm (none when none is), and with a ROCm pin the variant's release
        or the full release pinned on its line."""
        installed = self.current.get("rocm")
        options: list[str | None] = [installed]
        pinned = self.by.get("rocm", ())
        if pinned:
            options.append(variant)
            line = major_minor(variant)
            options += [p.text for p in pinned if _full(p.text) and major_minor(p.text) == line]
        out: list[str | None] = []
        for option in dict.fromkeys(options):
            equivalent = (
                option and installed and option != installed and same_rocm(option, installed)
            )
            if not equivalent and self.ok("rocm", option):
                out.append(option)
        return out

    def _python(self, minor: str | None = None) -> tuple[bool, str | None]:
        """(fits, Python): the installed one, else one a pin names, else the image's `minor`
        (the installed one must be of that minor too); None when none is known or asked."""
        installed = self.current.get("python")
        for python in (installed, *(p.text for p in self.by.get("python", ())), minor):
            if python is None or (minor and major_minor(python) != minor):
                continue
            if self.ok("python", python):
                return True, python
        return (installed is None and minor is None and "python" not in self.by), None

    def _finish(
        self,
        torch: str,
        rocm: str | None,
        python: str | None,
        torch_reason: str,
        reasons: Mapping[str, str] | None = None,
    ) -> Iterator[Candidate]:
        if not self.ok("rocm", rocm):
            return
        accepted, warnings = self.index.judge(torch, rocm)
        if not accepted:
            return
        target = {"torch": torch}
        if rocm:
            target["rocm"] = rocm
        if python:
            target["python"] = python
        driver = self.current.get(DRIVER)
        if driver:
            target[DRIVER] = driver
        if self.accept is not None and not self.accept(target):
            return
        given = dict(reasons or {})
        out = {"torch": kept_reason(torch_reason) if self._kept("torch", torch) else torch_reason}
        if rocm:
            why = given.get("rocm") or self._rocm_reason(torch, rocm)
            out["rocm"] = kept_reason(why) if self._kept("rocm", rocm) else why
        if python:
            why = given.get("python") or self._python_reason(python)
            out["python"] = installed_reason(why) if self._kept("python", python) else why
        if driver:
            why = T(
                "AMD states kernel-driver support per package release, which the module version "
                "a host shows does not map to, so no rule reads it"
            )
            out[DRIVER] = T("installed; kept (the hardest to change): {why}", why=why)
        yield Candidate(target, out, warnings)

    def _kept(self, component: str, version: str) -> bool:
        return self.current.get(component) == version

    def _torch_reason(self, torch: str) -> str:
        cite = self.index.matrix.short_origin
        wheel = self.index.wheel(torch)
        if wheel is not None:
            return T(
                "the PyTorch wheel of torch {release} for ROCm {variant}, from {index} ({cite})",
                release=release_of(torch),
                variant=wheel.variant,
                index=wheel.index_url,
                cite=cite(wheel.row),
            )
        built_for = rocm_from_torch(torch) or ""
        rows = self.index.rows_for(torch)
        if not rows:
            return T(
                "a ROCm build of torch {release} (for ROCm {built_for}) that the matrix does "
                "not list",
                release=release_of(torch),
                built_for=built_for,
            )
        return T(
            "a ROCm build of torch {release} (for ROCm {built_for}); the matrix lists torch "
            "{listed} ({cite})",
            release=release_of(torch),
            built_for=built_for,
            listed=rows[0].first("torch"),
            cite=cite(rows[0]),
        )

    def _rocm_reason(self, torch: str, rocm: str) -> str:
        built_for = rocm_from_torch(torch) or ""
        if built_for and major_minor(built_for) == major_minor(rocm):
            return T(
                "torch {torch} is built for ROCm {built_for}", torch=torch, built_for=built_for
            )
        return T(
            "the host's ROCm user space; PyTorch's ROCm wheels bundle their own ROCm runtime, "
            "so torch {torch} does not need it to match",
            torch=torch,
        )

    def _python_reason(self, python: str) -> str:
        pinned = [p.option for p in self.by.get("python", ()) if p.matches(python)]
        if pinned and not self._kept("python", python):
            return T("as pinned ({option})", option=pinned[0])
        return T("the matrix ties no Python version to PyTorch's ROCm wheels")


RESOLVER = RocmResolver()
