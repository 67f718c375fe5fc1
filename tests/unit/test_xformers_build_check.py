"""`check` of an environment whose xFormers was built for another torch build: the host probe
reads xformers/cpp_lib.json from the site directory (never importing anything), the snapshot
records it, and the live check and the check of its snapshot agree."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from tests.conftest import SNAPSHOTS, run_cli

RECORDS = Path(__file__).parents[1] / "fixtures" / "xformers_cpp_lib"


def _site(root: Path, torch: str, record: str | None) -> Path:
    """A site directory with torch and xFormers 0.0.23.post1 as pip installs them (METADATA,
    the package directory) and, where given, xFormers' build record."""
    site = root / "site-packages"
    for name, version, requires in (
        ("torch", torch, []),
        ("xformers", "0.0.23.post1", ["torch==2.1.2", "numpy"]),
    ):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        lines = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"]
        lines += [f"Requires-Dist: {line}\n" for line in requires]
        (info / "METADATA").write_text("".join(lines))
        (site / name).mkdir()
        (site / name / "__init__.py").write_text("raise SystemExit('imported')\n")
    if record is not None:
        (site / "xformers" / "cpp_lib.json").write_text(record)
    return site


def _check(*args: str, site: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", *args, "--format", "json", env={"PYTHONPATH": str(site)})
    return result.returncode, json.loads(result.stdout)


def _live_and_snapshot(tmp_path: Path, site: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    python = ("--python", sys.executable)
    code, live = _check(*python, site=site)
    snap = tmp_path / "snap"
    recorded = run_cli("snapshot", str(snap), *python, env={"PYTHONPATH": str(site)})
    assert recorded.returncode == 0, recorded.stderr
    code_again, again = _check("--snapshot", str(snap), site=site)
    assert code == code_again
    return live, again


def _findings(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(f["id"], f["severity"], f["message"], f["fix"]) for f in report["findings"]]


def test_a_cuda_xformers_under_a_cpu_torch_live_and_snapshot(tmp_path: Path) -> None:
    record = (RECORDS / "xformers-971_0.0.23.post1.json").read_text()
    site = _site(tmp_path, "2.1.2+cpu", record)
    live, again = _live_and_snapshot(tmp_path, site)
    (finding,) = [f for f in live["findings"] if f["id"] == "host.companion-build"]
    assert finding["severity"] == "error"
    assert "PyTorch 2.1.2+cu121 with CUDA 1201" in finding["message"]
    assert f"{site}/xformers/cpp_lib.json" in finding["message"]
    assert finding["fix"] == (
        "pip install torch==2.1.2+cu121 --index-url https://download.pytorch.org/whl/cu121"
    )
    assert _findings(live) == _findings(again)
    assert live["components"] == again["components"]
    copy = tmp_path / "snap" / "files" / str(site).lstrip("/") / "xformers" / "cpp_lib.json"
    assert copy.read_text() == record


def test_another_torch_release_names_both_ways(tmp_path: Path) -> None:
    """A source build (no pin on torch) made for 2.1.2+cu121, under torch 2.3.0+cu121."""
    record = (RECORDS / "xformers-971_0.0.23.post1.json").read_text()
    site = _site(tmp_path, "2.3.0+cu121", record)
    shutil.rmtree(next(site.glob("xformers-*.dist-info")))
    info = site / "xformers-0.0.23.post1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: xformers\nVersion: 0.0.23.post1\n")
    live, again = _live_and_snapshot(tmp_path, site)
    (finding,) = [f for f in live["findings"] if f["id"] == "host.companion-release"]
    assert "pip install torch==2.1.2+cu121 --index-url" in finding["fix"]
    assert "pip install xformers==0.0.26 torch==2.3.0+cu121 --index-url" in finding["fix"]
    assert _findings(live) == _findings(again)


def test_a_hostile_build_record_cannot_tell(tmp_path: Path) -> None:
    site = _site(tmp_path, "2.1.2+cpu", '{"version": {"torch": "$(reboot)", "cuda": 1201}}')
    live, again = _live_and_snapshot(tmp_path, site)
    ids = [f["id"] for f in live["findings"]]
    assert "host.xformers-build-unreadable" in ids
    assert "host.companion-build" not in ids and "$(reboot)" not in json.dumps(live)
    assert _findings(live) == _findings(again)
    # a directory where the file should be: unreadable, a warning, never a traceback
    record = site / "xformers" / "cpp_lib.json"
    record.unlink()
    record.mkdir()
    code, report = _check("--python", sys.executable, site=site)
    assert code in (0, 1)
    assert "host.unreadable-file" in [f["id"] for f in report["findings"]]


def test_on_a_gpu_host_one_finding_whose_fix_is_the_plan(tmp_path: Path) -> None:
    """A CPU torch under a CUDA xFormers on a host with an NVIDIA GPU: cuda.torch-cpu-build
    names the cause, with `fix`'s plan as its fix; no second finding for it."""
    snap = tmp_path / "snap"
    shutil.copytree(SNAPSHOTS / "cuda-cpu-torch-on-gpu-host", snap)
    yaml = snap / "snapshot.yaml"
    text = yaml.read_text()
    packages = 'packages: {torch: "2.5.1+cpu", torchvision: "0.20.1+cpu"}'
    assert packages in text
    yaml.write_text(
        text.replace(
            packages,
            'packages: {torch: "2.5.1+cpu", torchvision: "0.20.1+cpu", xformers: "0.0.28.post3"}'
            "\n  paths: [/usr/lib/python3/dist-packages]",
        )
    )
    record = snap / "files" / "usr" / "lib" / "python3" / "dist-packages" / "xformers"
    record.mkdir(parents=True)
    (record / "cpp_lib.json").write_text(
        json.dumps({"version": {"cuda": 1201, "hip": None, "torch": "2.5.1+cu121"}})
    )
    report = json.loads(run_cli("check", "--snapshot", str(snap), "--format", "json").stdout)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert [f["id"] for f in errors] == ["cuda.torch-cpu-build"]
    wanted = re.search(r"torch==\S+", errors[0]["fix"])
    plan = json.loads(run_cli("fix", "--snapshot", str(snap), "--format", "json").stdout)
    commands = [command for step in plan["steps"] for command in step["commands"]]
    assert wanted is not None and any(wanted.group(0) in command for command in commands)
