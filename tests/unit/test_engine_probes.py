"""How `collect` runs the probes (engine.py): one at a time while each ends quickly, so a host
without accelerators pays for no contending threads (issue 16: start-up), but side by side as
soon as one waits on a slow tool, so slow tools do not add up; the report keeps their order."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from chipdoctor.engine import collect
from chipdoctor.evidence.snapshot import SnapshotEvidence
from chipdoctor.model import Component, Inventory
from tests.conftest import SNAPSHOTS


@dataclass
class _Probe:
    name: str
    seconds: float
    running: list[str] = field(default_factory=list)
    overlapped: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def collect(self, evidence: object) -> Inventory:
        with self.lock:
            if self.running:
                self.overlapped.append(self.name)
            self.running.append(self.name)
        time.sleep(self.seconds)
        with self.lock:
            self.running.remove(self.name)
        return Inventory(components=[Component(self.name, "1", "test")])


def _probes(*seconds: float) -> tuple[_Probe, ...]:
    running: list[str] = []
    overlapped: list[str] = []
    lock = threading.Lock()
    return tuple(
        _Probe(f"p{index}", wait, running, overlapped, lock) for index, wait in enumerate(seconds)
    )


def test_slow_probes_run_side_by_side_in_their_order() -> None:
    probes = _probes(1.0, 1.0, 1.0)
    started = time.monotonic()
    inventory = collect(SnapshotEvidence(SNAPSHOTS / "no-accelerator"), probes)
    assert time.monotonic() - started < 2.5  # one after another: 3 s
    assert [c.id for c in inventory.components][-3:] == ["p0", "p1", "p2"]
    assert probes[0].overlapped


def test_quick_probes_run_one_at_a_time() -> None:
    probes = _probes(0.01, 0.01, 0.01, 0.01)  # together, were they started together
    collect(SnapshotEvidence(SNAPSHOTS / "no-accelerator"), probes)
    assert probes[0].overlapped == []
