"""Give each operator a status against one vendor release.

The dispatcher's order decides, so the checks follow it: a kernel the vendor registers for the
device wins (`native`); an operator the vendor's file declares `unsupported` fails; a
CompositeImplicitAutograd operator is decomposed before the device sees it (`composite`, its
parts judged in turn); one the file sends to the CPU by name (`tocpu`), or any other operator
without a kernel, reaches the extension's dispatcher fallback (`fallback`: copied to the CPU and
back, an error when the fallback is switched off); a CompositeExplicitAutograd operator runs
its shared kernel, built from other operators (`composite`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from chipdoctor.errors import EXIT_INCOMPATIBLE, EXIT_OK, BadInput
from chipdoctor.ops.data import PytorchOps, StackOps, pytorch_ops, stack_ops
from chipdoctor.ops.names import Op
from chipdoctor.ops.target import Target, component_version

NATIVE = "native"
COMPOSITE = "composite"
FALLBACK = "fallback"
UNSUPPORTED = "unsupported"
#: Worst first, for the table.
_RANK = {UNSUPPORTED: 0, FALLBACK: 1, COMPOSITE: 2, NATIVE: 3}
MAX_DEPTH = 8


@dataclass(frozen=True)
class Verdict:
    op: str  # aten::conv2d
    status: str
    count: int
    since: str | None
    source: str
    note: str = ""
    via: tuple[str, ...] = ()  # the composite operators this one came from
    error: bool = False  # a fallback switched off: the operator raises on the device


@dataclass(frozen=True)
class OpsResult:
    target: Target
    ops: tuple[Verdict, ...]
    fallback_disabled: bool
    model: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: `aten::` names neither torch's native_functions.yaml nor the vendor's file has, with
    #: their counts: no operator of torch (a typo, a private build's), so judged by no one
    unknown: tuple[tuple[str, int], ...] = ()

    @property
    def leaves(self) -> list[Verdict]:
        """The device-level operators: composites are decomposed before the device sees them."""
        return [v for v in self.ops if v.status != COMPOSITE]

    @property
    def native(self) -> int:
        return sum(v.status == NATIVE for v in self.leaves)

    @property
    def coverage(self) -> float:
        """Share of the device-level operators with a device kernel."""
        leaves = self.leaves
        if not leaves:
            return 1.0
        return round(self.native / len(leaves), 4)

    def exit_code(self, *, strict: bool) -> int:
        if any(v.status == UNSUPPORTED or v.error for v in self.ops):
            return EXIT_INCOMPATIBLE
        if strict and (self.unknown or any(v.status == FALLBACK for v in self.ops)):
            return EXIT_INCOMPATIBLE
        return EXIT_OK


def fallback_disabled(stack: str, env: Mapping[str, str]) -> bool:
    fallback = stack_ops(stack).fallback
    return env.get(fallback.env, "").strip() in fallback.disabled_when


def judge(
    observed: Counter[Op],
    target: Target,
    *,
    disabled: bool,
    model: str,
    data: tuple[StackOps, PytorchOps] | None = None,
) -> OpsResult:
    """`data` (the vendor's and PyTorch's) defaults to the bundled data of the target's stack.
    Bad input when every `aten::` name is unknown (that would read as full coverage)."""
    vendor, torch = data or (stack_ops(target.stack), pytorch_ops())
    judge_one = _Judge(vendor, torch, target, disabled)
    unknown = []
    for op, count in sorted(observed.items()):
        if op.namespace == "aten" and not _known(op, vendor, torch):
            unknown.append((str(op), count))
        else:
            judge_one.visit(op, count, (), 0)
    if not judge_one.verdicts:
        names = ", ".join(name for name, _ in unknown[:5])
        raise BadInput(f"{model}: names no ATen operator torch has ({names})")
    # worst first: a fallback that raises ranks with the unsupported operators
    ops = sorted(judge_one.verdicts.values(), key=lambda v: (_RANK[v.status] - v.error, v.op))
    return OpsResult(target, tuple(ops), disabled, model, unknown=tuple(unknown))


def _known(op: Op, vendor: StackOps, torch: PytorchOps) -> bool:
    """Declared by torch's native_functions.yaml, or listed by the vendor's file (which may
    keep an operator torch has since removed)."""
    keys = vendor.overloads(op.key.split(".", 1)[0])
    return torch.knows(op.key, exact=op.exact) or (op.key in keys if op.exact else bool(keys))


class _Judge:
    def __init__(self, data: StackOps, torch: PytorchOps, target: Target, disabled: bool) -> None:
        self.data = data
        self.torch = torch
        self.target = target
        self.disabled = disabled
        self.verdicts: dict[str, Verdict] = {}

    def visit(self, op: Op, count: int, via: tuple[str, ...], depth: int) -> None:
        """Judge `op` (or add to its count), then the parts of a composite, each as often."""
        name = str(op)
        known = self.verdicts.get(name)
        if known is None:
            verdict = self._verdict(op, count, via)
        else:
            merged = tuple(dict.fromkeys((*known.via, *via)))
            verdict = replace(known, count=known.count + count, via=merged)
        self.verdicts[name] = verdict
        if verdict.status == COMPOSITE and depth < MAX_DEPTH:
            for part in self.torch.decompositions.get(op.key, []):
                self.visit(Op("aten", part), count, (*via, name), depth + 1)

    def _verdict(self, op: Op, count: int, via: tuple[str, ...]) -> Verdict:
        if op.namespace != "aten":
            note = "not an ATen operator: no vendor file lists it"
            return self._fallback(op, count, via, note=note)
        release = self.target.release
        said: set[str] = set()
        for key in self._keys(op):
            said |= self.data.statuses(key, release.name, self.target.minor)
        if "native" in said:
            return Verdict(str(op), NATIVE, count, None, release.url, via=via)
        if "unsupported" in said:
            since = self._since(self._keys(op))
            return Verdict(str(op), UNSUPPORTED, count, since, release.url, via=via)
        kind = self.torch.composite.get(op.key if op.exact else op.key.split(".")[0])
        if kind == "implicit" or (kind == "explicit" and "tocpu" not in said):
            return Verdict(
                str(op), COMPOSITE, count, None, self.torch.url, note=self._how(op, kind), via=via
            )
        if "tocpu" in said:
            return self._fallback(op, count, via, source=release.url, note="listed under tocpu")
        return self._fallback(op, count, via)

    def _keys(self, op: Op) -> list[str]:
        """The data's keys for `op`: its own, or every overload of a name read without one."""
        return [op.key] if op.exact else [op.key, *self.data.overloads(op.key)]

    def _how(self, op: Op, kind: str) -> str:
        if kind == "explicit":
            return "a kernel shared by every backend, built from other operators"
        if op.key in self.torch.decompositions:
            return ""
        return "its decomposition is not in the bundled data"

    def _fallback(
        self, op: Op, count: int, via: tuple[str, ...], *, source: str = "", note: str = ""
    ) -> Verdict:
        fallback = self.data.fallback
        keys = self._keys(op)
        if self.disabled:
            note = "; ".join(n for n in (note, f"{fallback.env} makes it an error") if n)
        return Verdict(
            str(op),
            FALLBACK,
            count,
            self._since(keys) if op.namespace == "aten" else None,
            source or fallback.registered,
            note=note,
            via=via,
            error=self.disabled,
        )

    def _since(self, keys: list[str]) -> str | None:
        """The first release after the target's with a kernel for the same torch version."""
        releases = self.data.releases
        later = releases[releases.index(self.target.release) + 1 :]
        for release in later:
            if release.unreleased or self.target.minor not in release.torch:
                continue
            if any(
                "native" in self.data.statuses(k, release.name, self.target.minor) for k in keys
            ):
                if self.data.named_by_version:
                    return f"{self.target.component} {release.name}"
                version = component_version(self.data, release.name, self.target.torch)
                family = f"{self.data.family} {release.name}"
                return f"{self.target.component} {version} ({family})" if version else family
        return None
