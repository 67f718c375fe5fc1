"""Matrix files: the loader's FILE:LINE errors, overlays, and agreement with the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from chipdoctor.components import ALL_COMPONENTS
from chipdoctor.errors import BadInput
from chipdoctor.matrix.load import bundled_files, load_file, load_matrices, overlay

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "chipdoctor" / "schemas"

GOOD = """\
format: chipdoctor-matrix/1
stack: ascend
sources:
  s1: {title: "A source", url: "https://example.org/a"}
tables:
  torch_npu:
    key: torch_npu
    rows:
      - torch_npu: "2.1.0.post10"
        torch: "2.1.0"
        cann: "8.0.0"
        python: ["3.8", "3.9"]
        source: s1
"""

# (mutation of GOOD, expected line, expected message part)
BAD = [
    ("stack: ascend", "stack: ascend\nextra: 1", 3, "unknown field 'extra'"),
    ("format: chipdoctor-matrix/1", "format: chipdoctor-matrix/9", 1, "format must be"),
    ("        source: s1", "        source: s2", 13, "source 's2' is not defined"),
    ("        source: s1", "", 9, "row has no source"),
    ('python: ["3.8", "3.9"]', "python: [3.8, 3.10]", 12, "quote it"),
    ('cann: "8.0.0"', 'cann: "8.0.RC1,"', 11, "empty clause"),
    ('cann: "8.0.0"', 'cann: "eight"', 11, "not a vendor version"),
    ('torch: "2.1.0"', 'torhc: "2.1.0"', 10, "unknown field 'torhc'"),
    ("    key: torch_npu", "    key: npu", 7, "key 'npu' is not a component id"),
    ('      - torch_npu: "2.1.0.post10"', '      - torchaudio: "2.1.0"', 9, "row lacks its key"),
    ("        source: s1", "        source: s1\n        verdict: maybe", 14, "verdict must be"),
    ("sources:\n", "sources:\n  s1: {title: x, url: 'https://x'}\n", 5, "duplicate key 's1'"),
    ('        torch: "2.1.0"', '        torch: "2.1.0', 11, "invalid YAML"),
    ("        source: s1", "        source: s1\n        card: []", 14, "card must be"),
    ("stack: ascend", "stack: ascend\nupdated: last week", 3, "updated must be a quoted date"),
    ("stack: ascend", 'stack: ascend\nnewest: {torhc: "2.1.0"}', 3, "'torhc' is not a component"),
    ("stack: ascend", 'stack: ascend\nnewest: {cann: "eight"}', 3, "not a vendor version"),
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _schema_errors(text: str) -> list[str]:
    schema = json.loads((SCHEMA_DIR / "matrix.schema.json").read_text())
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        return ["yaml"]
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]


def test_the_date_and_the_newest_releases_load(tmp_path: Path) -> None:
    text = GOOD.replace(
        "stack: ascend", 'stack: ascend\nupdated: 2026-12-06\nnewest: {torch_npu: "2.14.0"}'
    )
    matrix = load_file(_write(tmp_path, text))
    assert (matrix.updated, matrix.newest) == ("2026-12-06", {"torch_npu": "2.14.0"})


def test_good_matrix_loads(tmp_path: Path) -> None:
    matrix = load_file(_write(tmp_path, GOOD))
    row = matrix.table("torch_npu").lookup("2.1.0.post10")[0]
    assert row.first("cann") == "8.0.0"
    assert row.origin.endswith("site.yaml:9")
    assert matrix.table("torch_npu").lookup("2.1.0.post8") == []
    assert _schema_errors(GOOD) == []


def test_a_row_may_name_the_cards_it_is_limited_to(tmp_path: Path) -> None:
    text = GOOD.replace("source: s1", "source: s1\n        card: [Atlas 300I, 910B]")
    row = load_file(_write(tmp_path, text)).table("torch_npu").rows[0]
    assert row.cards == ("Atlas 300I", "910B")
    assert load_file(_write(tmp_path, GOOD)).table("torch_npu").rows[0].cards == ()
    assert _schema_errors(text) == []


PACKAGES = """\
  vllm_ascend:
    key: vllm-ascend
    packages: [vllm-ascend, vllm]
    rows:
      - {vllm-ascend: "0.9.1", vllm: "0.9.1", cann: ">=8.2.RC1", source: s1}
"""


def test_a_table_may_declare_the_packages_its_rows_name(tmp_path: Path) -> None:
    text = GOOD + PACKAGES
    table = load_file(_write(tmp_path, text)).table("vllm_ascend")
    assert (table.key, table.packages) == ("vllm-ascend", ("vllm-ascend", "vllm"))
    (row,) = table.lookup("0.9.1")
    assert row.matches("vllm", "0.9.1+empty") and not row.matches("vllm", "0.9.2")
    assert _schema_errors(text) == []


@pytest.mark.parametrize(
    ("packages", "message"),
    [
        ("[vllm-ascend]", "unknown field 'vllm'"),
        ("[vllm]", "key 'vllm-ascend' is not a"),
        ("[vllm-ascend, vllm, torch]", "no component"),
        ("[vllm-ascend, Vllm]", "PEP 503 name"),
    ],
)
def test_a_package_not_declared_or_misnamed_is_bad_input(
    tmp_path: Path, packages: str, message: str
) -> None:
    text = PACKAGES.replace("packages: [vllm-ascend, vllm]", f"packages: {packages}")
    assert text != PACKAGES
    path = _write(tmp_path, GOOD + text)
    with pytest.raises(BadInput, match=message):
        load_file(path)


def test_bundled_dcu_data_carries_hygons_bw200_rule() -> None:
    """hcu-dcgm compatibility.go @ b223b72: legacyCompatibilityMatrix BW200 = driver >= 6.3.0,
    DTK >= 25.00.00."""
    rows = load_matrices().get("dcu").table("driver_dtk").rows
    (bw200,) = [row for row in rows if row.cards]
    assert bw200.cards == ("BW200",)
    assert (bw200.first("hygon_driver"), bw200.first("dtk")) == (">=6.3.0", ">=25.00.00")


@pytest.mark.parametrize(("old", "new", "line", "message"), BAD, ids=[b[3] for b in BAD])
def test_bad_matrix_names_file_and_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    path = _write(tmp_path, text)
    with pytest.raises(BadInput) as caught:
        load_file(path)
    assert str(caught.value).startswith(f"{path}:{line}: "), str(caught.value)
    assert message in str(caught.value)


SCHEMA_ALSO_REJECTS = [
    b
    for b in BAD
    # Only the loader knows version grammars, YAML keys, source ids and each table's key.
    if b[3]
    not in (
        "empty clause",
        "not a vendor version",
        "duplicate key 's1'",
        "source 's2' is not defined",
        "row lacks its key",
        "updated must be a quoted date",
        "'torhc' is not a component",
    )
]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"), SCHEMA_ALSO_REJECTS, ids=[b[3] for b in SCHEMA_ALSO_REJECTS]
)
def test_json_schema_rejects_the_same_structural_errors(
    old: str, new: str, line: int, message: str
) -> None:
    assert _schema_errors(GOOD.replace(old, new, 1))


def test_site_rows_override_bundled_rows_with_the_same_key(tmp_path: Path) -> None:
    base = load_file(_write(tmp_path, GOOD))
    site_text = GOOD.replace('cann: "8.0.0"', 'cann: "8.0.RC3"').replace("A source", "Our build")
    site_path = tmp_path / "ours.yaml"
    site_path.write_text(site_text)
    merged = overlay(base, load_file(site_path))
    rows = merged.table("torch_npu").lookup("2.1.0.post10")
    assert [r.first("cann") for r in rows] == ["8.0.RC3"]
    assert rows[0].origin.startswith(str(site_path))


def test_site_file_adds_rows_for_new_versions(tmp_path: Path) -> None:
    site = GOOD.replace("2.1.0.post10", "2.1.0.post99+site")
    path = _write(tmp_path, site)
    merged = load_matrices([path]).get("ascend")
    assert merged.table("torch_npu").lookup("2.1.0.post99+site")
    assert str(path) in merged.files


def test_missing_matrix_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file"):
        load_file(tmp_path / "absent.yaml")


def test_bundled_matrices_load_and_satisfy_the_json_schema() -> None:
    files = bundled_files()
    assert files, "no bundled matrices found"
    for path in files:
        load_file(path)
        assert _schema_errors(path.read_text()) == [], path


def test_component_lists_agree() -> None:
    for name in ("matrix.schema.json", "report.schema.json"):
        schema = json.loads((SCHEMA_DIR / name).read_text())
        assert set(schema["$defs"]["component_id"]["enum"]) == set(ALL_COMPONENTS), name


def test_every_bundled_row_cites_a_defined_source() -> None:
    for matrix in load_matrices():
        for table in matrix.tables.values():
            for row in table.rows:
                assert row.sources and all(s in matrix.sources for s in row.sources), row.origin
                assert all(matrix.sources[s].url.startswith("http") for s in row.sources), (
                    row.origin
                )
