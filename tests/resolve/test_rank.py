"""The bounds the search prunes with never change its answers: on the fixed test matrices, the
pruned search picks what weighing every candidate picks, and a conflict lists the versions that
every candidate together has."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from chipdoctor.model import Component, Inventory
from chipdoctor.resolve import Pin, parse_pin, resolve
from chipdoctor.resolve.core import _values, admissible, current_versions, resolver_for
from chipdoctor.resolve.model import Candidate
from chipdoctor.resolve.rank import Ranking
from tests.planning import fixed, snapshot

HOSTS: dict[str, dict[str, str]] = {
    "healthy": {
        "python": "3.11.6",
        "torch": "2.5.1",
        "torch_npu": "2.5.1.post1",
        "cann": "8.2.RC1",
        "ascend_driver": "25.0.rc1.1",
        "ascend_firmware": "7.7.0.1.231",
    },
    "torch mismatch": {"torch": "2.4.0", "torch_npu": "2.5.1.post1", "cann": "8.2.RC1"},
    "old driver": {"torch_npu": "2.1.0.post3", "cann": "8.0.RC3", "ascend_driver": "23.0.0"},
    "no driver known": {"torch": "2.1.0", "cann": "8.0.RC2"},
    "nothing": {},
}
PINS: dict[str, Sequence[tuple[str, str]]] = {
    "none": (),
    "python": (("python", "3.10"),),
    "torch and cann": (("torch", "2.1"), ("cann", "8.0")),
}


def _inventory(versions: Mapping[str, str]) -> Inventory:
    out = Inventory(stacks=["ascend"])
    out.components = [Component(c, v, "test") for c, v in versions.items()]
    return out


def _exhaustive(inventory: Inventory, pins: Sequence[Pin]) -> dict[str, str] | None:
    """The best candidate found the slow way: every admissible candidate weighed, no bound."""
    resolver = resolver_for("ascend")
    current = current_versions(inventory, resolver)
    ranking = Ranking(resolver, current)
    matrix = fixed().get("ascend")
    best: tuple[Any, Candidate] | None = None
    for index, candidate in enumerate(admissible(resolver, matrix, current, pins, None)):
        key = (*ranking.cost(candidate), candidate.order or (index,))
        if best is None or key < best[0]:
            best = (key, candidate)
    return None if best is None else dict(best[1].target)


@pytest.mark.parametrize("pins", PINS, ids=list(PINS))
@pytest.mark.parametrize("host", [*HOSTS, "snapshot"], ids=[*HOSTS, "snapshot"])
def test_the_bound_never_changes_the_choice(host: str, pins: str) -> None:
    inventory = (
        snapshot("ascend-cann-newer-than-driver") if host == "snapshot" else _inventory(HOSTS[host])
    )
    parsed = [parse_pin(c, v, f"--{c} {v}") for c, v in PINS[pins]]
    result = resolve(inventory, fixed(), parsed)
    assert (result.target or None) == _exhaustive(inventory, parsed)


def test_the_bound_only_drops_what_ranks_below_the_best() -> None:
    resolver = resolver_for("ascend")
    ranking = Ranking(resolver, {"ascend_driver": "25.0.rc1", "cann": "8.2.RC1", "torch": "2.5.1"})
    assert not ranking.hopeless({"ascend_driver": "1.0"}, 5)  # nothing weighed yet
    kept = {"ascend_driver": "25.0.rc1", "ascend_firmware": "7.7", "cann": "8.2.RC1"}
    ranking.best = ranking.cost(Candidate({**kept, "torch": "2.5.1"}, {}, ()))
    assert ranking.hopeless({"ascend_driver": "24.1.rc2"}, 0)  # a driver change always loses
    assert ranking.hopeless({}, 0, changed=("ascend_driver",))
    assert ranking.hopeless({"ascend_driver": "25.0.rc1", "ascend_firmware": "7.7"}, 1)
    # a tie in every known place may still win on the newest versions: never dropped
    assert not ranking.hopeless(kept, 0)
    assert not ranking.hopeless({"ascend_driver": "25.0.rc1"}, 1)  # firmware unknown: may be kept


@pytest.mark.parametrize(
    "component", ["ascend_driver", "ascend_firmware", "cann", "python", "torch", "torch_npu"]
)
@pytest.mark.parametrize("pins", PINS, ids=list(PINS))
@pytest.mark.parametrize("host", HOSTS, ids=list(HOSTS))
def test_a_conflict_lists_every_version_a_candidate_has(
    host: str, pins: str, component: str
) -> None:
    """The listing prunes branches whose version it already has, never one it lacks (the
    drivers and firmware that only a replaced driver brings included)."""
    resolver = resolver_for("ascend")
    current = current_versions(_inventory(HOSTS[host]), resolver)
    parsed = [parse_pin(c, v, f"--{c} {v}") for c, v in PINS[pins]]
    matrix = fixed().get("ascend")
    every = {
        c.target[component]
        for c in admissible(resolver, matrix, current, parsed, None)
        if component in c.target
    }
    listed = _values(resolver, matrix, current, parsed, None, component=component)
    assert sorted(listed) == sorted(every)
    assert every
