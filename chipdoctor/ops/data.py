"""The bundled operator data (matrices/ops/, written by scripts/ops_data.py; see docs/ops.md).

Per vendor stack: its releases in order, each with the torch versions its file covers and the
file's source; per operator and release, the torch versions for which that release has a device
kernel (`native`), sends it to the CPU by name (`tocpu`) or declares it `unsupported`. Per
PyTorch: which operators are composite and what the implicit ones decompose into.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from chipdoctor.errors import BadInput

DATA_FORMAT = "chipdoctor-ops-data/1"
#: The vendor extension each stack's data describes.
STACK_OF_COMPONENT = {"torch_npu": "ascend", "torch_mlu": "cambricon"}


@dataclass(frozen=True)
class Release:
    name: str
    torch: tuple[str, ...]  # the torch minors (`2.5`) the release's file covers, in order
    url: str
    commit: str
    date: str
    unreleased: bool = False


@dataclass(frozen=True)
class Fallback:
    env: str
    disabled_when: tuple[str, ...]
    registered: str  # the source that registers the dispatcher fallback
    source: str  # the documentation of the variable


class StackOps:
    """One vendor stack's operator data."""

    def __init__(self, document: dict[str, Any], path: Path) -> None:
        if document.get("format") != DATA_FORMAT:
            raise BadInput(f"{path}: not {DATA_FORMAT} operator data")
        self.stack: str = document["stack"]
        self.component: str = document["component"]
        self.family: str = document["release_family"]
        self.releases = [
            Release(
                r["name"],
                tuple(r["torch"]),
                r["source"]["url"],
                r["source"]["commit"],
                r["source"]["date"],
                bool(r.get("unreleased")),
            )
            for r in document["releases"]
        ]
        self._by_name = {r.name: r for r in self.releases}
        fallback = document["fallback"]
        self.fallback = Fallback(
            fallback["env"],
            tuple(fallback["disabled_when"]),
            fallback["registered"],
            fallback["source"],
        )
        #: extension version -> {"release", "torch"} (torch_npu: from the Ascend matrix)
        self.versions: dict[str, dict[str, str]] = document["versions"]
        self._ops: dict[str, dict[str, dict[str, str]]] = document["ops"]
        self._overloads: dict[str, list[str]] | None = None

    @property
    def named_by_version(self) -> bool:
        """Whether a release is named by the extension's version (torch_mlu `1.22.2+torch2.1.0`),
        not by a family of its own (TorchNPU 26.1.0, which ships several torch_npu versions)."""
        return self.family == self.component

    def release(self, name: str) -> Release | None:
        return self._by_name.get(name)

    def statuses(self, key: str, release: str, minor: str) -> set[str]:
        """What `release`'s files say of `key` for torch `minor`: native, tocpu, unsupported."""
        kinds = self._ops.get(key, {}).get(release, {})
        order = self._by_name[release].torch
        return {status for status, spans in kinds.items() if minor in _expand(spans, order)}

    def overloads(self, name: str) -> list[str]:
        """Every key of the operator `name` (`add`, `add.Tensor`, `add.out`, ...)."""
        if self._overloads is None:
            grouped: dict[str, list[str]] = {}
            for key in self._ops:
                grouped.setdefault(key.split(".", 1)[0], []).append(key)
            self._overloads = grouped
        return self._overloads.get(name, [])


class PytorchOps:
    def __init__(self, document: dict[str, Any]) -> None:
        self.composite: dict[str, str] = document["composite"]
        self.decompositions: dict[str, list[str]] = document["decompositions"]
        #: every `name.overload` native_functions.yaml declares, and every name without one
        self.operators = frozenset(document["operators"])
        self.names = frozenset(key.split(".", 1)[0] for key in self.operators)
        self.url: str = document["source"]["url"]
        self.traced_with: str = document.get("decompositions_traced_with", "")

    def knows(self, key: str, *, exact: bool) -> bool:
        """Whether native_functions.yaml declares the operator (`exact`) or the name."""
        return key in self.operators if exact else key in self.names


@cache
def _expand(spans: str, order: tuple[str, ...]) -> frozenset[str]:
    """`2.1-2.3,2.5` over the release's torch list -> {2.1, 2.2, 2.3, 2.5}."""
    out: set[str] = set()
    for span in spans.split(","):
        first, _, last = span.partition("-")
        if not last:
            out.add(first)
        elif first in order and last in order:
            out.update(order[order.index(first) : order.index(last) + 1])
    return frozenset(out)


def data_dir() -> Path:
    from chipdoctor.matrix.store import bundled_dir

    return bundled_dir() / "ops"


@cache
def stack_ops(stack: str) -> StackOps:
    path = data_dir() / f"{stack}.json"
    if not path.is_file():
        known = ", ".join(sorted(STACK_OF_COMPONENT.values()))
        raise BadInput(f"no operator data for the {stack} stack (there is data for {known})")
    return StackOps(json.loads(path.read_text(encoding="utf-8")), path)


@cache
def pytorch_ops() -> PytorchOps:
    return PytorchOps(json.loads((data_dir() / "pytorch.json").read_text(encoding="utf-8")))
