"""Version schemes on the real strings seen in vendor files and docs (shared/reference)."""

from __future__ import annotations

import contextlib
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipdoctor.versions import (
    ASCEND_DRIVER,
    CANN,
    PEP440,
    InvalidVersion,
    parse_vendor,
    scheme_for,
)

# Ascending, as CANN releases and builds follow each other (ascend.md §2.5 and §3).
CANN_ORDER = [
    "5.1.RC1.alpha001",
    "6.0.RC1",
    "6.0.1",
    "6.3.RC1",
    "6.3.RC3",
    "6.3.RC3.1",
    "7.0.RC1.alpha003",
    "7.0.RC1",
    "7.0.0",
    "7.0.1.beta1",
    "7.0.1",
    "8.0.T6",
    "8.0.T63",
    "8.0.RC1.beta1",
    "8.0.RC1",
    "8.0.RC2",
    "8.0.RC3",
    "8.0.RC3.20",
    "8.0.0",
    "8.1.RC1",
    "8.2.RC1",
    "8.3.RC1.alpha002",
    "8.3.RC1",
    "8.3.RC2",
    "8.5.0.alpha002",
    "8.5.0",
    "8.5.1",
    "8.5.2",
    "9.0.0-beta.2",
    "9.0.0",
    "9.1.0-beta.3",
    "9.1.0",
    "9.2.0-beta.2",
]

DRIVER_ORDER = [
    "20.2.0",
    "22.0.2",
    "23.0.rc3",
    "23.0.rc3.3",
    "23.0.3",
    "24.1.rc1",
    "24.1.rc2",
    "24.1.rc2.2",
    "24.1.rc3.b999",
    "24.1.rc3",
    "24.1.rc3.7",
    "24.1.0",
    "24.1.0.1",
    "25.0.rc1",
    "25.0.rc1.1",
    "25.1.rc2",
    "25.2.0",
    "25.3.rc1",
    "25.5.0",
    "25.5.1",
    "25.5.2",
    "25.7.rc1.6",
    "26.0.rc1",
    "26.0.rc2",
    "26.1.0.b083",
    "26.1.0",
]


@pytest.mark.parametrize("order", [CANN_ORDER, DRIVER_ORDER], ids=["cann", "driver"])
def test_every_pair_orders_as_released(order: list[str]) -> None:
    parsed = [parse_vendor(v) for v in order]
    for (i, a), (j, b) in itertools.combinations(enumerate(parsed), 2):
        assert (a < b) == (i < j), (order[i], order[j])
        assert a != b, (order[i], order[j])


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("8.0.RC2", "8.0.rc2"),
        ("9.1.0.beta.1", "9.1.0-beta.1"),
        ("9.1.0.beta1", "9.1.0-beta.1"),
        ("24.1.RC2", "24.1.rc2"),
        ("8.5.0.alpha002", "8.5.0.alpha2"),
    ],
)
def test_spellings_of_one_version_are_equal(left: str, right: str) -> None:
    assert parse_vendor(left) == parse_vendor(right)


@pytest.mark.parametrize(
    ("scheme", "pattern", "version", "expected"),
    [
        (CANN, "8.0.RC3", "8.0.RC3.20", True),
        (CANN, "8.0.RC3", "8.0.RC3.beta1", True),
        (CANN, "8.0.RC3", "8.0.RC2", False),
        (CANN, "8.0", "8.0.RC1", True),
        (CANN, "8.0", "8.5.0", False),
        (CANN, ">=8.0.RC2,<=8.3.RC1", "8.1.RC1", True),
        (CANN, ">=8.0.RC2,<=8.3.RC1", "8.3.RC1.alpha002", True),
        (CANN, ">=8.0.RC2,<=8.3.RC1", "8.3.RC2", False),
        (CANN, ">=8.0.RC2,<=8.3.RC1", "8.0.RC1", False),
        (CANN, "<8.5", "8.3.RC2", True),
        (CANN, "<8.5", "8.5.0.alpha001", False),
        (ASCEND_DRIVER, "25.5.X", "25.5.2", True),
        (ASCEND_DRIVER, "25.5.x", "25.50.1", False),
        (ASCEND_DRIVER, "25.0", "25.0.rc1.1", True),
        (ASCEND_DRIVER, "26.0.RC1", "26.0.rc1", True),
        (ASCEND_DRIVER, "!=25.0", "25.0.rc1", False),
        (ASCEND_DRIVER, ">25.0", "25.0.3", False),
        (ASCEND_DRIVER, ">25.0", "25.2.0", True),
        (PEP440, "2.1.0", "2.1.0", True),
        (PEP440, "2.1.0", "2.1.0.post10", False),
        (PEP440, "2.3.0", "2.3.0+cu121", True),
        (PEP440, "2.1.0.post10", "2.1.0.post10", True),
        (PEP440, ">=2.1,<2.5", "2.4.0.post2", True),
        (PEP440, ">=2.1,<2.5", "2.5.1", False),
        (PEP440, "2.1.*", "2.1.0.post3", True),
        (scheme_for("python"), "3.10", "3.10.12", True),
        (scheme_for("python"), "3.1", "3.10.12", False),
        (scheme_for("python"), ">=3.9,<3.12", "3.11.7", True),
    ],
)
def test_matches(scheme: object, pattern: str, version: str, expected: bool) -> None:
    assert scheme.matches(pattern, version) is expected  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text", ["", "RC1", "8.0.RC1.RC2", "8.0.0.beta1.alpha2", "v8.0", "8.0.RC1 x"]
)
def test_garbage_is_invalid(text: str) -> None:
    with pytest.raises(InvalidVersion):
        parse_vendor(text)


@pytest.mark.parametrize("pattern", [">=8.0.X", "==", "8.0.RC1,", "nonsense"])
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidVersion):
        CANN.validate_pattern(pattern)


@given(st.text(max_size=40))
def test_parse_vendor_raises_only_invalid_version(text: str) -> None:
    with contextlib.suppress(InvalidVersion):
        parse_vendor(text)


@given(st.lists(st.sampled_from(CANN_ORDER + DRIVER_ORDER), min_size=2, max_size=8))
def test_sorting_is_a_total_order(versions: list[str]) -> None:
    parsed = sorted(parse_vendor(v) for v in versions)
    assert all(a <= b for a, b in zip(parsed, parsed[1:]))


def test_a_hygon_driver_is_read_by_its_leading_number() -> None:
    """`hy-smi` prints `6.3.30-V1.4.1a`; Hygon's tables and pins compare the 6.3.30 in front."""
    scheme = scheme_for("hygon_driver")
    assert scheme.parse("6.3.30-V1.4.1a") == scheme.parse("6.3.30")
    assert scheme.matches(">=6.3.30", "6.3.30-V1.4.1a")
    assert not scheme.matches(">=6.3.31", "6.3.30-V1.4.1a")
    assert scheme.matches("6.3", "6.3.30-V1.4.1a")
    with pytest.raises(InvalidVersion):
        scheme.parse("V-unknown")
    with pytest.raises(InvalidVersion):
        scheme_for("rocm").parse("6.3.30-V1.4.1a")  # only Hygon's driver drops the label
