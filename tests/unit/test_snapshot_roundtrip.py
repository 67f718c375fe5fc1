"""A live check and a check of its own snapshot give the same report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chipdoctor.engine import check, collect
from chipdoctor.errors import BadInput
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, SnapshotEvidence, write_snapshot
from chipdoctor.matrix.load import load_matrices
from tests.conftest import SNAPSHOTS, run_cli, write_tool

HEALTHY = SNAPSHOTS / "ascend-910b-healthy"


def _live_tree(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fake root holding the healthy 910B files, with a real `npu-smi` script on PATH."""
    root = tmp_path / "root"
    shutil.copytree(HEALTHY / "files", root)
    output = HEALTHY / "commands" / "npu-smi-info.txt"
    tools = write_tool(tmp_path / "bin", "npu-smi", f"cat '{output}'\n").parent
    source = SnapshotEvidence(HEALTHY)
    env = {
        name: source.getenv(name) or ""
        for name in (
            "ASCEND_TOOLKIT_HOME",
            "ASCEND_HOME_PATH",
            "ASCEND_OPP_PATH",
            "LD_LIBRARY_PATH",
            "ATB_HOME_PATH",
        )
    }
    env["PATH"] = f"{tools}:/usr/bin:/bin"
    return root, env


def test_live_and_snapshot_reports_are_identical(tmp_path: Path) -> None:
    root, env = _live_tree(tmp_path)
    matrices = load_matrices()
    live = HostEvidence(root=str(root), env=env)
    recorder = RecordingEvidence(live)
    live_report = check(recorder, matrices).to_dict()
    assert "ascend" in live_report["stacks"]
    assert any(d["name"] == "910B2C" for d in live_report["devices"])
    listed = {
        f"{p.rstrip('/')}/{e}": live.is_dir(f"{p.rstrip('/')}/{e}")
        for p, entries in recorder.recording.dirs.items()
        for e in entries or []
    }
    out = tmp_path / "snap"
    write_snapshot(out, recorder.recording, live.platform, live.python, is_dir=listed)
    assert check(SnapshotEvidence(out), matrices).to_dict() == live_report


def test_this_machine_and_its_snapshot_agree_through_the_cli(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    made = run_cli("snapshot", str(snap))
    assert made.returncode == 0, made.stderr
    assert (snap / "snapshot.yaml").is_file()
    live = run_cli("check", "--format", "json")
    frozen = run_cli("check", "--snapshot", str(snap), "--format", "json")
    assert live.returncode == frozen.returncode == 0
    assert json.loads(live.stdout) == json.loads(frozen.stdout)


def test_snapshot_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    result = run_cli("snapshot", str(tmp_path))
    assert result.returncode == 2
    assert "not empty" in result.stderr and "--force" in result.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_recording_keeps_what_probes_read(tmp_path: Path) -> None:
    root, env = _live_tree(tmp_path)
    recorder = RecordingEvidence(HostEvidence(root=str(root), env=env))
    collect(recorder)
    recording = recorder.recording
    assert recording.files["/usr/local/Ascend/driver/version.info"]
    assert recording.commands["npu-smi info"] is not None
    assert recording.env["ASCEND_HOME_PATH"] == "/usr/local/Ascend/ascend-toolkit/latest"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "format: chipdoctor-snapshot/7\n",
            1,
            (
                "format must be one of chipdoctor-snapshot/1, chipdoctor-snapshot/2, "
                "chipdoctor-snapshot/3"
            ),
        ),
        ("- a list\n", 1, "snapshot.yaml must be a mapping"),
        (
            "format: chipdoctor-snapshot/1\ncommands:\n  x: {exit: one}\n",
            3,
            "exit of 'x' must be an integer",
        ),
        ("format: chipdoctor-snapshot/1\npython: [1]\n", 2, "python must be a mapping"),
        ("format: chipdoctor-snapshot/1\nfoo: 1\n", 2, "unknown key 'foo'"),
        ("format: chipdoctor-snapshot/1\nenv: {A: [1]}\n", 2, "env A must be a string"),
    ],
)
def test_bad_snapshot_is_one_clear_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    (tmp_path / "snapshot.yaml").write_text(text)
    with pytest.raises(BadInput) as caught:
        SnapshotEvidence(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path}/snapshot.yaml:{line}: {message}")


def test_snapshot_paths_cannot_escape(tmp_path: Path) -> None:
    (tmp_path / "snapshot.yaml").write_text(
        "format: chipdoctor-snapshot/1\ncommands:\n"
        "  'npu-smi info': {exit: 0, stdout: ../../etc/passwd}\n"
    )
    with pytest.raises(BadInput, match="leaves the snapshot"):  # refused when opened
        SnapshotEvidence(tmp_path)
    (tmp_path / "snapshot.yaml").write_text("format: chipdoctor-snapshot/1\n")
    (tmp_path / "secret").write_text("beside files/, not under it")
    assert SnapshotEvidence(tmp_path).read_text("/usr/../../secret") is None  # `..` stops at /
