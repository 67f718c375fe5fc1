"""`chipdoctor ops --run` with a real CPU torch: it records what the script dispatched, agrees
with the exported program, and a failing script is one line with its traceback kept."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "fixtures" / "ops" / "model.py"


def _statuses(document: dict[str, Any]) -> dict[str, str]:
    return {op["op"]: op["status"] for op in document["ops"]}


def _ops_run(script: Path, torch_python: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`chipdoctor ops --run SCRIPT ARGS...` on the test torch, judged for torch_npu 2.5.1."""
    return run_cli(
        "ops",
        "--run",
        str(script),
        *args,
        "--python",
        torch_python,
        "--target",
        "torch_npu==2.5.1",
    )


def test_run_agrees_with_the_pt2(torch_python: str) -> None:
    ran = _ops_run(MODEL, torch_python, "--format", "json")
    assert ran.returncode == 0, ran.stderr
    recorded = _statuses(json.loads(ran.stdout))
    exported = run_cli(
        "ops", str(MODEL.with_name("model.pt2")), "--target", "torch_npu==2.5.1", "--format", "json"
    )
    from_pt2 = _statuses(json.loads(exported.stdout))
    # --run sees the device-level operators directly: conv2d arrives as convolution
    assert recorded["aten::convolution"] == from_pt2["aten::convolution"] == "native"
    assert recorded["aten::lgamma"] == from_pt2["aten::lgamma"] == "fallback"
    assert "aten::conv2d" not in recorded


def test_fresh_files_from_this_torch_read_the_same(torch_python: str, tmp_path: Path) -> None:
    """The committed fixtures stay what this torch writes today."""
    made = subprocess.run(
        [torch_python, str(MODEL), "--make", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    for name in ("model.pt2", "model-flat.pt2", "trace.json.gz"):
        fresh = run_cli(
            "ops", str(tmp_path / name), "--target", "torch_npu==2.5.1", "--format", "json"
        )
        committed = run_cli(
            "ops", str(MODEL.with_name(name)), "--target", "torch_npu==2.5.1", "--format", "json"
        )
        assert fresh.returncode == 0, fresh.stderr
        assert _statuses(json.loads(fresh.stdout)) == _statuses(json.loads(committed.stdout))


def test_script_arguments_reach_the_script(torch_python: str, tmp_path: Path) -> None:
    script = tmp_path / "args.py"
    script.write_text(
        "import sys, torch\n"
        "if sys.argv[1:] == ['--mm', '2']:\n"
        "    torch.ones(2, 2) @ torch.ones(2, 2)\n"
    )
    ran = _ops_run(script, torch_python, "--mm", "2", "--format", "json")
    assert ran.returncode == 0, ran.stderr
    assert "aten::mm" in _statuses(json.loads(ran.stdout))


def test_a_failing_script_is_one_line_and_keeps_its_traceback(
    torch_python: str, tmp_path: Path
) -> None:
    """The line names the last line of the traceback, read from the end of a file longer than
    what is read of it (a 200 kB chained cause); the whole traceback is kept."""
    script = tmp_path / "broken.py"
    script.write_text(
        "import torch\n\ndef step():\n    try:\n        raise KeyError('k' * 200_000)\n"
        "    except KeyError as cause:\n"
        "        raise ValueError('shape mismatch in step 3') from cause\n\nstep()\n"
    )
    ran = _ops_run(script, torch_python)
    assert ran.returncode == 2
    assert len(ran.stderr.splitlines()) == 1 and len(ran.stderr) < 1000
    assert "ValueError: shape mismatch in step 3" in ran.stderr
    kept = Path(re.search(r"its traceback is in (\S+)$", ran.stderr.strip()).group(1))  # type: ignore[union-attr]
    try:
        text = kept.read_text()
        assert "Traceback (most recent call last)" in text and "in step" in text
        assert len(text) > 200_000
    finally:
        kept.unlink()


def test_a_script_past_the_timeout_is_killed(torch_python: str, tmp_path: Path) -> None:
    script = tmp_path / "hang.py"
    script.write_text("import time\ntime.sleep(600)\n")
    ran = _ops_run(script, torch_python, "--deep-timeout", "3")
    assert ran.returncode == 2
    assert "timed out after 3 s" in ran.stderr


def test_a_script_that_dispatches_nothing_is_bad_input(torch_python: str, tmp_path: Path) -> None:
    """Not `0 of 0 native, coverage 100%` and exit 0: e.g. a model behind a main() never run."""
    script = tmp_path / "idle.py"
    script.write_text("import torch\n\ndef main():\n    torch.ones(2) + 1\n")
    ran = _ops_run(script, torch_python)
    assert ran.returncode == 2
    assert "dispatched no ATen operator" in ran.stderr and len(ran.stderr.splitlines()) == 1


def test_a_record_that_is_no_regular_file_is_bad_input(tmp_path: Path) -> None:
    """The script runs in the recorder's process, so what it leaves at the record's path is
    read bounded: a FIFO there is refused, not waited on forever."""
    interpreter = tmp_path / "python"
    # argv: RECORDER OUT TRACEBACK SCRIPT: leave a FIFO where the record should be
    interpreter.write_text('#!/bin/sh\nmkfifo "$2"\n', encoding="utf-8")
    interpreter.chmod(0o755)
    script = tmp_path / "script.py"
    script.write_text("pass\n", encoding="utf-8")
    ran = _ops_run(script, str(interpreter))
    assert ran.returncode == 2, ran.stderr
    assert "the recorder wrote no operator list" in ran.stderr
