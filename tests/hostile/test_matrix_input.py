"""Hostile `--matrix` files: each fault is exit 2 with one line naming the file and line, from
`check` and `matrix lint` alike (lint prints FILE:LINE on stdout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.refusal import HEALTHY, assert_refused, run_capped

_HEAD = """format: chipdoctor-matrix/1
stack: rocm
sources:
  s: {title: "a site's own tests", url: "https://example.org/tests"}
tables:
"""
#: The bundled rocm.yaml keys its torch_rocm table by torch.
_KEYED_BY_ROCM = """  torch_rocm:
    key: rocm
    rows:
      - {torch: "2.5.*", rocm: "6.2", source: s}
"""
CASES = {
    "key-is-a-list": ("  mine:\n    key: [torch]\n    rows: []\n", 7, "is not a component id"),
    "mixed-row-keys": (
        '  mine:\n    key: torch\n    rows:\n      - {torch: "2.5", 1: a, zz: b, source: s}\n',
        9,
        "unknown field 1",
    ),
    "huge-version": (
        '  mine:\n    key: torch\n    rows:\n      - {torch: "2.' + "1" * 5000 + '", source: s}\n',
        9,
        "more than 64 digits",
    ),
    "table-name-is-a-number": ("  1:\n    key: torch\n    rows: []\n", 6, "must be text"),
    "key-differs-from-bundled": (_KEYED_BY_ROCM, 7, "keyed by 'rocm' here but by 'torch'"),
    # a file name too long for the file system, when the bundled matrix was looked up by it
    "stack-5000-long": (_KEYED_BY_ROCM, 2, "stack must be a lower-case name"),
}


def _matrix(tmp_path: Path, case: str) -> tuple[Path, int, str]:
    body, line, expected = CASES[case]
    path = tmp_path / "site.yaml"
    head = (
        _HEAD.replace("stack: rocm", "stack: " + "r" * 5000) if case == "stack-5000-long" else _HEAD
    )
    path.write_text(head + body, encoding="utf-8")
    return path, line, expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_refuses_it_with_its_line(tmp_path: Path, case: str) -> None:
    path, line, expected = _matrix(tmp_path, case)
    result = run_capped("check", "--snapshot", str(HEALTHY), "--matrix", str(path))
    assert_refused(result, f"{path}:{line}: ", expected)


@pytest.mark.parametrize("case", sorted(CASES))
def test_lint_refuses_it_with_its_line(tmp_path: Path, case: str) -> None:
    path, line, expected = _matrix(tmp_path, case)
    result = run_capped("matrix", "lint", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.startswith(f"{path}:{line}: "), result.stdout
    assert expected in result.stdout
    assert len(result.stdout.splitlines()) == 1
