"""The MUSA probe through SnapshotEvidence on the scenario snapshots and on variations of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, SnapshotEvidence, write_snapshot
from chipdoctor.matrix.load import load_matrices
from chipdoctor.model import Device, Inventory, Severity
from chipdoctor.probes.host import HostProbe
from chipdoctor.stacks.musa.facts import FACT_MCCL, FACT_MCCL_DIRS, FACT_TOOLKIT_HOME
from chipdoctor.stacks.musa.probe import MusaProbe
from chipdoctor.stacks.musa.rules import evaluate
from tests.conftest import SNAPSHOTS

SCENARIOS = sorted(p.name for p in SNAPSHOTS.glob("musa-*") if (p / "snapshot.yaml").is_file())


def collect(directory: Path) -> Inventory:
    return MusaProbe().collect(SnapshotEvidence(directory))


def copy(scenario: str, tmp_path: Path) -> Path:
    target = tmp_path / scenario
    shutil.copytree(SNAPSHOTS / scenario, target)
    return target


def edit(directory: Path, **changes: object) -> None:
    """Replace top-level keys of snapshot.yaml (a value None drops the key)."""
    path = directory / "snapshot.yaml"
    data = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data))


def ids(inventory: Inventory) -> dict[str, Severity]:
    return {f.id: f.severity for f in inventory.findings}


def test_healthy_s4000() -> None:
    inv = collect(SNAPSHOTS / "musa-s4000-healthy")
    assert inv.stacks == ["musa"]
    assert {(c.id, c.version, c.source) for c in inv.components} == {
        ("torch_musa", "1.3.0", "package metadata: torch-musa"),
        ("musa_toolkit", "3.1.0", "musa_version_query"),
        ("musa_driver", "3.0.0", "mthreads-gmi"),
    }
    assert inv.devices == [
        Device("musa", 0, "MTT S4000", "N/A"),
        Device("musa", 1, "MTT S4000", "N/A"),
    ]
    assert inv.findings == []


def test_version_json_wins_over_the_query(tmp_path: Path) -> None:
    inv = collect(SNAPSHOTS / "musa-torch-mismatch")
    toolkit = inv.component("musa_toolkit")
    assert toolkit is not None
    assert (toolkit.version, toolkit.source) == ("4.3.4", "/usr/local/musa/version.json")
    assert inv.version("musa_driver") == "3.3.5-server"
    assert inv.facts[FACT_TOOLKIT_HOME] == "/usr/local/musa"


def test_musa_home_is_read_first(tmp_path: Path) -> None:
    snap = copy("musa-torch-mismatch", tmp_path)
    other = snap / "files" / "opt" / "musa-5.1.0"
    other.mkdir(parents=True)
    (other / "version.json").write_text('{"musa_toolkits": {"version": "5.1.0"}}')
    edit(snap, env={"MUSA_HOME": "/opt/musa-5.1.0/"})
    inv = collect(snap)
    assert (inv.version("musa_toolkit"), inv.facts[FACT_TOOLKIT_HOME]) == (
        "5.1.0",
        "/opt/musa-5.1.0",
    )


def test_unreadable_version_json_is_a_warning(tmp_path: Path) -> None:
    snap = copy("musa-torch-mismatch", tmp_path)
    (snap / "files" / "usr" / "local" / "musa" / "version.json").write_text("{}\n")
    inv = collect(snap)
    assert inv.version("musa_toolkit") is None
    assert ids(inv) == {"musa.toolkit-version-unreadable": Severity.WARNING}
    assert inv.facts[FACT_TOOLKIT_HOME] == "/usr/local/musa"


def test_toolkit_without_version_json_or_query(tmp_path: Path) -> None:
    snap = copy("musa-s4000-healthy", tmp_path)
    (snap / "files" / "usr" / "local" / "musa" / "lib").mkdir(parents=True)
    (snap / "files" / "usr" / "local" / "musa" / "lib" / "libmusart.so").write_text("")
    data = yaml.safe_load((snap / "snapshot.yaml").read_text())
    del data["commands"]["musa_version_query"]
    edit(snap, commands=data["commands"])
    inv = collect(snap)
    assert ids(inv) == {"musa.toolkit-version-unknown": Severity.INFO}
    assert inv.facts[FACT_TOOLKIT_HOME] == "/usr/local/musa"
    assert inv.version("musa_toolkit") is None


def test_container_without_mthreads_gmi_is_info() -> None:
    inv = collect(SNAPSHOTS / "musa-toolkit-mismatch")
    assert ids(inv) == {"musa.mthreads-gmi-missing": Severity.INFO}
    assert inv.version("musa_driver") is None and inv.stacks == ["musa"]


def test_empty_gmi_output_lists_no_gpu() -> None:
    inv = collect(SNAPSHOTS / "musa-gmi-no-output")
    assert ids(inv) == {"musa.no-gpus": Severity.WARNING}
    assert "driver unknown" in inv.findings[0].message


def test_failing_gmi_is_an_error(tmp_path: Path) -> None:
    snap = copy("musa-s4000-healthy", tmp_path)
    (snap / "commands" / "mthreads-gmi.err").write_text("Failed to initialize MTML\n")
    data = yaml.safe_load((snap / "snapshot.yaml").read_text())
    data["commands"]["mthreads-gmi"]["exit"] = 255
    edit(snap, commands=data["commands"])
    inv = collect(snap)
    assert ids(inv) == {"musa.mthreads-gmi-failed": Severity.ERROR}
    assert "exited with status 255" in inv.findings[0].message
    assert inv.devices == [] and inv.version("musa_driver") is None


def test_timed_out_gmi_is_an_error(tmp_path: Path) -> None:
    snap = copy("musa-s4000-healthy", tmp_path)
    data = yaml.safe_load((snap / "snapshot.yaml").read_text())
    data["commands"]["mthreads-gmi"] = {
        "exit": None,
        "timed_out": True,
        "error": "no answer in 10 s",
        "stdout": "commands/mthreads-gmi.err",
        "stderr": "commands/mthreads-gmi.err",
    }
    edit(snap, commands=data["commands"])
    inv = collect(snap)
    assert ids(inv) == {"musa.mthreads-gmi-failed": Severity.ERROR}
    assert "did not answer" in inv.findings[0].message


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ("0,2", "export MUSA_VISIBLE_DEVICES=0"),
        ("2,3", "unset MUSA_VISIBLE_DEVICES"),
        ("", "unset MUSA_VISIBLE_DEVICES"),
    ],
)
def test_visible_devices_beyond_the_gpus(tmp_path: Path, value: str, fix: str) -> None:
    snap = copy("musa-s4000-healthy", tmp_path)
    edit(snap, env={"MUSA_VISIBLE_DEVICES": value})
    inv = collect(snap)
    assert ids(inv) == {"musa.visible-devices": Severity.WARNING}
    assert inv.findings[0].fix == fix


@pytest.mark.parametrize("value", ["0,1", "1", "GPU-2b7d56ad-43c9-89d9-703c-03c503e7fad4"])
def test_visible_devices_left_alone(tmp_path: Path, value: str) -> None:
    snap = copy("musa-s4000-healthy", tmp_path)
    edit(snap, env={"MUSA_VISIBLE_DEVICES": value})
    assert collect(snap).findings == []


def test_host_without_musa_reports_nothing() -> None:
    inv = collect(SNAPSHOTS / "no-accelerator")
    assert (inv.stacks, inv.components, inv.findings, inv.devices) == ([], [], [], [])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_expected_yaml_matches_probe_and_rules(scenario: str) -> None:
    """Each musa-* expected.yaml is what this stack finds with the bundled matrix."""
    expected = yaml.safe_load((SNAPSHOTS / scenario / "expected.yaml").read_text())
    evidence = SnapshotEvidence(SNAPSHOTS / scenario)
    inv = HostProbe().collect(evidence)
    inv.merge(MusaProbe().collect(evidence))
    findings = inv.findings + evaluate(inv, load_matrices().get("musa"))
    found = {f.id: f.severity.value for f in findings if f.severity is not Severity.INFO}
    assert found == dict(expected["findings"] or {})
    assert expected["exit"] == (1 if "error" in found.values() else 0)


def test_mccl_in_the_toolkit_lib_live_and_in_its_snapshot(tmp_path: Path) -> None:
    """The toolkit's lib/ without libmccl.so*: recorded as missing, and a snapshot of the host
    keeps the listing, so it says the same; with libmccl.so.2 there, its path."""
    root = tmp_path / "root"
    lib = root / "usr/local/musa/lib"
    lib.mkdir(parents=True)
    (lib / "libmusart.so.4").write_text("")
    (root / "usr/local/musa/version.json").write_text('{"musa_toolkits": {"version": "4.3.4"}}')
    recording = RecordingEvidence(HostEvidence(root=str(root), env={"PATH": "/usr/bin:/bin"}))
    live = MusaProbe().collect(recording)
    assert (live.facts[FACT_MCCL], live.facts[FACT_MCCL_DIRS]) == ("", "/usr/local/musa/lib")
    out = tmp_path / "snap"
    write_snapshot(out, recording.recording, recording.platform, recording.python)
    again = collect(out)
    assert {k: again.facts.get(k) for k in (FACT_MCCL, FACT_MCCL_DIRS)} == {
        FACT_MCCL: "",
        FACT_MCCL_DIRS: "/usr/local/musa/lib",
    }
    (lib / "libmccl.so.2").write_text("")
    found = MusaProbe().collect(HostEvidence(root=str(root), env={"PATH": "/usr/bin:/bin"}))
    assert found.facts[FACT_MCCL] == "/usr/local/musa/lib/libmccl.so.2"
    assert FACT_MCCL_DIRS not in found.facts


def test_mccl_not_judged_where_no_toolkit_lib_was_seen() -> None:
    """A toolkit known only from musa_version_query may live anywhere: MCCL is not judged."""
    inv = collect(SNAPSHOTS / "musa-s4000-healthy")
    assert FACT_MCCL not in inv.facts
