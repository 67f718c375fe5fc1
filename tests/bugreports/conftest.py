"""Print the bug-report hit rates (hits / every case run, misses counted) after the run."""

from __future__ import annotations

import pytest

from tests.bugreports.test_cases import OUTCOMES, SNAPSHOT_ONLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Both rates: from the snapshots, which keep the error output the reporters pasted (as
    `snapshot --log` keeps a failed job's log), and from the machine's facts alone (the same
    snapshots without their logs), so neither is read for the other."""
    if not OUTCOMES:
        return
    terminalreporter.write_line(
        _rate("bug reports", OUTCOMES, "from the snapshots, with the pasted errors they keep")
    )
    terminalreporter.write_line(
        _rate("bug reports", SNAPSHOT_ONLY, "from the machine's facts alone, without the errors")
    )


def _rate(name: str, outcomes: dict[str, bool], how: str) -> str:
    hits = sum(outcomes.values())
    total = len(outcomes)
    misses = ", ".join(sorted(s for s, ok in outcomes.items() if not ok)) or "none"
    return f"{name}: {hits}/{total} diagnosed ({100 * hits / total:.0f} %, {how}), misses: {misses}"
