"""`chipdoctor ops --run`: record the operators a script dispatches, in a child process.

The child runs on the chosen interpreter (it needs torch; chipdoctor does not), bounded by the
`--deep-timeout` and killed with everything it started (evidence.process). A script that
fails is bad input: one line here, its own traceback kept in a file the line names.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

from chipdoctor.boundedio import RefusedFile, read_regular, regular_size
from chipdoctor.errors import BadInput
from chipdoctor.evidence.process import run_bounded
from chipdoctor.ops.names import Op, parse_op

RECORDER = Path(__file__).resolve().parent / "recorder.py"
MAX_RECORD = 64 << 20
#: The script's own output is passed through to the end of the run, cut beyond this.
MAX_SCRIPT_OUTPUT = 64 << 20
#: Of the traceback file, only this much of its end is read for the one-line summary.
TRACEBACK_TAIL = 64 << 10


def record_run(script: Path, args: list[str], *, python: str | None, timeout: float) -> Counter[Op]:
    _check_script(script)
    interpreter = python or sys.executable
    fd, kept = tempfile.mkstemp(prefix="chipdoctor-ops-", suffix=".traceback.txt")
    os.close(fd)
    traceback_file = Path(kept)
    with tempfile.TemporaryDirectory(prefix="chipdoctor-ops-") as scratch:
        out = Path(scratch) / "ops.json"
        argv = [interpreter, str(RECORDER), str(out), str(traceback_file), str(script), *args]
        try:
            outcome = run_bounded(
                argv, timeout=timeout, env=dict(os.environ), limit=MAX_SCRIPT_OUTPUT
            )
        except OSError as exc:
            traceback_file.unlink(missing_ok=True)
            raise BadInput(f"{interpreter}: cannot be run: {exc.strerror or exc}") from None
        if outcome.exit != 0:
            raise BadInput(
                _failure(script, outcome.exit, outcome.error, outcome.stderr, traceback_file)
            )
        traceback_file.unlink(missing_ok=True)
        try:
            raw = json.loads(read_regular(out, MAX_RECORD, truncate=True))
        except (OSError, RefusedFile, ValueError, RecursionError):
            raise BadInput(f"{script}: the recorder wrote no operator list") from None
    if not isinstance(raw, dict):  # the script runs in the recorder's process and may write
        raise BadInput(f"{script}: the recorder wrote no operator list")
    counts: Counter[Op] = Counter()
    for name, count in raw.items():
        op = parse_op(name)
        if op is not None and isinstance(count, int):
            counts[op] += count
    if not counts:  # not `coverage 100%`: a script that ran nothing proves nothing
        raise BadInput(f"{script}: dispatched no ATen operator (does it run its model?)")
    return counts


def _check_script(script: Path) -> None:
    """Bad input unless `script` is a regular file; the line says what it is instead."""
    try:
        regular_size(script)
    except FileNotFoundError:
        raise BadInput(f"{script}: no such script") from None
    except RefusedFile as exc:  # /dev/null, a directory: say what it is
        raise BadInput(f"{script}: not a script: {exc}") from None
    except OSError as exc:
        raise BadInput(f"{script}: cannot be read: {exc.strerror or exc}") from None


def _failure(script: Path, code: int | None, error: str, stderr: bytes, kept: Path) -> str:
    """One line; the child's traceback (or its stderr) stays in `kept`."""
    if code is None:
        kept.unlink(missing_ok=True)
        return f"{script}: {error or 'did not finish'} (raise --deep-timeout to give it longer)"
    written = _tail(kept)
    if not written.strip():
        written = stderr.decode("utf-8", errors="replace")
        kept.write_bytes(stderr)
    last = next((line for line in reversed(written.splitlines()) if line.strip()), "no output")
    return f"{script}: failed with exit {code} ({last.strip()[:200]}); its traceback is in {kept}"


def _tail(kept: Path) -> str:
    """The end of the child's traceback file, where its last line is: the child may have
    written any amount there, and only that line is shown."""
    try:
        size = regular_size(kept)
        with kept.open("rb") as stream:
            stream.seek(max(0, size - TRACEBACK_TAIL))
            return stream.read(TRACEBACK_TAIL).decode("utf-8", errors="replace")
    except (OSError, RefusedFile):
        return ""
