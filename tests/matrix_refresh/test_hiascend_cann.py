"""CANN 9.1 / 9.2 release notes from hiascend.com, read from the text rendering a stored copy
holds (tests/fixtures/sources/hiascend-cann-release-notes/SOURCE.md says why not the bytes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chipdoctor.matrix.refresh.model import SourceError
from chipdoctor.matrix.refresh.parsers import PARSERS
from tests.matrix_refresh.recorded import SOURCES, copy_source, refuses_an_edit

NAME = "hiascend-cann-release-notes"
SOURCE = SOURCES / NAME
parse = PARSERS[NAME].parse


def _of(version: str, directory: Path = SOURCE) -> list[dict[str, object]]:
    rows = parse(directory).rows["cann_driver"]
    return [r for r in rows if r["source"] == f"gen-hiascend-cann-rn-{version}"]


def test_cann_9_2_0_mapping_and_grid() -> None:
    rows = _of("9.2.0")
    assert rows[0] == {
        "cann": "9.2.0",
        "ascend_driver": "26.2.RC1",
        "source": "gen-hiascend-cann-rn-9.2.0",
        "note": "CANN Software Version Mapping Table",
    }
    by = {(r["cann"], r.get("verdict", "compatible")): r["ascend_driver"] for r in rows[1:]}
    assert by[("9.2.0", "incompatible")] == ["25.0.X", "25.2.X"]
    # the merged column '26.0.RC1/25.7.RC1' names two drivers
    assert by[("9.2.0", "compatible")] == [
        "25.3.X",
        "25.5.X",
        "26.0.RC1",
        "25.7.RC1",
        "26.1.1",
        "26.2.RC1",
    ]
    assert by[("9.1.X", "incompatible")] == ["25.0.X"]
    assert ("8.5.2", "incompatible") not in by
    assert by[("9.0.X", "compatible")] == by[("8.5.2", "compatible")]
    source = parse(SOURCE).sources["gen-hiascend-cann-rn-9.2.0"]
    assert source["url"].endswith(
        "CANNCommunityEdition/920/softwareinst/releasenote/9.2.0/release-notes.md"
    )
    assert "text rendering" in source["title"]


def test_cann_9_1_releases_name_their_own_driver() -> None:
    assert _of("9.1.1")[0]["ascend_driver"] == "26.1.1"
    assert _of("9.1.0")[0]["ascend_driver"] == "26.0.RC1"
    assert _of("9.1.0")[-1] == {
        "cann": "9.1.X",
        "ascend_driver": ["25.0.X"],
        "verdict": "incompatible",
        "source": "gen-hiascend-cann-rn-9.1.0",
        "note": "'N' cells of 'CANN and Ascend HDK Version Compatibility'",
    }


def test_a_mark_other_than_y_or_n_is_refused(tmp_path: Path) -> None:
    edit = ("9.2.0 N N Y", "9.2.0 N ? Y")
    refuses_an_edit(NAME, "release-notes-9.2.0.txt", edit, "other than Y or N", tmp_path)


def test_a_page_without_the_compatibility_table_is_a_changed_format(tmp_path: Path) -> None:
    table = "CANN and Ascend HDK Version Compatibility"
    refuses_an_edit(NAME, "release-notes-9.1.1.txt", (table, "Matrix"), table, tmp_path)


def test_a_grid_row_of_the_wrong_width_ends_the_table(tmp_path: Path) -> None:
    directory = copy_source(NAME, tmp_path)
    page = directory / "release-notes-9.2.0.txt"
    page.write_text(page.read_text().replace("9.2.0 N N Y Y Y Y Y\n", "9.2.0 N N Y\n"))
    assert {r["cann"] for r in _of("9.2.0", directory)[1:]} == {"8.5.2", "9.0.X", "9.1.X"}


def test_a_page_without_its_version_in_source_md_is_refused(tmp_path: Path) -> None:
    directory = copy_source(NAME, tmp_path)
    manifest = directory / "SOURCE.md"
    manifest.write_text(manifest.read_text().replace("    version: 9.1.1\n", ""))
    with pytest.raises(SourceError, match="no 'version'"):
        parse(directory)
