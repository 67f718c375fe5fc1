"""`--timeout` bounds the run of the `--python` interpreter too: the user's value, not a floor."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.conftest import run_cli, write_tool


def _slow_python(tmp_path: Path, seconds: int) -> Path:
    """A real interpreter behind a wrapper that takes `seconds` to start it."""
    return write_tool(tmp_path / "bin", "python", f'sleep {seconds}\nexec {sys.executable} "$@"\n')


def test_a_short_timeout_stops_a_slow_interpreter(tmp_path: Path) -> None:
    python = _slow_python(tmp_path, 5)
    started = time.monotonic()
    result = run_cli("check", "--python", str(python), "--timeout", "1")
    elapsed = time.monotonic() - started
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"chipdoctor: error: {python}: timed out after 1 s reading its packages\n"
    )
    assert elapsed < 5, f"the interpreter ran {elapsed:.1f} s: --timeout 1 was not honoured"


def test_a_timeout_long_enough_lets_it_finish(tmp_path: Path) -> None:
    python = _slow_python(tmp_path, 2)
    result = run_cli("check", "--python", str(python), "--timeout", "20", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert '"id": "python"' in result.stdout
