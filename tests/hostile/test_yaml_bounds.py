"""Hostile YAML in every file chipdoctor reads: `--matrix`, `--policy`, the `.chipdoctor.yaml`
read from the working directory, and a snapshot's `snapshot.yaml`. Each is refused with exit 2
and one line naming the file (and the line), within a capped address space and a timeout."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from chipdoctor.yamlio import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES
from tests.hostile.refusal import HEALTHY, assert_refused, run_capped


def _alias_bomb(levels: int = 9) -> str:
    """The "billion laughs" in YAML: 9 levels of 9 aliases, 9**9 nodes from ~320 bytes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghijklmnop"
    for previous, name in zip(names, names[1:levels]):
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
    return "\n".join(lines) + "\n"


def _as_policy(tmp_path: Path, text: str) -> tuple[list[str], Path, Path | None]:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return ["check", "--snapshot", str(HEALTHY), "--policy", str(path)], path, None


def _as_default_policy(tmp_path: Path, text: str) -> tuple[list[str], Path, Path | None]:
    path = tmp_path / ".chipdoctor.yaml"
    path.write_text(text, encoding="utf-8")
    return ["check", "--snapshot", str(HEALTHY)], Path(".chipdoctor.yaml"), tmp_path


def _as_matrix(tmp_path: Path, text: str) -> tuple[list[str], Path, Path | None]:
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return ["check", "--snapshot", str(HEALTHY), "--matrix", str(path)], path, None


def _as_snapshot(tmp_path: Path, text: str) -> tuple[list[str], Path, Path | None]:
    snapshot = tmp_path / "snap"
    shutil.copytree(HEALTHY, snapshot)
    path = snapshot / "snapshot.yaml"
    path.write_text(text, encoding="utf-8")
    return ["check", "--snapshot", str(snapshot)], path, None


Place = Callable[[Path, str], tuple[list[str], Path, "Path | None"]]
PLACES = pytest.mark.parametrize(
    "place",
    [_as_policy, _as_default_policy, _as_matrix, _as_snapshot],
    ids=["policy", "default-policy", "matrix", "snapshot"],
)


def _refused(tmp_path: Path, place: Place, text: str, *expected: str) -> str:
    args, path, cwd = place(tmp_path, text)
    return assert_refused(run_capped(*args, cwd=cwd, timeout=20), str(path), *expected)


@PLACES
def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path, place: Place) -> None:
    _refused(tmp_path, place, _alias_bomb(), f"more than {MAX_YAML_NODES} YAML nodes")


@PLACES
def test_an_alias_that_contains_itself_is_refused(tmp_path: Path, place: Place) -> None:
    line = _refused(tmp_path, place, "# a loop\nx: &a [*a]\n", "refers to a node that contains it")
    assert ":2:" in line


@PLACES
def test_deep_nesting_is_refused(tmp_path: Path, place: Place) -> None:
    _refused(tmp_path, place, "x: " + "[" * 200 + "]" * 200 + "\n", f"{MAX_YAML_DEPTH} levels")


@PLACES
def test_aliases_nested_past_the_depth_limit_are_refused(tmp_path: Path, place: Place) -> None:
    """Each level is shallow; only the expansion is deep."""
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [[*a{i - 1}]]" for i in range(1, 40)]
    _refused(tmp_path, place, "\n".join(lines) + "\n", f"{MAX_YAML_DEPTH} levels")


@PLACES
def test_a_document_over_the_size_limit_is_refused_unparsed(tmp_path: Path, place: Place) -> None:
    text = "x: [" + "1," * (MAX_YAML_BYTES // 2) + "1]\n"
    _refused(tmp_path, place, text, "over the 2 MiB limit")


@PLACES
def test_a_nul_names_its_line(tmp_path: Path, place: Place) -> None:
    _refused(tmp_path, place, "# one\n# two\nx: a\x00b\n", ":3:", "U+0000")


@PLACES
def test_text_that_is_not_utf8_names_its_line(tmp_path: Path, place: Place) -> None:
    args, path, cwd = place(tmp_path, "")
    path = path if cwd is None else cwd / path
    path.write_bytes(b"# one\nx: \xff\xfe\n")
    assert_refused(run_capped(*args, cwd=cwd), ":2:", "not UTF-8")


@PLACES
def test_a_list_as_a_mapping_key_is_refused(tmp_path: Path, place: Place) -> None:
    _refused(tmp_path, place, "# one\n? [a, b]\n: 1\n", ":2:", "mapping key")


def test_a_null_policy_key_is_reported_at_its_line(tmp_path: Path) -> None:
    line = _refused(
        tmp_path, _as_policy, "fail_on_warnings: false\n\nnull: 1\n", "unknown key None"
    )
    assert ":3:" in line


@pytest.mark.parametrize("option", ["--policy", "--matrix"])
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, option: str) -> None:
    fifo = tmp_path / "file.yaml"
    os.mkfifo(fifo)
    result = run_capped("check", "--snapshot", str(HEALTHY), option, str(fifo), timeout=10)
    assert_refused(result, str(fifo), "is a FIFO")


@pytest.mark.parametrize("option", ["--policy", "--matrix"])
def test_a_link_to_dev_zero_is_refused(tmp_path: Path, option: str) -> None:
    link = tmp_path / "file.yaml"
    link.symlink_to("/dev/zero")
    result = run_capped("check", "--snapshot", str(HEALTHY), option, str(link), timeout=10)
    assert_refused(result, str(link), "is a character device")
