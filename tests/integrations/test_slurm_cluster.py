"""The Slurm health check and collection script on a real single-node cluster (slurmctld and
slurmd on 127.0.0.1, started here): a failing stack drains the node with the finding as reason."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS, chipdoctor_argv, write_tool
from tests.integrations.slurm_cluster import Cluster, cluster, missing

ROOT = Path(__file__).resolve().parents[2]
HEALTHCHECK = ROOT / "integrations" / "slurm" / "healthcheck.sh"
COLLECT = ROOT / "integrations" / "slurm" / "collect.sh"


def chipdoctor_path(bin_dir: Path) -> str:
    """chipdoctor as an absolute path (the health check runs with no PATH of ours)."""
    argv = chipdoctor_argv()
    if len(argv) == 1:
        return argv[0]
    return str(write_tool(bin_dir, "chipdoctor", f'exec {" ".join(argv)} "$@"\n'))


@pytest.fixture(scope="module")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, Path]]:
    reason = missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the Slurm tests: {reason}")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("slurm")
    conf = root / "healthcheck.conf"
    conf.write_text(f"CHIPDOCTOR_ARGS='--snapshot {SNAPSHOTS / 'ascend-910b-healthy'}'\n")
    # slurmd runs the program with no arguments and no settings: this stand-in for root's
    # /usr/local/sbin/chipdoctor-healthcheck only says where the test's settings are.
    shim = write_tool(
        root / "bin",
        "chipdoctor-healthcheck",
        f"CHIPDOCTOR_HEALTHCHECK_CONF={root / 'base.conf'} exec /bin/bash {HEALTHCHECK}\n",
    )
    (root / "base.conf").write_text(
        f"CHIPDOCTOR={chipdoctor_path(root / 'bin')}\n"
        f"export SLURM_CONF={root / 'cluster' / 'slurm.conf'}\n"
        f". {conf}\n"
    )
    with cluster(root / "cluster", shim, interval=2) as running:
        yield running, conf


def test_a_healthy_node_serves_and_collect_writes_its_report(
    slurm: tuple[Cluster, Path], tmp_path: Path
) -> None:
    running, _ = slurm
    fields = running.wait_for("became idle", lambda f: f.get("State", "").startswith("IDLE"))
    assert "DRAIN" not in fields["State"]
    reports = tmp_path / "reports"
    env = {
        **running.env,
        "CHIPDOCTOR": chipdoctor_path(tmp_path / "bin"),
        "CHIPDOCTOR_ARGS": f"--snapshot {SNAPSHOTS / 'ascend-torch-mismatch'}",
    }
    done = subprocess.run(
        [str(COLLECT), str(reports), "--nodes=1", "--time=2"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in reports.iterdir()) == [f"{running.node}.json"]
    report = json.loads((reports / f"{running.node}.json").read_text())
    assert report["format"] == "chipdoctor-report/1"
    assert [f["id"] for f in report["findings"] if f["severity"] == "error"] == [
        "ascend.torch-torch_npu"
    ]
    compared = subprocess.run(
        [env["CHIPDOCTOR"], "fleet", "compare", "--format", "json", str(reports)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert compared.returncode == 1  # the node's own verdict failed
    fleet = json.loads(compared.stdout)
    assert [n["name"] for n in fleet["nodes"]] == [running.node]
    assert fleet["unreadable"] == []


def test_collect_refuses_a_directory_with_earlier_reports(tmp_path: Path) -> None:
    """An earlier run's report would stand in for a node that does not answer this time."""
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "node07.json").write_text("{}")
    done = subprocess.run(
        [str(COLLECT), str(reports), "--nodes=1"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "already holds reports (node07.json)" in done.stderr
    assert sorted(p.name for p in reports.iterdir()) == ["node07.json"]


def test_collect_refuses_a_directory_name_srun_would_expand(tmp_path: Path) -> None:
    """`run%j` would become `run1234` in srun's --output pattern: the reports would land
    elsewhere and every node would look silent."""
    reports = tmp_path / "run%j"
    done = subprocess.run(
        [str(COLLECT), str(reports), "--nodes=1"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "with % or \\ is not usable" in done.stderr
    assert not reports.exists()


def test_collect_fails_when_srun_runs_no_node(slurm: tuple[Cluster, Path], tmp_path: Path) -> None:
    """srun refusing the job (here an unknown partition) leaves no report: not `exit 0`."""
    running, _ = slurm
    reports = tmp_path / "reports"
    env = {**running.env, "CHIPDOCTOR": chipdoctor_path(tmp_path / "bin")}
    done = subprocess.run(
        [str(COLLECT), str(reports), "--partition=no-such-partition", "--time=2"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "no node ran the check" in done.stderr
    assert list(reports.iterdir()) == []


def test_an_incompatible_stack_drains_the_node_naming_the_finding(
    slurm: tuple[Cluster, Path],
) -> None:
    running, conf = slurm
    conf.write_text(f"CHIPDOCTOR_ARGS='--snapshot {SNAPSHOTS / 'ascend-torch-mismatch'}'\n")
    fields = running.wait_for("drained", lambda f: "DRAIN" in f.get("State", ""))
    assert fields["Reason"].startswith("chipdoctor: ascend.torch-torch_npu ["), fields
    listed = running.run("sinfo", "--noheader", "--Node", "--format=%N|%T|%E").stdout
    assert f"{running.node}|drained|chipdoctor: ascend.torch-torch_npu" in listed.splitlines()
