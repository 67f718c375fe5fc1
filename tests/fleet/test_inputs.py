"""Reading reports without trusting them (chipdoctor/fleet/inputs.py): limits, hostile text,
and what the comparison keeps of each report."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from chipdoctor.errors import BadInput
from chipdoctor.fleet import inputs
from chipdoctor.fleet.compare import compare
from chipdoctor.fleet.render import render_junit, render_markdown, render_table
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


def test_two_versions_of_one_component_compare_as_both(report: dict[str, Any]) -> None:
    twice = with_host(report, "a")
    twice["components"] = [
        *twice["components"],
        {"id": "cann", "version": "8.0.0", "source": "other"},
    ]
    node = inputs.parse(json.dumps(twice).encode(), "a.json")
    assert node.components["cann"] == "8.2.RC1, 8.0.0"
