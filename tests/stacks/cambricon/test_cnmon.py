"""The Cambricon cnmon parser on real published outputs (see fixtures SOURCES.md)."""

from __future__ import annotations

from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.stacks.cambricon.cnmon import CnmonCard, CnmonInfo, parse_cnmon
from tests.conftest import FIXTURES as FIXTURES_ROOT

FIXTURES = FIXTURES_ROOT / "cnmon"

# (index, name, firmware, bus_id, per-card driver)
Card = tuple[int, str, str, Optional[str], Optional[str]]


def _load(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _cards(info: CnmonInfo) -> list[Card]:
    return [(c.index, c.name, c.firmware, c.bus_id, c.driver_version) for c in info.cards]


def _bus(name: str, firmware: str, buses: list[str]) -> list[Card]:
    return [(i, name, firmware, f"0000:{bus}:00.0", None) for i, bus in enumerate(buses)]


# fixture -> (tool version, driver version, cards)
EXPECTED: dict[str, tuple[str, str, list[Card]]] = {
    "mlu370-x4_4.20.11_3cards.txt": (
        "4.20.11",
        "4.20.11",
        [(i, "MLU370-X4", "v1.1.6", None, "4.20.11") for i in range(3)],
    ),
    "mlu370-x4_5.10.10_2cards.txt": (
        "5.10.10",
        "5.10.10",
        _bus("MLU370-X4", "v1.1.6", ["1B", "36"]),
    ),
    "mlu370-x8_5.10.13_2cards.txt": (
        "5.10.13",
        "5.10.13",
        _bus("MLU370-X8", "v1.1.6", ["39", "3D"]),
    ),
    "mlu370-x8_5.10.22_kylin.txt": (
        "5.10.22",
        "5.10.22",
        _bus("MLU370-X8", "v1.1.6", ["13", "16"]),
    ),
    "mluxxx_5.10.31_8cards_masked.txt": (
        "5.10.31",
        "5.10.31",
        _bus("MLUXXX-XX", "v1.5.0", ["4F", "53", "6F", "73", "AF", "B3", "CF", "D3"]),
    ),
    "mlu220-m2_cnmon1.16.0_driver4.6.9.txt": (
        "1.16.0",
        "4.6.9",
        [(0, "MLU220-M2", "v1.1.1", None, "4.6.9")],
    ),
}
FIXTURE_TEXTS = [_load(name) for name in sorted(EXPECTED)]


def test_every_fixture_file_is_covered_and_sourced() -> None:
    on_disk = {path.name for path in FIXTURES.glob("*.txt")}
    assert on_disk == set(EXPECTED)
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    for name in on_disk:
        assert f"`{name}`" in sources, f"{name} has no entry in SOURCES.md"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_cards_and_versions(name: str) -> None:
    tool, driver, cards = EXPECTED[name]
    info = parse_cnmon(_load(name))
    assert info.tool_version == tool
    assert info.driver_version == driver
    assert _cards(info) == cards
    assert info.error is None


def test_cards_are_frozen_dataclasses() -> None:
    info = parse_cnmon(_load("mlu370-x8_5.10.22_kylin.txt"))
    assert info.cards[0] == CnmonCard(0, "MLU370-X8", "v1.1.6", "0000:13:00.0", None)
    with pytest.raises(AttributeError):
        info.cards[0].name = "MLU590"  # type: ignore[misc]


def test_4x_banner_has_no_driver_so_the_column_gives_it() -> None:
    # "| CNMON v4.20.11 |" names the tool only; torch_mlu's collect_env regex finds nothing there.
    text = _load("mlu370-x4_4.20.11_3cards.txt")
    assert "Driver v" not in text
    assert parse_cnmon(text).driver_version == "4.20.11"


def test_process_table_ends_the_card_table() -> None:
    text = _load("mlu370-x8_5.10.13_2cards.txt")
    # A row shaped like a card after the Processes header must not count.
    info = parse_cnmon(text.replace("No running processes found", "9     /   FAKE    v0"))
    assert [card.index for card in info.cards] == [0, 1]


def test_cards_need_the_table_header() -> None:
    # Without the banner or header a "card-like" row is just text: an error, no cards.
    info = parse_cnmon("| 0     /   MLU370-X8    v1.1.6 |         0000:13:00.0 |\n")
    assert info.cards == ()
    assert info.error == "| 0     /   MLU370-X8    v1.1.6 |         0000:13:00.0 |"


@pytest.mark.parametrize("text", ["", "\n", "  \n\t\n"])
def test_empty_output_is_not_an_error(text: str) -> None:
    assert parse_cnmon(text) == CnmonInfo(None, None, (), None)


def test_text_without_a_table_reports_its_first_line_truncated() -> None:
    info = parse_cnmon("\n  bash: cnmon: command not found  \nmore\n")
    assert info.error == "bash: cnmon: command not found"
    assert parse_cnmon("x" * 500).error == "x" * 200


def test_banner_without_cards_is_not_an_error() -> None:
    head = "\n".join(_load("mlu370-x8_5.10.13_2cards.txt").splitlines()[:6])
    info = parse_cnmon(head)
    assert info.error is None
    assert info.cards == ()
    assert info.driver_version == "5.10.13"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_line_endings_and_indentation_do_not_matter(name: str) -> None:
    text = _load(name)
    expected = parse_cnmon(text)
    assert parse_cnmon(text.replace("\n", "\r\n")) == expected
    assert parse_cnmon("\n".join("   " + line for line in text.splitlines())) == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_line_prefixes_yield_card_prefixes(name: str) -> None:
    """A paste cut after any line lists a prefix of the cards, in order."""
    lines = _load(name).splitlines()
    full = parse_cnmon("\n".join(lines)).cards
    for cut in range(len(lines) + 1):
        partial = parse_cnmon("\n".join(lines[:cut])).cards
        assert partial == full[: len(partial)]


# --- never raise --------------------------------------------------------------------------


def _check_invariants(info: CnmonInfo) -> None:
    assert isinstance(info.cards, tuple)
    assert info.error is None or 0 < len(info.error) <= 200
    assert len({card.index for card in info.cards}) == len(info.cards)
    for card in info.cards:
        assert 0 <= card.index <= 9999
        assert card.name
        assert card.firmware


_FUZZ = settings(max_examples=200, deadline=None)


@_FUZZ
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    _check_invariants(parse_cnmon(text))


@_FUZZ
@given(st.text(alphabet="|+-=/ 0123456789ABCDEFv.:%CNMODriverCardName\n", max_size=400))
def test_never_raises_on_table_alphabet(text: str) -> None:
    _check_invariants(parse_cnmon(text))


@_FUZZ
@given(st.sampled_from(FIXTURE_TEXTS), st.data())
def test_never_raises_on_sliced_fixtures(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    _check_invariants(parse_cnmon(text[start:end]))


@_FUZZ
@given(st.sampled_from(FIXTURE_TEXTS), st.data())
def test_never_raises_on_shuffled_fixture_lines(text: str, data: st.DataObject) -> None:
    lines = data.draw(st.permutations(text.splitlines()))
    _check_invariants(parse_cnmon("\n".join(lines)))


@_FUZZ
@given(st.sampled_from(FIXTURE_TEXTS), st.data())
def test_never_raises_on_edited_fixture_lines(text: str, data: st.DataObject) -> None:
    lines = text.splitlines()
    edits = data.draw(
        st.lists(st.tuples(st.integers(0, max(len(lines), 1)), st.text()), max_size=5)
    )
    for position, insert in edits:
        lines.insert(min(position, len(lines)), insert)
    if lines:
        del lines[data.draw(st.integers(0, len(lines) - 1))]
    _check_invariants(parse_cnmon("\n".join(lines)))
