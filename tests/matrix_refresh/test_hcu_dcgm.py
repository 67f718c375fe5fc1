"""Hygon's driver <-> DTK tables, read out of Go code.

Hygon publishes them only as code (HYGON-AI/hcu-dcgm pkg/dcgm/compatibility.go), and this
repository copies no code from other projects, so no recorded copy is kept here (a maintainer
records it for a refresh: docs/data-refresh.md). The Go below is this test's own: declarations
of the shape that file uses, holding a few of its published values (b223b72), with comments and
strings placed to trip a reader that matches text instead of reading Go.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chipdoctor.matrix.refresh.model import SourceError
from chipdoctor.matrix.refresh.parsers import PARSERS

parse = PARSERS["hcu-dcgm-compatibility"].parse
URL = "https://github.com/HYGON-AI/hcu-dcgm/blob/b223b72ee0c0079ad1b93a637fc96e00636f7a65/pkg/dcgm/compatibility.go"

GO = """\
package dcgm

// officialCompatibilityMatrix = {"Z100": {}}  (a comment, not data)
var banner = `var legacyCompatibilityMatrix = {"X": {}}`
var quote = '"'

var officialCompatibilityMatrix = map[string][]compatibilityTier{
\t"K100": {
\t\t{minimumDriver: "5.16.29", supportedDTK: []string{"23.04", "23.10"}},
\t\t{minimumDriver: "6.2.26", supportedDTK: []string{"24.04", "25.04"}}, /* } */
\t\t{minimumDriver: "6.3.30", supportedDTK: []string{"26.04"}},
\t},
\t"BW1000": {
\t\t{minimumDriver: "6.3.30", supportedDTK: []string{"26.04"}},
\t},
}

var legacyCompatibilityMatrix = map[string]legacyCompatibilityRule{
\t"BW200": {minimumDriver: "6.3.0", minimumDTK: "25.00.00"},
}
"""


def recorded(tmp_path: Path, code: str = GO) -> Path:
    directory = tmp_path / "hcu-dcgm-compatibility"
    directory.mkdir()
    (directory / "compatibility.go").write_text(code)
    (directory / "SOURCE.md").write_text(
        f"---\nretrieved: '2026-12-06'\nfiles:\n  compatibility.go:\n"
        f"    commit: b223b72ee0c0079ad1b93a637fc96e00636f7a65\n    url: {URL}\n---\n"
    )
    return directory


def test_every_tier_and_the_legacy_rule_become_rows(tmp_path: Path) -> None:
    out = parse(recorded(tmp_path))
    rows = out.rows["driver_dtk"]
    assert [row["hygon_driver"] for row in rows] == [">=6.3.30", ">=6.2.26", ">=5.16.29", ">=6.3.0"]
    assert rows[0] == {
        "hygon_driver": ">=6.3.30",
        "dtk": ["26.04"],
        "source": "gen-hcu-dcgm-compat",
        "note": "officialCompatibilityMatrix: K100, BW1000",
    }
    assert rows[1]["dtk"] == ["24.04", "25.04"]
    assert rows[-1] == {
        "hygon_driver": ">=6.3.0",
        "dtk": ">=25.00.00",
        "card": "BW200",
        "source": "gen-hcu-dcgm-compat",
        "note": "legacyCompatibilityMatrix: BW200 is checked by this rule alone",
    }
    source = out.sources["gen-hcu-dcgm-compat"]
    assert source["url"] == URL
    assert "compatibility.go @ b223b72" in source["title"]


def test_a_driver_whose_tiers_differ_between_cards_is_refused(tmp_path: Path) -> None:
    code = GO.replace(
        '"BW1000": {\n\t\t{minimumDriver: "6.3.30", supportedDTK: []string{"26.04"}}',
        '"BW1000": {\n\t\t{minimumDriver: "6.3.30", supportedDTK: []string{"25.04", "26.04"}}',
    )
    assert code != GO
    with pytest.raises(SourceError, match=r"driver 6\.3\.30 supports"):
        parse(recorded(tmp_path, code))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            GO.replace("var legacyCompatibilityMatrix =", "var legacyRules ="),
            "legacyCompatibilityMatrix",
        ),
        (GO[: GO.index('\t"BW200"')], "never closed"),  # an unclosed literal
        (GO.replace('"6.3.0", minimumDTK', '"6.3.0, minimumDTK'), "never closed"),  # a string
    ],
    ids=["renamed-table", "unclosed-literal", "unclosed-string"],
)
def test_a_changed_format_is_refused(tmp_path: Path, code: str, message: str) -> None:
    assert code != GO
    with pytest.raises(SourceError, match=message):
        parse(recorded(tmp_path, code))


def test_a_literal_nested_thousands_deep_is_refused_not_a_traceback(tmp_path: Path) -> None:
    nested = "{" * 5000 + "}" * 5000
    code = GO.replace('\t"BW200": {minimumDriver', f'\t"BW200": {nested}, "X": {{minimumDriver')
    assert code != GO
    with pytest.raises(SourceError, match="nested too deep"):
        parse(recorded(tmp_path, code))


def test_a_second_recorded_file_is_refused(tmp_path: Path) -> None:
    """Every row cites the one source the file is: a second file would merge under its id."""
    directory = recorded(tmp_path)
    (directory / "other.go").write_text(GO)
    manifest = directory / "SOURCE.md"
    manifest.write_text(
        manifest.read_text().replace("files:\n", f"files:\n  other.go:\n    url: {URL}\n", 1)
    )
    with pytest.raises(SourceError, match=r"expected one recorded compatibility\.go"):
        parse(directory)
