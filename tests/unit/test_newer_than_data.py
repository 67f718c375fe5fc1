"""A stack newer than every release the data knows: its own finding with the data's date, no
"install a published release" advice, and no downgrade in `fix` (fixed test matrices)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from chipdoctor.engine import judge
from chipdoctor.fix.command import refuse_downgrade
from chipdoctor.model import Severity
from chipdoctor.resolve import resolve
from chipdoctor.rules.data import newer_than_data, newest_known
from tests.conftest import SNAPSHOTS, run_cli
from tests.planning import by_id, fixed, inventory

#: torch_npu 2.14.0 with CANN 9.2.0 (issue 13): the fixed matrix knows torch_npu up to 2.12.0.
NEWER = {
    "python": "3.11.6",
    "torch": "2.14.0",
    "torch_npu": "2.14.0",
    "cann": "8.5.0",
    "ascend_driver": "25.5.0",
}


def test_a_release_newer_than_the_data_is_its_own_finding() -> None:
    matrices = fixed()
    matrix = matrices.get("ascend")
    assert newest_known(matrix, "torch_npu") == "2.12.0"
    findings = judge(inventory("ascend", **NEWER), matrices)
    newer = {f.components: f for f in findings if f.id == "ascend.newer-than-data"}
    assert set(newer) == {("torch_npu",), ("torch",)}
    finding = newer[("torch_npu",)]
    assert finding.severity is Severity.WARNING
    assert "torch_npu 2.14.0 is newer than this data, refreshed 2026-11-24" in finding.message
    assert "chipdoctor matrix update" in finding.fix
    assert "ascend.unknown-combination" not in by_id(findings)
    everything = " ".join(f"{f.message} {f.fix}" for f in findings)
    assert "published torch_npu release" not in everything


def test_a_release_the_data_knows_is_judged_as_before() -> None:
    found = by_id(judge(inventory("ascend", **{**NEWER, "torch_npu": "2.12.0"}), fixed()))
    assert "ascend.newer-than-data" not in found or found["ascend.newer-than-data"].components == (
        "torch",
    )


def test_an_unknown_build_older_than_the_newest_is_still_an_unknown_combination() -> None:
    found = by_id(judge(inventory("ascend", **{**NEWER, "torch_npu": "2.9.0.post99"}), fixed()))
    assert "ascend.unknown-combination" in found
    assert found.get("ascend.newer-than-data") is None or "torch_npu" not in (
        found["ascend.newer-than-data"].components
    )


def test_newest_in_the_data_raises_what_it_knows(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        'format: chipdoctor-matrix/1\nstack: ascend\nnewest: {torch_npu: "2.14.0"}\n'
        "sources: {s: {title: t, url: 'https://example.invalid'}}\n"
        "tables:\n  torch_npu:\n    key: torch_npu\n    rows: []\n"
    )
    matrices = fixed(site)
    assert newest_known(matrices.get("ascend"), "torch_npu") == "2.14.0"
    found = by_id(judge(inventory("ascend", **NEWER), matrices))
    assert "torch_npu" not in getattr(found.get("ascend.newer-than-data"), "components", ())


def test_fix_never_downgrades_what_it_cannot_judge() -> None:
    matrices = fixed()
    host = inventory("ascend", **NEWER)
    resolution = resolve(host, matrices)
    assert resolution.ok and resolution.changed("torch_npu")  # the data alone would downgrade
    refuse_downgrade(resolution, matrices.get("ascend"))
    assert not resolution.ok and not resolution.target
    (said,) = [c.message for c in resolution.conflicts if "torch_npu 2.14.0" in c.message]
    assert "cannot judge it and does not downgrade it" in said
    assert "--allow-downgrade" in said


def test_a_wildcard_row_knows_every_release_of_its_line() -> None:
    """`2.13.*` knows 2.13.1; only a release past the line is newer than the data."""
    matrix = fixed().get("rocm")
    newest = newest_known(matrix, "torch")
    assert newest is not None and newest.endswith(".*")
    line = newest[:-2]
    assert newer_than_data(matrix, "torch", f"{line}.1+rocm7.2") is None
    major, minor = line.split(".")[:2]
    later = f"{major}.{int(minor) + 1}.0+rocm7.2"
    assert newer_than_data(matrix, "torch", later) == newest


def test_check_and_fix_on_a_snapshot_newer_than_the_bundled_data(tmp_path: Path) -> None:
    """End to end: the finding in `check`, no plan from `fix` unless --allow-downgrade."""
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOTS / "ascend-910b-healthy", snapshot)
    meta = snapshot / "snapshot.yaml"
    text = meta.read_text()
    old = 'packages: {torch: "2.5.1", torch-npu: "2.5.1.post1"'
    assert old in text
    meta.write_text(text.replace(old, 'packages: {torch: "99.0.0", torch-npu: "99.0.0"'))
    checked = run_cli("check", "--snapshot", str(snapshot), "--format", "json")
    assert checked.returncode == 0, checked.stderr
    ids = [(f["id"], f["components"]) for f in json.loads(checked.stdout)["findings"]]
    assert ("ascend.newer-than-data", ["torch_npu"]) in ids
    assert "ascend.unknown-combination" not in {i for i, _ in ids}
    refused = run_cli("fix", "--snapshot", str(snapshot))
    assert refused.returncode == 1
    assert "No plan:" in refused.stdout and "does not downgrade it" in refused.stdout
    allowed = run_cli("fix", "--snapshot", str(snapshot), "--allow-downgrade", "--format", "json")
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["status"] == "change"
