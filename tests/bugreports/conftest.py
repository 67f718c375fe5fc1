"""Print the bug-report hit rates (hits / every case run, misses counted) after the run."""

from __future__ import annotations

import pytest

from tests.bugreports.test_cases import OUTCOMES, SNAPSHOT_ONLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Both rates: with the error output the reporters pasted (`check --log`), and from the
    snapshots alone, so neither is read for the other."""
    if not OUTCOMES:
        return
    terminalreporter.write_line(_rate("bug reports", OUTCOMES, "with the pasted errors"))
    terminalreporter.write_line(_rate("bug reports", SNAPSHOT_ONLY, "from the snapshots alone"))


def _rate(name: str, outcomes: dict[str, bool], how: str) -> str:
    hits = sum(outcomes.values())
    total = len(outcomes)
    misses = ", ".join(sorted(s for s, ok in outcomes.items() if not ok)) or "none"
    return f"{name}: {hits}/{total} diagnosed ({100 * hits / total:.0f} %, {how}), misses: {misses}"
