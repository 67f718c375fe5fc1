"""The current ROCm compatibility matrix: a `.. csv-table::` directive in
docs/compatibility/compatibility-matrix.rst (recorded byte for byte from ROCm/ROCm e396b48)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chipdoctor.matrix.refresh.model import SourceError
from chipdoctor.matrix.refresh.parsers import PARSERS
from tests.conftest import FIXTURES

SOURCE = FIXTURES / "sources" / "rocm-compatibility-matrix"
parse = PARSERS["rocm-compatibility-matrix"].parse


def _current(directory: Path) -> list[dict[str, object]]:
    rows = parse(directory).rows["kmd_userspace"]
    return [r for r in rows if "gen-rocm-compat-current" in r["source"]]


def test_the_rst_tables_release_columns_give_rows() -> None:
    assert [(r["amdgpu_driver"], r["rocm"]) for r in _current(SOURCE)] == [
        ("6.3.x", ["6.3.x", "6.2.x", "6.1.x"]),  # 6.3.3 and 6.3.2 say the same
        ("6.2.x", ["6.3.x", "6.2.x", "6.1.x", "6.0.x"]),  # 6.2.0
    ]
    # The past-versions CSV says the same of both lines: one row each, citing both files.
    assert _current(SOURCE)[0]["source"] == [
        "gen-rocm-compat-current",
        "gen-rocm-compat-historical-6.0",
    ]
    source = parse(SOURCE).sources["gen-rocm-compat-current"]
    assert source["url"].endswith(
        "e396b4898f459db094bfd60b876f419f77eb9f09/docs/compatibility/compatibility-matrix.rst"
    )
    assert "compatibility-matrix.rst @ e396b48" in source["title"]


def test_the_header_option_names_the_columns(tmp_path: Path) -> None:
    directory = tmp_path / "rocm-compatibility-matrix"
    shutil.copytree(SOURCE, directory)
    path = directory / "compatibility-matrix.rst"
    text = path.read_text()
    old = ':header: "ROCm Version", "6.3.3", "6.3.2", "6.2.0"'
    assert old in text
    path.write_text(text.replace(old, ':header: "ROCm Version", "6.3.3", "6.3.2", "6.1.0"'))
    assert [r["amdgpu_driver"] for r in _current(directory)] == ["6.3.x", "6.1.x"]


def test_a_matrix_without_the_release_header_is_a_changed_format(tmp_path: Path) -> None:
    directory = tmp_path / "rocm-compatibility-matrix"
    shutil.copytree(SOURCE, directory)
    path = directory / "compatibility-matrix.rst"
    path.write_text(path.read_text().replace(':header: "ROCm Version",', ':header: "Release",'))
    with pytest.raises(SourceError, match="ROCm Version"):
        parse(directory)
