"""Ansible, run for real (ansible-core from the test extras) against an inventory of local
hosts, each fed its own snapshot: the fact file gives `ansible_local.chipdoctor`, and the
playbook gathers every host's report and names the host that drifted."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS, chipdoctor_argv, write_tool

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE = ROOT / "integrations" / "ansible"
TOOLKIT_INFO = (
    "files/usr/local/Ascend/ascend-toolkit/latest/aarch64-linux/ascend_toolkit_install.info"
)
HOSTS = {"npu-a": "8.2.RC1", "npu-b": "8.2.RC1", "npu-c": "8.1.RC1", "npu-d": "8.2.RC1"}


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the Ansible tests: {name} is missing")
        pytest.skip(f"{name} is missing: pip install '.[test]' installs ansible-core")
    return found


def chipdoctor(bin_dir: Path) -> str:
    argv = chipdoctor_argv()
    if len(argv) == 1:
        return argv[0]
    return str(write_tool(bin_dir, "chipdoctor", f'exec {" ".join(argv)} "$@"\n'))


def node_snapshot(tmp_path: Path, host: str, cann: str) -> Path:
    """The healthy 910B snapshot as `host` recorded it (chipdoctor-snapshot/3), its CANN `cann`."""
    target = tmp_path / "snapshots" / host
    shutil.copytree(SNAPSHOTS / "ascend-910b-healthy", target)
    meta = target / "snapshot.yaml"
    text = meta.read_text().replace(
        "format: chipdoctor-snapshot/1", "format: chipdoctor-snapshot/3"
    )
    meta.write_text(text + f"host: {host}\n")
    info = target / TOOLKIT_INFO
    info.write_text(info.read_text().replace("version=8.2.RC1", f"version={cann}"))
    return target


def inventory(tmp_path: Path) -> Path:
    lines = ["[nodes]"]
    for host, cann in HOSTS.items():
        snapshot = node_snapshot(tmp_path, host, cann)
        lines.append(f"{host} ansible_connection=local chipdoctor_args='--snapshot {snapshot}'")
    lines += ["[all:vars]", f"ansible_python_interpreter={sys.executable}"]
    path = tmp_path / "inventory.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def ansible_env(tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")},
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "PYTHONWARNINGS": "ignore",
    }


def test_the_playbook_names_the_drifted_host(tmp_path: Path) -> None:
    playbook = tool("ansible-playbook")
    doctor = chipdoctor(tmp_path / "bin")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "gone-node.json").write_text("{}")  # an earlier run's report: removed
    done = subprocess.run(
        [
            playbook, "-i", str(inventory(tmp_path)), str(ANSIBLE / "chipdoctor-fleet.yml"),
            "-e", f"chipdoctor_command={doctor}", "-e", f"chipdoctor_controller_command={doctor}",
            "-e", f"chipdoctor_reports={reports}", "--forks", "4",
        ],
        capture_output=True, text=True, env=ansible_env(tmp_path), timeout=300, check=False,
    )  # fmt: skip
    out = done.stdout[-20000:]
    assert done.returncode == 2, out + done.stderr[-3000:]  # a failed task: the drift
    assert sorted(p.name for p in reports.iterdir()) == sorted(f"{h}.json" for h in HOSTS)
    for host in HOSTS:
        assert json.loads((reports / f"{host}.json").read_text())["host"] == host
    compare = subprocess.run(
        [doctor, "fleet", "compare", "--format", "json", str(reports)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert compare.returncode == 1
    fleet = json.loads(compare.stdout)
    drift = [f for f in fleet["findings"] if f["id"] == "fleet.drift"]
    assert [(f["component"], f["nodes"]) for f in drift] == [("cann", ["npu-c"])], drift
    assert "npu-c" in out and "chipdoctor fleet compare found drift" in out
    assert "cann" in out


def test_the_fact_file_gives_ansible_local_chipdoctor(tmp_path: Path) -> None:
    ansible = tool("ansible")
    facts_d = tmp_path / "facts.d"
    facts_d.mkdir()
    shutil.copy2(ANSIBLE / "chipdoctor.fact", facts_d / "chipdoctor.fact")
    env = {
        **ansible_env(tmp_path),
        "CHIPDOCTOR": chipdoctor(tmp_path / "bin"),
        "CHIPDOCTOR_ARGS": f"--snapshot {SNAPSHOTS / 'ascend-torch-mismatch'}",
    }
    done = subprocess.run(
        [
            ansible, "npu-a", "-i", "npu-a,", "-c", "local", "-m", "ansible.builtin.setup",
            "-a", f"gather_subset=!all,!min,local fact_path={facts_d} filter=ansible_local",
        ],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    # the ad-hoc output: `npu-a | SUCCESS => {…the module's result as JSON…}`
    head, _, result_json = done.stdout.partition(" => ")
    assert head.strip() == "npu-a | SUCCESS", done.stdout[-5000:]
    result = json.loads(result_json)
    fact = result["ansible_facts"]["ansible_local"]["chipdoctor"]
    assert fact["status"] == "error"
    assert fact["errors"] == ["ascend.torch-torch_npu"]
    assert fact["components"]["cann"] == "8.2.RC1"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fact["data_date"])  # the bundled data's date
