"""`check`'s table looks exactly as it did before the start-up work of issue 16: the plain drawer
(a pipe, a file) and rich (a terminal, colours) against goldens captured before that change, in
both languages. The data is the frozen test matrices, so a data refresh never moves a golden.
The Chinese goldens were captured again once prose wrapping counted terminal columns (a CJK
character takes two, and a line may break between two of them): before, Chinese prose ran past
the width.

    CHIPDOCTOR_WRITE_GOLDENS=1 pytest tests/report/test_table_golden.py   # rewrites them
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chipdoctor import __version__
from chipdoctor.engine import check
from chipdoctor.evidence.snapshot import SnapshotEvidence
from chipdoctor.report.formats import render
from tests.conftest import FIXTURES, SNAPSHOTS
from tests.planning import fixed

GOLDENS = FIXTURES / "tables"
#: No accelerator (the start-up path), one stack with an error, two stacks at once.
SNAPSHOTS_DRAWN = ("no-accelerator", "cuda-driver-mismatch", "multi-cuda-ascend")
DRAWERS = {"plain": False, "rich": True}


def _drawn(snapshot: str, lang: str, color: bool) -> str:
    report = check(SnapshotEvidence(SNAPSHOTS / snapshot), fixed())
    report.lang = lang
    table = render(report, "table", strict=False, color=color, width=100)
    return table.replace(f"chipdoctor {__version__}", "chipdoctor VERSION")


@pytest.mark.parametrize("drawer", sorted(DRAWERS))
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("snapshot", SNAPSHOTS_DRAWN)
def test_the_table_is_drawn_as_before(snapshot: str, lang: str, drawer: str) -> None:
    golden = GOLDENS / f"{snapshot}.{lang}.{drawer}.txt"
    drawn = _drawn(snapshot, lang, DRAWERS[drawer])
    if os.environ.get("CHIPDOCTOR_WRITE_GOLDENS"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(drawn, encoding="utf-8")
    assert drawn == Path(golden).read_text(encoding="utf-8")
