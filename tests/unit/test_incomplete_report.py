"""A part of the check that fails by chipdoctor's own fault does not hide the rest, and the
report says it is incomplete: exit 3, `"incomplete": true`, never 0 (docs/contracts.md)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from chipdoctor import __version__
from chipdoctor.engine import collect, judge
from chipdoctor.evidence.base import Evidence
from chipdoctor.evidence.snapshot import SnapshotEvidence
from chipdoctor.matrix.model import Matrix
from chipdoctor.model import Finding, Inventory, Report
from chipdoctor.probes.host import HostProbe
from chipdoctor.report.text import render
from chipdoctor.stacks import STACKS
from chipdoctor.stacks.cuda import Cuda
from tests.conftest import SNAPSHOTS
from tests.planning import fixed

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "chipdoctor/schemas/report.schema.json").read_text()
)


class BrokenProbe:
    """A probe with a bug: it raises on any machine."""

    name = "broken"

    def collect(self, evidence: Evidence) -> Inventory:
        raise KeyError("a key the probe's author forgot")


class BrokenRules(Cuda):
    """The CUDA stack with a bug in its rules."""

    def evaluate(self, inventory: Inventory, matrix: Matrix) -> list[Finding]:
        raise ZeroDivisionError("division by zero")


def _report(inventory: Inventory) -> Report:
    return Report(__version__, inventory, judge(inventory, fixed()))


def test_a_crashed_probe_keeps_the_others_and_makes_the_report_incomplete() -> None:
    evidence = SnapshotEvidence(SNAPSHOTS / "cuda-driver-mismatch")
    intact = _report(collect(evidence))
    broken = _report(collect(evidence, probes=(HostProbe(), STACKS["cuda"].probe(), BrokenProbe())))
    assert intact.exit_code() == 1 and not intact.incomplete
    assert broken.incomplete and broken.exit_code() == 3 and broken.exit_code(strict=True) == 3
    out = broken.to_dict()
    jsonschema.validate(out, SCHEMA)
    assert out["incomplete"] is True and "incomplete" not in intact.to_dict()
    (crash,) = [f for f in broken.findings if f.id == "broken.probe-crashed"]
    assert "KeyError" in crash.message and "its part of the report is missing" in crash.message
    assert {f.id for f in intact.findings} < {f.id for f in broken.findings}
    assert render(broken).splitlines()[-1].startswith("INCOMPLETE: INCOMPATIBLE: ")
    assert "INCOMPLETE" not in render(intact)


def test_crashed_rules_keep_the_probes_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    inventory = collect(SnapshotEvidence(SNAPSHOTS / "cuda-driver-mismatch"))
    probe_findings = {f.id for f in inventory.findings}
    monkeypatch.setitem(STACKS, "cuda", BrokenRules())
    report = _report(inventory)
    assert report.exit_code() == 3
    assert {"cuda.rules-crashed", *probe_findings} == {f.id for f in report.findings}
