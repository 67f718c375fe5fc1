"""The refresh end to end on copies of the bundled matrices: what it writes, what it leaves alone,
and the diff it prints; and the script a maintainer (or the weekly workflow) runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chipdoctor.errors import BadInput
from chipdoctor.matrix.load import build_matrix, load_file
from chipdoctor.matrix.refresh.driver import run
from chipdoctor.matrix.store import bundled_dir
from chipdoctor.yamlio import parse_yaml
from tests.conftest import FIXTURES, run_cli

SOURCES = FIXTURES / "sources"
ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(
    r"^ *# >>> generated: pta-release-notes .*?# <<< generated: [^\n]*\n", re.M | re.S
)


@pytest.fixture
def matrices(tmp_path: Path) -> Path:
    target = tmp_path / "matrices"
    shutil.copytree(bundled_dir(), target)
    return target


def hand_rows(path: Path) -> list[tuple[str, str]]:
    """Every hand-curated row of a matrix file, as (table, its YAML) in file order."""
    data = yaml.safe_load(path.read_text())
    return [
        (name, repr(row))
        for name, table in data["tables"].items()
        for row in table["rows"]
        if "generator" not in row
    ]


def test_the_bundled_matrices_are_what_the_recorded_sources_give(matrices: Path) -> None:
    before = {p.name: p.read_text() for p in matrices.glob("*.yaml")}
    outcome = run(SOURCES, matrices, write=True, today="2099-01-01")
    assert all(diff.empty for diff in outcome.diffs), outcome.summary
    assert {p.name: p.read_text() for p in matrices.glob("*.yaml")} == before


def test_a_refresh_adds_rows_and_keeps_every_hand_row(matrices: Path) -> None:
    ascend = matrices / "ascend.yaml"
    ascend.write_text(BLOCK.sub("", ascend.read_text()))
    hand = hand_rows(ascend)
    outcome = run(SOURCES, matrices, write=True, today="2099-01-01")
    diff = next(d for d in outcome.diffs if d.generator == "pta-release-notes")
    assert len(diff.added) == 24 and not diff.changed and not diff.removed
    assert hand_rows(ascend) == hand
    assert 'updated: "2099-01-01"' in ascend.read_text()
    rows = load_file(ascend).table("torch_npu").lookup("2.9.0.post9")
    assert [(r.first("cann"), r.extra["generator"]) for r in rows] == [
        ("9.2.0", "pta-release-notes")
    ]
    assert "- added: torch_npu: torch_npu=2.9.0.post9 torch=2.9.0 cann=9.2.0" in outcome.summary
    # The 7.3.0 hand row names exact CANN releases, the 26.2.0 notes whole lines: a difference its
    # `reviewed:` explains, listed as such and not as a contradiction.
    assert (
        "differs in: cann 8.5.0, 8.3.RC1, 8.2.RC1, 8.1.RC1, 8.0.0 vs 8.5.X, 9.0.X, 9.1.X, 9.2.X\n"
        "  reviewed: The 7.3.0 and 26.0.0 notes"
    ) in outcome.summary
    assert not diff.contradicted
    assert "gen-pta-rn-26.2.0: https://github.com/Ascend/pytorch/blob/04937a1" in outcome.summary
    again = run(SOURCES, matrices, write=True, today="2099-02-02")
    assert all(d.empty for d in again.diffs)
    assert 'updated: "2099-01-01"' in ascend.read_text()  # nothing changed, so no new date


def test_every_hand_row_a_generated_row_contradicts_is_reviewed(matrices: Path) -> None:
    """Data test: each difference between a hand row and a generated one says why it stands."""
    outcome = run(SOURCES, matrices, write=False, today="2099-01-01")
    unexplained = [(h.text, g.text, why) for d in outcome.diffs for h, g, why in d.contradicted]
    assert unexplained == []
    assert "\n0 contradiction(s) of a hand-curated row to review, " in outcome.summary
    assert sum(len(d.reviewed) for d in outcome.diffs) > 0


def test_changed_and_removed_rows_are_reported(matrices: Path, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    notes = sources / "pta-release-notes"
    (notes / "release_notes-26.1.0.md").unlink()
    manifest = notes / "SOURCE.md"
    text = manifest.read_text()
    manifest.write_text(re.sub(r"  release_notes-26\.1\.0\.md:\n(    .*\n)+", "", text))
    latest = notes / "release_notes-26.2.0.md"
    latest.write_text(
        latest.read_text().replace("|2.14.0|9.2.0|Python3.10", "|2.14.0|9.2.1|Python3.10")
    )
    outcome = run(sources, matrices, write=False, today="2099-01-01")
    diff = next(d for d in outcome.diffs if d.generator == "pta-release-notes")
    # The five 26.1.0 rows, then the 26.1.X compatibility row (keyed by its first package).
    torch_npu = ["2.7.1.post8", "2.9.0.post6", "2.10.0.post4", "2.11.0", "2.12.0"]
    assert [e.row.first("torch_npu") for e in diff.removed] == [*torch_npu, "2.7.1.post8"]
    assert [(a.row.first("cann"), b.row.first("cann")) for a, b in diff.changed] == [
        ("9.2.0", "9.2.1")
    ]
    assert any(line.startswith("TorchNPU 26.1.X") for line in diff.skipped)
    assert (matrices / "ascend.yaml").read_text() == (bundled_dir() / "ascend.yaml").read_text()


def test_a_table_the_matrix_lacks_is_bad_input(matrices: Path) -> None:
    cambricon = matrices / "cambricon.yaml"
    cambricon.write_text(
        cambricon.read_text().replace("  torch_mlu:\n    key:", "  other:\n    key:")
    )
    with pytest.raises(BadInput, match="no table 'torch_mlu'"):
        run(SOURCES, matrices, write=True, today="2099-01-01")


def test_the_loader_checks_the_generator_field() -> None:
    text = (bundled_dir() / "musa.yaml").read_text()
    first = re.search(r"^      - torch_musa: .*$", text, re.M)
    assert first is not None
    bad = text.replace(first.group(), first.group() + '\n        generator: "Not A Name!"', 1)
    with pytest.raises(BadInput, match="generator must be a parser name") as caught:
        build_matrix(parse_yaml(bad, "musa.yaml"))
    assert str(caught.value).startswith("musa.yaml:")


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "refresh_matrices.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_script_check_mode_exits_1_when_the_data_is_stale(matrices: Path, tmp_path: Path) -> None:
    fresh = script("--from", str(SOURCES), "--matrices", str(matrices), "--check")
    assert fresh.returncode == 0, fresh.stderr
    assert "0 generated row(s) added, changed or removed." in fresh.stdout
    ascend = matrices / "ascend.yaml"
    ascend.write_text(BLOCK.sub("", ascend.read_text()))
    summary = tmp_path / "summary.md"
    stale = script(
        "--from", str(SOURCES), "--matrices", str(matrices), "--check", "--summary", str(summary)
    )
    assert stale.returncode == 1
    assert "24 generated row(s) added, changed or removed." in stale.stdout
    assert summary.read_text() == stale.stdout
    assert "# >>> generated: pta-release-notes" not in ascend.read_text()  # --check wrote nothing


def test_script_names_the_bad_source_in_one_line(tmp_path: Path, matrices: Path) -> None:
    sources = tmp_path / "sources"
    (sources / "torch-mlu-build-property").mkdir(parents=True)
    (sources / "torch-mlu-build-property" / "SOURCE.md").write_text("no front matter\n")
    result = script("--from", str(sources), "--matrices", str(matrices))
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "SOURCE.md: SOURCE.md must start with a '---' front matter block"
    )
    assert "Traceback" not in result.stderr


def test_a_source_read_at_another_commit_is_in_the_summary(matrices: Path, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    manifest = sources / "torch-mlu-build-property" / "SOURCE.md"
    old = "d578002c0863bfa1ad30fae6b99e4fb3a79dff48"
    manifest.write_text(manifest.read_text().replace(old, "f" * 40))
    outcome = run(sources, matrices, write=True, today="2099-01-01")
    diff = next(d for d in outcome.diffs if d.generator == "torch-mlu-build-property")
    assert not diff.added and not diff.changed and not diff.removed and not diff.empty
    assert diff.sources == [
        f"gen-tm-bp-r1.22_pt2.1.0: https://github.com/Cambricon/torch_mlu/blob/{'f' * 40}/"
        f"scripts/release/build.property (was https://github.com/Cambricon/torch_mlu/blob/{old}/"
        "scripts/release/build.property)"
    ]
    assert "Sources new or read at another commit:" in outcome.summary
    assert 'updated: "2099-01-01"' in (matrices / "cambricon.yaml").read_text()


def test_rows_a_source_no_longer_gives_are_removed(matrices: Path, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    for notes in (sources / "cann-release-notes").glob("release-notes-*.md"):
        notes.write_text(notes.read_text().replace("配套toolkit版本", "toolkit"))
    outcome = run(sources, matrices, write=True, today="2099-01-01")
    diff = next(d for d in outcome.diffs if d.generator == "cann-release-notes")
    assert [e.table for e in diff.removed] == ["cann_kernels"] * 4
    assert not diff.added and not diff.changed
    text = (matrices / "ascend.yaml").read_text()
    assert "# >>> generated: cann-release-notes (tables.cann_kernels)" not in text
    assert "# >>> generated: cann-release-notes (tables.cann_driver)" in text


def test_the_command_and_the_script_are_one_code_path(matrices: Path, tmp_path: Path) -> None:
    ascend = matrices / "ascend.yaml"
    ascend.write_text(BLOCK.sub("", ascend.read_text()))
    before = ascend.read_text()
    summary = tmp_path / "summary.md"
    args = ("--from", str(SOURCES), "--matrices", str(matrices), "--summary", str(summary))
    checked = run_cli("matrix", "refresh", *args, "--check")
    assert checked.returncode == 1, checked.stderr
    assert checked.stdout == script(*args, "--check").stdout == summary.read_text()
    assert "24 generated row(s) added, changed or removed." in checked.stdout
    assert ascend.read_text() == before  # --check wrote nothing
    refused = run_cli("matrix", "refresh", *args)  # the summary file exists: --force to replace
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert ascend.read_text() == before
    written = run_cli("matrix", "refresh", *args, "--force")
    assert written.returncode == 0, written.stderr
    assert "# >>> generated: pta-release-notes" in ascend.read_text()
    again = run_cli("matrix", "refresh", "--from", str(SOURCES), "--matrices", str(matrices))
    assert "0 generated row(s) added, changed or removed." in again.stdout


def test_the_command_refuses_a_missing_source_directory(tmp_path: Path) -> None:
    result = run_cli("matrix", "refresh", "--from", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr.strip().endswith("not a directory of recorded sources")
    assert "Traceback" not in result.stderr
