"""chipdoctor-snapshot/3: `host` and `docker` are read, keys a newer chipdoctor adds are
ignored with a note; /1 and /2 stay strict (docs/contracts.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.conftest import SNAPSHOTS, run_cli

BASE = SNAPSHOTS / "cuda-driver-mismatch"


def _snapshot(tmp_path: Path, **changes: object) -> Path:
    snap = tmp_path / "snap"
    shutil.copytree(BASE, snap)
    doc = yaml.safe_load((snap / "snapshot.yaml").read_text())
    doc.update(changes)
    (snap / "snapshot.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return snap


def _json(snap: Path) -> tuple[int, dict[str, object]]:
    result = run_cli("check", "--snapshot", str(snap), "--format", "json")
    return result.returncode, json.loads(result.stdout)


def test_a_format_3_snapshot_names_its_node(tmp_path: Path) -> None:
    plain_code, plain = _json(BASE)
    code, report = _json(_snapshot(tmp_path, format="chipdoctor-snapshot/3", host="gpu-node-07"))
    assert "host" not in plain
    assert report["host"] == "gpu-node-07"
    assert (code, {**report, "host": None}) == (plain_code, {**plain, "host": None})


def test_keys_a_newer_chipdoctor_wrote_are_ignored_with_a_note(tmp_path: Path) -> None:
    snap = _snapshot(tmp_path, format="chipdoctor-snapshot/3", fatbins={"/x": ["sm_90"]})
    code, report = _json(snap)
    assert (code, report) == _json(_snapshot(tmp_path / "b", format="chipdoctor-snapshot/3"))
    table = run_cli("check", "--snapshot", str(snap))
    assert "keys this chipdoctor does not know (fatbins)" in " ".join(table.stdout.split())


def test_format_2_stays_strict(tmp_path: Path) -> None:
    result = run_cli("check", "--snapshot", str(_snapshot(tmp_path, host="gpu-node-07")))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "unknown key 'host'" in result.stderr


def test_a_malformed_format_3_key_is_bad_input_at_its_line(tmp_path: Path) -> None:
    snap = _snapshot(tmp_path, format="chipdoctor-snapshot/3", docker={"runtimes": "runc"})
    result = run_cli("check", "--snapshot", str(snap))
    assert result.returncode == 2
    assert "snapshot.yaml:" in result.stderr and "docker runtimes must be a list" in result.stderr
