"""`reviewed:` on a hand-curated row: the refresh summary lists its difference from a generated row
as reviewed, with the reason, instead of as a contradiction to review; the loader checks it."""

from __future__ import annotations

import pytest

from chipdoctor.errors import BadInput
from chipdoctor.matrix.load import build_matrix
from chipdoctor.matrix.model import Matrix
from chipdoctor.matrix.refresh.diff import compare, render
from chipdoctor.yamlio import parse_yaml

HEAD = """format: chipdoctor-matrix/1
stack: ascend
updated: "2026-12-06"
sources:
  rn: {title: "release notes", url: "https://example.invalid/notes"}
  readme: {title: "branch README", url: "https://example.invalid/readme"}
tables:
  torch_npu:
    key: torch_npu
    rows:
      - {torch_npu: "2.9.0", python: ["3.10", "3.11"], source: "rn", generator: "pta-release-notes"}
      - {torch_npu: "2.8.0", python: ["3.9"], source: "rn", generator: "pta-release-notes"}
"""


def matrix(rows: str) -> Matrix:
    return build_matrix(parse_yaml(HEAD + rows, "m.yaml"))


def test_a_reviewed_hand_row_is_listed_with_its_reason_not_as_a_contradiction() -> None:
    after = matrix(
        '      - {torch_npu: "2.9.0", python: ["3.10"], source: "readme",'
        ' reviewed: "the README lists fewer Pythons"}\n'
        '      - {torch_npu: "2.8.0", python: ["3.8"], source: "readme"}\n'
    )
    diff = compare(after, after, "pta-release-notes")
    assert [(h.row.first("torch_npu"), why) for h, _, why in diff.reviewed] == [
        ("2.9.0", "python 3.10 vs 3.10, 3.11")
    ]
    assert [h.row.first("torch_npu") for h, _, _ in diff.contradicted] == ["2.8.0"]
    summary = render([diff], {"ascend": "ascend.yaml"}, {})
    assert "\n1 contradiction(s) of a hand-curated row to review, 1 reviewed difference(s).\n" in (
        summary
    )
    contradicts, reviewed = summary.split("Reviewed differences")
    assert "torch_npu=2.8.0" in contradicts and "torch_npu=2.9.0" not in contradicts
    assert "m.yaml:13 torch_npu: torch_npu=2.9.0 python=3.10 [readme]" in reviewed
    assert "  reviewed: the README lists fewer Pythons\n" in reviewed


def test_a_reviewed_row_that_agrees_is_a_repeat() -> None:
    after = matrix(
        '      - {torch_npu: "2.9.0", python: ["3.11", "3.10"], source: "readme",'
        ' reviewed: "once differed"}\n'
    )
    diff = compare(after, after, "pta-release-notes")
    assert not diff.reviewed and not diff.contradicted and len(diff.repeated) == 1


@pytest.mark.parametrize(
    "row",
    [
        '{torch_npu: "2.9.0", source: "readme", reviewed: "  "}',
        '{torch_npu: "2.9.0", source: "rn", generator: "pta-release-notes", reviewed: "x"}',
    ],
)
def test_the_loader_wants_a_reason_on_a_hand_row_only(row: str) -> None:
    with pytest.raises(BadInput, match="reviewed must say why") as caught:
        matrix(f"      - {row}\n")
    assert str(caught.value).startswith("m.yaml:13: reviewed must say why")
