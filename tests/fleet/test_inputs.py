"""Reading reports without trusting them (chipdoctor/fleet/inputs.py): limits, hostile text,
and what the comparison keeps of each report."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from chipdoctor.errors import BadInput
from chipdoctor.fleet import inputs
from chipdoctor.fleet.compare import compare
from chipdoctor.fleet.render import render_json, render_junit, render_markdown, render_table
from tests.fleet.nodes import base_report, with_host, write
from tests.report.test_junit import parse


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return base_report(tmp_path_factory.mktemp("base"))


def test_more_reports_than_the_limit_is_bad_input(
    tmp_path: Path, report: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inputs, "MAX_REPORTS", 3)
    paths = write(tmp_path, [with_host(report, f"n{i}") for i in range(4)])
    assert len(inputs.read_all(map(str, paths[:3])).reports) == 3
    with pytest.raises(BadInput, match="more than 3 reports"):
        inputs.read_all(map(str, paths))
    with pytest.raises(BadInput, match="more than 3 reports"):
        inputs.read_all([str(tmp_path)])


def test_an_overlong_stdin_line_is_skipped_to_its_end(
    report: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    line = json.dumps(with_host(report, "a")).encode()
    monkeypatch.setattr(inputs, "MAX_REPORT_BYTES", len(line) + 10)
    padded = json.dumps({**with_host(report, "b"), "pad": "x" * 3 * len(line)}).encode()
    stream = io.BytesIO(line + b"\n" + padded + b"\n" + json.dumps(with_host(report, "c")).encode())
    read = inputs.read_all(["-"], stream)
    assert [r.name for r in read.reports] == ["a", "c"]
    assert [(u.source, u.reason.startswith("is over the")) for u in read.unreadable] == [
        ("stdin:2", True)
    ]


def test_stdin_must_exist_for_dash() -> None:
    with pytest.raises(BadInput, match="stdin"):
        inputs.read_all(["-"], None)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"components": {"id": "x"}}, "components is not a list"),
        ({"components": [{"id": "cann"}]}, "a component without a text id and version"),
        ({"devices": ["gpu"]}, "a device is not an object"),
        ({"findings": [1]}, "a finding is not an object"),
        ({"host": ""}, "host is not a name"),
        ({"host": 7}, "host is not a name"),
    ],
)
def test_a_malformed_report_says_why(
    report: dict[str, Any], change: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        inputs.parse(json.dumps({**report, **change}).encode(), "x.json")


def test_hostile_names_and_versions_stay_inert(tmp_path: Path, report: dict[str, Any]) -> None:
    evil = with_host(report, "node\x1b[2J\u202e7", cann="8.1\x07RC1\n<script>")
    fleet = compare(
        inputs.read_all(
            map(str, write(tmp_path, [with_host(report, "a"), with_host(report, "b"), evil]))
        )
    )
    for text in (render_table(fleet), render_markdown(fleet)):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "\\x1b[2J" in text
    document = render_json(fleet)
    assert "\x1b" not in document and "\u202e" not in document
    assert "node\x1b[2J\u202e7" in [node["name"] for node in json.loads(document)["nodes"]]
    assert "<script>" not in render_markdown(fleet)
    root = parse(render_junit(fleet))
    assert any("\\x1b" in (case.get("name") or "") for case in root.iter("testcase"))


def test_the_table_in_chinese(tmp_path: Path, report: dict[str, Any]) -> None:
    fleet = compare(
        inputs.read_all(
            map(
                str,
                write(
                    tmp_path,
                    [
                        with_host(report, "a"),
                        with_host(report, "b", cann="8.1.RC1"),
                        with_host(report, "c"),
                    ],
                ),
            )
        )
    )
    text = render_table(fleet, "zh_CN")
    assert text.startswith("节点") and "与多数节点的 8.2.RC1 不一致" in text
    head, first = text.splitlines()[:2]
    assert head.index("状态") + len("节点") == first.index("ok")  # wide characters, 2 columns


def test_a_huge_name_or_version_does_not_widen_every_row(report: dict[str, Any]) -> None:
    """One node's megabyte host name and version: its own cells are cut, the other rows stay
    narrow (the table was 1 MB a row), and the JSON keeps them whole."""
    huge = with_host(report, "x" * 1_000_000, cann="8." + "9" * 1_000_000)
    lines = [json.dumps(r) for r in [with_host(report, f"n{i}") for i in range(50)] + [huge]]
    fleet = compare(inputs.read_all(["-"], io.BytesIO("\n".join(lines).encode())))
    rows = render_table(fleet).splitlines()[1:52]
    assert max(len(row) for row in rows) < 64 * len(fleet.components) + 40
    assert any(row.startswith("x" * 63 + "…") for row in rows)
    assert max(len(node["name"]) for node in json.loads(render_json(fleet))["nodes"]) == 1_000_000


def test_two_versions_of_one_component_compare_as_both(report: dict[str, Any]) -> None:
    twice = with_host(report, "a")
    twice["components"] = [
        *twice["components"],
        {"id": "cann", "version": "8.0.0", "source": "other"},
    ]
    node = inputs.parse(json.dumps(twice).encode(), "a.json")
    assert node.components["cann"] == "8.2.RC1, 8.0.0"


@pytest.mark.parametrize("stdin", [b"", b"\n  \n"])
def test_a_stdin_without_a_report_is_listed_not_a_pass(stdin: bytes) -> None:
    read = inputs.read_all(["-"], io.BytesIO(stdin))
    assert read.reports == []
    assert [(u.source, u.reason) for u in read.unreadable] == [("stdin", "holds no report")]


@pytest.mark.parametrize("depth", [100_000])
def test_a_deeply_nested_document_is_listed_not_a_crash(
    tmp_path: Path, report: dict[str, Any], depth: int
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * depth + "]" * depth)
    nested = tmp_path / "nested.json"
    nested.write_text(
        json.dumps(with_host(report, "n1"))[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"
    )
    read = inputs.read_all([str(deep), str(nested)])
    assert read.reports == []
    assert [(u.source, u.reason.startswith("is not JSON")) for u in read.unreadable] == [
        (str(deep), True),
        (str(nested), True),
    ]


def test_a_corrupt_or_cut_gzip_report_is_listed_not_a_crash(
    tmp_path: Path, report: dict[str, Any]
) -> None:
    packed = gzip.compress(json.dumps(with_host(report, "a")).encode())
    flipped = bytearray(packed)
    for at in range(20, 40):  # inside the deflate stream: zlib.error, not OSError
        flipped[at] ^= 0xFF
    (tmp_path / "flipped.json.gz").write_bytes(bytes(flipped))
    (tmp_path / "cut.json.gz").write_bytes(packed[: len(packed) // 2])
    read = inputs.read_all([str(tmp_path)])
    assert read.reports == []
    assert sorted(
        (Path(u.source).name, u.reason.startswith("cannot be read: ")) for u in read.unreadable
    ) == [
        ("cut.json.gz", True),
        ("flipped.json.gz", True),
    ]


def test_a_report_naming_too_many_components_is_listed(report: dict[str, Any]) -> None:
    """One report with 50,000 made-up component ids among 300 nodes made a 120 MB table and a
    200 MB JSON (a cell and an absent-node entry per node and id): it is listed instead."""
    many = with_host(report, "evil")
    many["components"] = [{"id": f"c{i}", "version": "1"} for i in range(50_000)]
    lines = [json.dumps(with_host(report, f"n{i}")) for i in range(300)] + [json.dumps(many)]
    read = inputs.read_all(["-"], io.BytesIO("\n".join(lines).encode()))
    assert len(read.reports) == 300
    assert [(u.source, u.reason) for u in read.unreadable] == [
        ("stdin:301", f"brings the component ids compared past {inputs.MAX_COMPONENT_IDS}")
    ]
    assert len(render_table(compare(read))) < 100_000


def test_a_name_the_os_refuses_is_listed_not_a_crash() -> None:
    name = "n" * 5000  # past NAME_MAX: stat raises ENAMETOOLONG
    (bad,) = inputs.read_all([name]).unreadable
    assert bad.source == name
    assert bad.reason.startswith("cannot be read: ")
