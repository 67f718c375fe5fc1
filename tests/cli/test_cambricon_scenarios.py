"""The Cambricon scenario snapshots through the real console script, and a live round trip.

test_scenarios.py checks every snapshot's exit code and findings; these tests check what the
Cambricon reports say: inventories, the exact fixes, and that a live check equals its snapshot.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from chipdoctor.engine import check
from chipdoctor.evidence.base import PythonInfo
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, SnapshotEvidence, write_snapshot
from chipdoctor.matrix.load import load_matrices
from tests.conftest import SNAPSHOTS, run_cli, write_tool


def report(scenario: str) -> dict[str, Any]:
    result = run_cli("check", "--snapshot", str(SNAPSHOTS / scenario), "--format", "json")
    assert result.stderr == "", result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def finding(data: dict[str, Any], finding_id: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [f for f in data["findings"] if f["id"] == finding_id]
    assert len(matches) == 1, matches
    return matches[0]


def test_healthy_mlu370_inventory() -> None:
    data = report("cambricon-mlu370-healthy")
    assert data["stacks"] == ["cambricon"]
    assert {c["id"]: c["version"] for c in data["components"]} == {
        "python": "3.10.12",
        "os": "Ubuntu 20.04",
        "arch": "x86_64",
        "glibc": "2.31",
        "neuware": "3.9.0",
        "cnnl": "1.24.0",
        "cambricon_driver": "5.10.31",
    }
    assert [d["index"] for d in data["devices"]] == list(range(8))
    assert data["devices"][0] == {
        "stack": "cambricon",
        "index": 0,
        "name": "MLUXXX-XX",
        "health": "N/A",
    }
    assert data["findings"] == []


def test_torch_mismatch_fix_is_the_pip_line() -> None:
    found = finding(report("cambricon-torch-mismatch"), "cambricon.torch-torch_mlu")
    # The exact build `fix` installs: the CPU build of the torch that torch_mlu is built for.
    assert found["fix"] == (
        "pip install torch==2.4.0+cpu --index-url https://download.pytorch.org/whl/cpu"
    )
    assert found["components"] == ["torch", "torch_mlu"]


def test_driver_too_old_for_torch_mlu_names_the_driver() -> None:
    data = report("cambricon-torch_mlu-driver-too-old")
    found = finding(data, "cambricon.torch_mlu-driver")
    assert "MLU driver 5.10.22 is older than driver 6.2.0" in found["message"]
    assert "r1.22_pt2.4.0" in found["message"]
    fix = found["fix"].splitlines()
    assert fix[0].startswith("Ask the administrator for Cambricon MLU driver 6.2.0 or newer")
    assert "\nor keep the driver: Install CNToolkit 3.8.2 " in found["fix"]
    assert fix[-1] == "pip install ./torch_mlu-1.22.0+torch2.4.0-cp310-cp310-linux_x86_64.whl"


def test_toolkit_newer_than_driver_cites_cambricon() -> None:
    found = finding(report("cambricon-toolkit-newer-than-driver"), "cambricon.neuware-driver")
    assert "Cambricon/mlu-ops" in found["message"]
    assert found["fix"].startswith("Ask the administrator to install MLU driver 5.10.27 or newer")


def test_cnmon_missing_is_advice_with_the_container_flags() -> None:
    data = report("cambricon-cnmon-missing")
    assert data["status"] == "ok"
    found = finding(data, "cambricon.cnmon-missing")
    assert found["severity"] == "info"
    assert "--device /dev/cambricon_ctl" in found["fix"]


def test_env_not_set_fix_is_the_readme_exports() -> None:
    found = finding(report("cambricon-env-not-set"), "cambricon.env-not-set")
    assert found["fix"] == (
        "export NEUWARE_HOME=/usr/local/neuware\nexport PATH=$PATH:/usr/local/neuware/bin"
    )


def test_live_check_equals_its_snapshot(tmp_path: Path) -> None:
    """A fake root with Neuware and a real `cnmon` script on PATH, checked live and frozen."""
    source = SNAPSHOTS / "cambricon-mlu370-healthy"
    root = tmp_path / "root"
    shutil.copytree(source / "files", root)
    tools = write_tool(tmp_path / "bin", "cnmon", f"cat '{source / 'commands' / 'cnmon.txt'}'\n")
    frozen = SnapshotEvidence(source)
    env = {
        name: frozen.getenv(name) or ""
        for name in ("NEUWARE_HOME", "LD_LIBRARY_PATH", "MLU_VISIBLE_DEVICES")
    }
    env["PATH"] = f"{tools.parent}:/usr/bin:/bin:/usr/local/neuware/bin"
    live = HostEvidence(root=str(root), env=env)
    live.__dict__["python"] = PythonInfo("3.10.12", dict(frozen.python.packages))
    recorder = RecordingEvidence(live)
    matrices = load_matrices()
    live_report = check(recorder, matrices).to_dict()
    assert "cambricon" in live_report["stacks"]
    assert {c["id"]: c["version"] for c in live_report["components"]}["cnnl"] == "1.24.0"
    assert len(live_report["devices"]) == 8
    listed = {
        f"{p.rstrip('/')}/{e}": live.is_dir(f"{p.rstrip('/')}/{e}")
        for p, entries in recorder.recording.dirs.items()
        for e in entries or []
    }
    out = tmp_path / "snap"
    write_snapshot(out, recorder.recording, live.platform, live.python, is_dir=listed)
    assert check(SnapshotEvidence(out), matrices).to_dict() == live_report
