"""Every `check --format` the CLI offers has a renderer, and every renderer is offered."""

from __future__ import annotations

import json

from chipdoctor.cli.app import OUTPUT_FORMATS
from chipdoctor.engine import check
from chipdoctor.evidence.snapshot import SnapshotEvidence
from chipdoctor.model import Device
from chipdoctor.report.formats import RENDERERS, render
from tests.conftest import SNAPSHOTS
from tests.planning import fixed


def test_the_cli_offers_exactly_the_registered_formats() -> None:
    assert list(OUTPUT_FORMATS) == list(RENDERERS)


def test_each_renderer_gets_the_options_it_uses() -> None:
    report = check(SnapshotEvidence(SNAPSHOTS / "cuda-minor-version-compat"), fixed())
    assert report.status == "warning"
    assert json.loads(render(report, "json", strict=True, color=False, width=80)) == (
        report.to_dict()
    )
    lenient = render(report, "junit", strict=False, color=False, width=80)
    strict = render(report, "junit", strict=True, color=False, width=80)
    assert 'failures="0"' in lenient and 'failures="0"' not in strict
    assert "\x1b[" in render(report, "table", strict=False, color=True, width=80)
    assert "\x1b[" not in render(report, "table", strict=False, color=False, width=80)


def test_the_table_flags_unhealthy_devices_only() -> None:
    """`N/A` (the tool shows no health) is not flagged: the table and `fleet compare` agree."""
    report = check(SnapshotEvidence(SNAPSHOTS / "musa-s4000-healthy"), fixed())
    assert {d.health for d in report.inventory.devices} == {"N/A"}
    report.inventory.devices.append(Device("musa", 9, "MTT S4000", "Warning"))
    table = render(report, "table", strict=False, color=True, width=120)
    rows = {line for line in table.splitlines() if "MTT S4000" in line}
    yellow = "\x1b[33m"
    assert [row for row in rows if yellow in row] == [row for row in rows if "Warning" in row] != []
