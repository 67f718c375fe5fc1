"""Print the bug-report hit rate (hits / every case run, misses counted) after the run."""

from __future__ import annotations

import pytest

from tests.bugreports.test_cases import OUTCOMES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not OUTCOMES:
        return
    hits = sum(OUTCOMES.values())
    total = len(OUTCOMES)
    terminalreporter.write_line(
        f"bug reports: {hits}/{total} diagnosed ({100 * hits / total:.0f} %), "
        f"misses: {', '.join(sorted(s for s, ok in OUTCOMES.items() if not ok)) or 'none'}"
    )
