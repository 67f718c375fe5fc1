"""The table readers on the recorded release notes: a Markdown pipe table and an HTML table with
row and column spans, as Ascend publishes them."""

from __future__ import annotations

import pytest

from chipdoctor.matrix.refresh.tables import (
    MAX_SPAN,
    TableTooLarge,
    html_blocks,
    html_tables,
    markdown_tables,
)
from tests.conftest import FIXTURES

NOTES = FIXTURES / "sources" / "pta-release-notes"


def test_markdown_pipe_table_cells_lose_their_emphasis() -> None:
    (mapping,) = markdown_tables((NOTES / "release_notes-26.2.0.md").read_text())
    assert mapping[0][3] == "TorchNPU安装包版本"
    assert mapping[2][:5] == ["v2.9.0-26.2.0", "2.9.0", "26.2.0", "2.9.0.post9", "9.2.0"]
    # `Python3.10.*x*` is emphasis in Markdown: the cell's text is "Python3.10.x".
    assert mapping[2][5].startswith("Python3.10.x、Python3.11.x")
    assert len(mapping) == 8


def test_html_spans_fill_the_grid() -> None:
    grids = [
        g
        for b in html_blocks((NOTES / "release_notes-26.2.0.md").read_text())
        for g in html_tables(b)
    ]
    compat = next(g for g in grids if g[0][0] == "TorchNPU")
    # rowspan=2 repeats "TorchNPU" under itself; colspan=4 repeats "CANN版本" across.
    assert compat[0] == ["TorchNPU", "CANN版本", "CANN版本", "CANN版本", "CANN版本"]
    assert compat[1] == ["TorchNPU", "8.5.X", "9.0.X", "9.1.X", "9.2.X"]
    assert compat[-1] == ["26.2.X", "Y", "Y", "Y", "Y"]


def test_whole_release_notes_give_every_table() -> None:
    text = (NOTES / "release_notes-26.1.0.md").read_text()
    grids = [g for b in html_blocks(text) for g in html_tables(b)]
    compat = next(g for g in grids if g[0][0] == "TorchNPU")
    assert compat[1] == ["TorchNPU", "8.5.X", "9.0.X", "9.1.X"]
    assert ["产品版本", "26.1.0"] in next(g for g in grids if g and g[0][0] == "产品名称")
    assert len(markdown_tables(text)) >= 1


def test_html_without_tables_and_stray_cells() -> None:
    assert html_tables("<p>no table</p><td>stray</td>") == []
    table = "<table><tr><td rowspan='x'>a</td><td>b<br>c</td></tr></table>"
    assert html_tables(table) == [[["a", "b c"]]]


def test_br_separates_values_in_a_markdown_cell() -> None:
    text = (FIXTURES / "sources" / "cann-release-notes" / "release-notes-9.0.0.md").read_text()
    hdk = next(t for t in markdown_tables(text) if t[0][1] == "配套Ascend HDK版本")
    assert hdk[1][0] == "CANN 9.0.0"
    assert [line.strip() for line in hdk[1][1].split("\n")] == [
        "Ascend HDK 26.0.RC1",
        "Ascend HDK 25.5.2",
        "Ascend HDK 25.5.1",
    ]


def test_spans_are_bounded() -> None:
    # A span is capped, and a table whose spans would fill too many cells is refused.
    assert html_tables("<table><tr><td colspan='5000'>x</td></tr></table>") == [[["x"] * MAX_SPAN]]
    wide = "<tr>" + "<td rowspan='100' colspan='100'>x</td>" * 25 + "</tr>"
    with pytest.raises(TableTooLarge):
        html_tables(f"<table>{wide}</table>")
