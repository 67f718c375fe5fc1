"""Slurm hostlist expressions, as Slurm documents them (chipdoctor/fleet/hostlist.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc

import pytest

from chipdoctor.errors import BadInput
from chipdoctor.fleet.hostlist import expand


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("linux[1-3,6]", ["linux1", "linux2", "linux3", "linux6"]),  # slurm_hostlist_create(3)
        ("node1,node[2-5,12]", ["node1", "node2", "node3", "node4", "node5", "node12"]),
        ("a[1-3,5],b7", ["a1", "a2", "a3", "a5", "b7"]),
        ("n1 n2\tn3", ["n1", "n2", "n3"]),
        ("node[08-10]", ["node08", "node09", "node10"]),
        ("node[8-10]", ["node8", "node9", "node10"]),
        ("rack[0-1]_blade[0-2]", [f"rack{r}_blade{b}" for r in "01" for b in "012"]),
        ("x[5]", ["x5"]),
        ("plain", ["plain"]),
        ("a1,a1,a[1-2]", ["a1", "a2"]),
        ("", []),
    ],
)
def test_expands_as_slurm_does(expression: str, names: list[str]) -> None:
    assert expand(expression) == names


def test_node01_to_64_keeps_the_padding() -> None:
    names = expand("node[01-64]")
    assert len(names) == 64 and names[0] == "node01" and names[-1] == "node64"


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("node[1-", "without its ']'"),
        ("node1]", "without its '['"),
        ("node[[1]]", "inside brackets"),
        ("node[a-b]", "not a number"),
        ("node[5-1]", "goes down"),
        ("node[1-3x4]", "not a number"),
        ("n[0-999999999]", "more than"),
        ("a[0-999]b[0-999]c[0-9]", "more than"),
        ("n[" + "9" * 5000 + "]", "not a number"),  # past int()'s digits: no ValueError
    ],
)
def test_a_bad_expression_is_bad_input(expression: str, says: str) -> None:
    with pytest.raises(BadInput, match=r".*") as caught:
        expand(expression)
    assert says in str(caught.value)


def test_a_bad_expression_is_quoted_short() -> None:
    """A line of a hostile --expect-nodes file can be megabytes: the message quotes its start."""
    with pytest.raises(BadInput) as caught:
        expand("node[" + "1" * 1_000_000)
    assert "without its ']'" in str(caught.value)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("ranges", ["x" * 1_000_000, "9" * 10_000, "9" * 4000 + "-1"])
def test_a_bad_range_is_quoted_short(ranges: str) -> None:
    with pytest.raises(BadInput) as caught:
        expand(f"n[{ranges}]")
    assert len(str(caught.value)) < 300


def test_many_ranges_each_under_the_limit_are_refused_unexpanded() -> None:
    """Fifty ranges of a million names each: refused from their bounds, not after building 50
    million strings (gigabytes) first."""
    tracemalloc.start()
    try:
        with pytest.raises(BadInput, match="more than"):
            expand("n[" + ",".join(["0-999998"] * 50) + "]")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


@pytest.mark.skipif(
    not hasattr(sys, "get_int_max_str_digits"), reason="this Python's int() reads any digits"
)
def test_a_number_past_a_lowered_int_digits_limit_is_bad_input() -> None:
    """PYTHONINTMAXSTRDIGITS may lower int()'s limit (640 at the least): still no traceback."""
    code = (
        "from chipdoctor.errors import BadInput\n"
        "from chipdoctor.fleet.hostlist import expand\n"
        "try:\n    expand('n[' + '9' * 1000 + ']')\n"
        "except BadInput as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONINTMAXSTRDIGITS": "640"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "not a number" in result.stdout, result.stderr
