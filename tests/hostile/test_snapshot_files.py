"""The files of a snapshot directory are read without trusting them: a FIFO or a link to
`/dev/zero` is refused before any probe runs (it would block or never end), a sparse file that
claims gigabytes is read no further than the limit, and a tree nested too deep is refused."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from chipdoctor.evidence.snapshot import MAX_DEPTH
from tests.hostile.refusal import HEALTHY, assert_refused, run_capped

VERSION_INFO = "files/usr/local/Ascend/driver/version.info"


def _copy(tmp_path: Path) -> Path:
    snapshot = tmp_path / "snap"
    shutil.copytree(HEALTHY, snapshot)
    return snapshot


def _sparse(path: Path, size: int = 2 << 30) -> None:
    """A file that claims `size` bytes and holds none on disk."""
    with path.open("wb") as handle:
        handle.truncate(size)


def test_a_fifo_under_files_is_refused(tmp_path: Path) -> None:
    snapshot = _copy(tmp_path)
    (snapshot / VERSION_INFO).unlink()
    os.mkfifo(snapshot / VERSION_INFO)
    result = run_capped("check", "--snapshot", str(snapshot), timeout=15)
    assert_refused(result, f"{snapshot}/{VERSION_INFO}: a FIFO")


def test_a_link_to_dev_zero_under_files_is_refused(tmp_path: Path) -> None:
    snapshot = _copy(tmp_path)
    (snapshot / VERSION_INFO).unlink()
    (snapshot / VERSION_INFO).symlink_to("/dev/zero")
    result = run_capped("check", "--snapshot", str(snapshot), timeout=15)
    assert_refused(result, f"{snapshot}/{VERSION_INFO}: a symbolic link")


def test_a_recorded_output_linked_to_dev_zero_is_refused(tmp_path: Path) -> None:
    snapshot = _copy(tmp_path)
    (snapshot / "commands/npu-smi-info.txt").unlink()
    (snapshot / "commands/npu-smi-info.txt").symlink_to("/dev/zero")
    result = run_capped("check", "--snapshot", str(snapshot), timeout=15)
    assert_refused(result, "commands/npu-smi-info.txt", "symbolic link")


def test_an_output_outside_commands_linked_to_dev_zero_is_refused(tmp_path: Path) -> None:
    snapshot = _copy(tmp_path)
    (snapshot / "zero").symlink_to("/dev/zero")
    yaml = snapshot / "snapshot.yaml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(text.replace("stdout: commands/npu-smi-info.txt", "stdout: zero"))
    result = run_capped("check", "--snapshot", str(snapshot), timeout=15)
    assert_refused(result, f"{yaml}:", "output file 'zero' is a symbolic link")


def test_a_fifo_as_snapshot_yaml_is_refused(tmp_path: Path) -> None:
    snapshot = _copy(tmp_path)
    (snapshot / "snapshot.yaml").unlink()
    os.mkfifo(snapshot / "snapshot.yaml")
    result = run_capped("check", "--snapshot", str(snapshot), timeout=15)
    assert_refused(result, f"{snapshot}/snapshot.yaml: is a FIFO")


def test_a_sparse_recorded_output_is_read_only_to_the_limit(tmp_path: Path) -> None:
    """Its first MiB is read, so the report is the intact snapshot's (no crashed probe)."""
    snapshot = _copy(tmp_path)
    _sparse(snapshot / "commands/npu-smi-info.err")
    result = run_capped("check", "--snapshot", str(snapshot), "--format", "json", timeout=30)
    intact = run_capped("check", "--snapshot", str(HEALTHY), "--format", "json")
    assert result.returncode == intact.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == json.loads(intact.stdout)


def test_a_sparse_version_file_is_unreadable_not_read(tmp_path: Path) -> None:
    """As on a live host: a file over the read limit is reported unreadable."""
    snapshot = _copy(tmp_path)
    _sparse(snapshot / VERSION_INFO)
    result = run_capped("check", "--snapshot", str(snapshot), "--format", "json", timeout=30)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert "internal error" not in result.stderr
    assert "larger than" in result.stdout


def test_a_tree_nested_too_deep_is_refused(tmp_path: Path) -> None:
    snapshot = _copy(tmp_path)
    deep = snapshot.joinpath("files", *["d"] * (MAX_DEPTH + 5))
    deep.mkdir(parents=True)
    result = run_capped("check", "--snapshot", str(snapshot), timeout=15)
    assert_refused(result, f"nested more than {MAX_DEPTH} levels deep")
