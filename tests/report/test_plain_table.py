"""The table without rich (a pipe, a file) is character for character the table rich draws:
every fixture snapshot in both languages and at three widths, and paragraphs made to wrap."""

from __future__ import annotations

import pytest

from chipdoctor.engine import check
from chipdoctor.evidence.snapshot import SnapshotEvidence
from chipdoctor.matrix.load import load_matrices
from chipdoctor.model import Component, Device, Finding, Inventory, Report, Severity, SmokeStep
from chipdoctor.report import plain, text
from chipdoctor.report.formats import render
from tests.conftest import SNAPSHOTS

FIXTURES = sorted(path.name for path in SNAPSHOTS.iterdir() if (path / "snapshot.yaml").is_file())
WIDTHS = (80, 100, 160)


def _table(report: Report, width: int) -> str:
    return render(report, "table", strict=False, color=False, width=width)


@pytest.mark.parametrize("snapshot", FIXTURES)
def test_every_fixture_looks_as_rich_draws_it(snapshot: str) -> None:
    report = check(SnapshotEvidence(SNAPSHOTS / snapshot), load_matrices())
    for lang in ("en", "zh_CN"):
        report.lang = lang
        for width in WIDTHS:
            assert _table(report, width) == text.render(report, color=False, width=width)


def test_a_host_without_accelerators_is_drawn_without_rich() -> None:
    report = check(SnapshotEvidence(SNAPSHOTS / "no-accelerator"), load_matrices())
    assert plain.render(report, width=100) == text.render(report, color=False, width=100)


def _report(
    message: str, fix: str = "", *, source: str = "/etc/os-release", detail: str = ""
) -> Report:
    inventory = Inventory(
        stacks=["cuda"],
        components=[Component("python", "3.11.7", source), Component("cuda", "12.4", "nvcc")],
        devices=[Device("cuda", 0, "NVIDIA H100", "ERR!")],
    )
    finding = Finding("cuda.example", Severity.WARNING, ("cuda",), message, fix)
    report = Report("0.1.0", inventory, [finding])
    report.smoke = [SmokeStep("import torch", "passed", 1.25, detail)]
    return report


@pytest.mark.parametrize(
    ("message", "fix"),
    [
        ("word " * 60, "pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cpu"),
        ("x" * 250 + " tail", ""),
        ("a" * 95 + " " + "b" * 96 + "  two  spaces   here " + "c" * 97, "first\nsecond"),
        ("first paragraph\n\nthird " + "long " * 40 + "\n", "fix one\n\nfix three"),
        ("   leading spaces then words " * 8, "x" * 300),
        ("ends in a space ", "a mark … ✗ ✓ • → and é ß Ω"),
    ],
)
def test_wrapped_paragraphs_break_where_rich_breaks_them(message: str, fix: str) -> None:
    report = _report(message, fix)
    for width in WIDTHS:
        drawn = plain.render(report, width=width)
        assert drawn is not None
        assert drawn == text.render(report, color=False, width=width)


@pytest.mark.parametrize(
    "report",
    [
        _report("a table too wide", source="/opt/" + "very/long/" * 20),
        _report("a wide character: 昇腾"),
        _report("a cell of two lines", detail="Traceback:\nImportError"),
    ],
)
def test_what_only_rich_can_draw_is_left_to_rich(report: Report) -> None:
    assert plain.render(report, width=100) is None
    assert _table(report, 100) == text.render(report, color=False, width=100)
