"""`snapshot --log`: the failed job's log kept with the snapshot, redacted, so `check
--snapshot` (and `fix`) weigh it as the live `check --log` did."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.conftest import run_cli

NO_MCCL = "ImportError: libmccl.so.2: cannot open shared object file: No such file or directory"
TOKEN = "hf_" + "a1B2c3D4" * 5


def _findings(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((f["id"], f["message"], f["fix"]) for f in report["findings"])


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "job.log"
    log.write_text(f"export HF_TOKEN={TOKEN}\nTraceback (most recent call last):\n{NO_MCCL}\n")
    return log


def test_a_check_of_the_snapshot_weighs_the_log_it_was_taken_with(tmp_path: Path) -> None:
    log, snap = _log(tmp_path), tmp_path / "snap"
    python = ("--python", sys.executable)
    live = run_cli("check", *python, "--log", str(log), "--format", "json")
    recorded = run_cli("snapshot", str(snap), *python, "--log", str(log))
    assert recorded.returncode == 0, recorded.stderr
    again = run_cli("check", "--snapshot", str(snap), "--format", "json")
    assert again.returncode == live.returncode
    found = _findings(json.loads(live.stdout))
    assert found == _findings(json.loads(again.stdout))
    assert any("line 3" in message and "libmccl.so.2" in message for _, message, _ in found)
    kept = (snap / "log.txt").read_text()
    assert NO_MCCL in kept and TOKEN not in kept  # redacted like the rest of a snapshot


def test_a_log_given_to_check_replaces_the_recorded_one(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    assert run_cli("snapshot", str(snap), "--log", str(_log(tmp_path))).returncode == 0
    other = tmp_path / "other.log"
    other.write_text("nothing known here\n")
    report = json.loads(
        run_cli("check", "--snapshot", str(snap), "--log", str(other), "--format", "json").stdout
    )
    assert not [f for f in report["findings"] if "libmccl" in f["message"]]


def test_a_bad_log_key_is_one_line_and_exit_2(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    assert run_cli("snapshot", str(snap), "--log", str(_log(tmp_path))).returncode == 0
    document = snap / "snapshot.yaml"
    document.write_text(document.read_text().replace("file: log.txt", "file: ../../etc/passwd"))
    result = run_cli("check", "--snapshot", str(snap))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "leaves the snapshot" in result.stderr
