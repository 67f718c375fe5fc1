"""The Ascend npu-smi parser on real published outputs (see fixtures SOURCES.md)."""

from __future__ import annotations

from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.stacks.ascend.npu_smi import NpuChip, NpuSmiInfo, parse_npu_smi_info
from tests.conftest import FIXTURES as FIXTURES_ROOT

FIXTURES = FIXTURES_ROOT / "npu_smi"

# (npu_id, chip_id, name, health, bus_id, logic_id)
Row = tuple[int, int, str, str, Optional[str], Optional[int]]


def _load(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _rows(info: NpuSmiInfo) -> list[Row]:
    return [(c.npu_id, c.chip_id, c.name, c.health, c.bus_id, c.logic_id) for c in info.chips]


def _single_chip_npus(name: str, npus: list[tuple[int, str]]) -> list[Row]:
    """Rows for 910B-style NPUs: one chip each, no logic-id column."""
    return [(npu, 0, name, "OK", f"0000:{bus}:00.0", None) for npu, bus in npus]


def _a3_dies(buses: list[str]) -> list[Row]:
    """Rows for A3: two dies per NPU, the Phy-ID column counting 0, 1, 2, ..."""
    return [
        (index // 2, index % 2, "Ascend910", "OK", f"0000:{bus}:00.0", index)
        for index, bus in enumerate(buses)
    ]


# fixture -> (tool version, driver version, chips)
EXPECTED: dict[str, tuple[Optional[str], Optional[str], list[Row]]] = {
    # ascend.md §4.1-§4.6
    "910b1_23.0.rc3.3_gpustack.txt": (
        "23.0.rc3.3",
        "23.0.rc3.3",
        _single_chip_npus("910B1", [(0, "C1"), (1, "01")]),
    ),
    "910b2c_25.0.rc1.1.txt": (
        "25.0.rc1.1",
        "25.0.rc1.1",
        _single_chip_npus("910B2C", [(0, "5A")]),
    ),
    "a3_25.3.rc1_excerpt.txt": ("25.3.rc1", "25.3.rc1", _a3_dies(["9D", "9F"])),
    "910premiuma_25.5.2_excerpt.txt": (
        "25.5.2",
        "25.5.2",
        _single_chip_npus("910PremiumA", [(0, "C1")]),
    ),
    "910b_24.1.0_8npu_procs.txt": (
        "24.1.0",
        "24.1.0",
        _single_chip_npus(
            "910B",
            [
                (0, "C1"),
                (1, "81"),
                (2, "41"),
                (3, "01"),
                (4, "C2"),
                (5, "82"),
                (6, "42"),
                (7, "02"),
            ],
        ),
    ),
    "310p3_22.0.2_22.0.4_dbnet.txt": (
        "22.0.2",
        "22.0.4",
        [(2144, 0, "310P3", "OK", "0000:86:00.0", 0)],
    ),
    "310p3_conformer_no_version_line.txt": (
        None,
        None,
        [
            (0, 0, "310P3", "OK", "0000:82:00.0", 0),
            (1, 0, "310P3", "OK", "0000:89:00.0", 1),
        ],
    ),
    # added from other public sources
    "310_21.0.3.1_atlas200dk.txt": ("21.0.3.1", "21.0.3.1", [(0, 0, "310", "OK", None, 0)]),
    "910a_21.0.2_ascend_utils.txt": (
        "21.0.2",
        "21.0.2",
        _single_chip_npus("910A", [(1, "3B"), (4, "86")]),
    ),
    "310p3_22.0.0_22.0.2_version_nospace.txt": (
        "22.0.0",
        "22.0.2",
        [(0, 0, "310P3", "OK", "0000:86:00.0", 0)],
    ),
    "a3_24.1.rc3.7_16dies.txt": (
        "24.1.rc3.7",
        "24.1.rc3.7",
        _a3_dies(
            [
                *("9D", "9F", "99", "9B", "95", "97", "91", "93"),
                *("8D", "8F", "89", "8B", "85", "87", "81", "83"),
            ]
        ),
    ),
    "910b2c_24.1.0_16npu.txt": (
        "24.1.0",
        "24.1.0",
        _single_chip_npus(
            "910B2C",
            list(
                enumerate(
                    [
                        *("5A", "19", "49", "39", "DA", "99", "B8", "C8"),
                        *("59", "18", "48", "38", "D9", "98", "B9", "C9"),
                    ]
                )
            ),
        ),
    ),
    "310p3_duo_25.0.rc1.1.txt": (
        "25.0.rc1.1",
        "25.0.rc1.1",
        [
            (8, 0, "310P3", "OK", "0000:01:00.0", 0),
            (8, 1, "310P3", "OK", "0000:01:00.0", 1),
        ],
    ),
    "310p3_25.2.0_6npu_large_ids.txt": (
        "25.2.0",
        "25.2.0",
        [
            (0, 0, "310P3", "OK", "0000:01:00.0", 0),
            (32, 0, "310P3", "OK", "0000:02:00.0", 1),
            (96, 0, "310P3", "OK", "0000:04:00.0", 2),
            (32768, 0, "310P3", "OK", "0000:81:00.0", 3),
            (32800, 0, "310P3", "OK", "0000:82:00.0", 4),
            (32896, 0, "310P3", "OK", "0000:85:00.0", 5),
        ],
    ),
    "a3_26.0.rc2_head_excerpt.txt": ("26.0.rc2", "26.0.rc2", _a3_dies(["9D", "9F"])),
    "a3_26.0.rc2_tail_excerpt.txt": (
        None,
        None,
        [(7, 1, "Ascend910", "OK", "0000:83:00.0", 15)],
    ),
    "910b2c_23.0.2.1_trailing_spaces.txt": (
        "23.0.2.1",
        "23.0.2.1",
        _single_chip_npus("910B2C", [(0, "5A"), (1, "19")]),
    ),
    "310b4_23.0.0_alarm.txt": ("23.0.0", "23.0.0", [(0, 0, "310B4", "Alarm", None, 0)]),
    "310p3_duo_24.1.0.1_procs.txt": (
        "24.1.0.1",
        "24.1.0.1",
        [
            (1, 0, "310P3", "OK", "0000:01:00.0", 0),
            (1, 1, "310P3", "OK", "0000:01:00.0", 1),
            (2, 0, "310P3", "OK", "0000:02:00.0", 2),
            (2, 1, "310P3", "OK", "0000:02:00.0", 3),
        ],
    ),
    "910b3_25.2.3_misaligned.txt": (
        "25.2.3",
        "25.2.3",
        _single_chip_npus("910B3", [(3, "82")]),
    ),
}

# fixture -> the error line the parser must report (ascend.md §4.8)
EXPECTED_ERRORS: dict[str, str] = {
    "error_dcmi_8005_in_container.txt": "dcmi module initialize failed. ret is -8005",
    "error_dcmi_8020_device_used.txt": (
        "dcmi model initialized failed, because the device is used. ret is -8020"
    ),
    "error_npu_smi_not_mounted.txt": "bash: /usr/local/bin/npu-smi: No such file or directory",
}

ALL_FIXTURES = sorted(set(EXPECTED) | set(EXPECTED_ERRORS))
FIXTURE_TEXTS = [_load(name) for name in ALL_FIXTURES]


def test_every_fixture_file_is_covered_and_sourced() -> None:
    on_disk = {path.name for path in FIXTURES.glob("*.txt")}
    assert on_disk == set(ALL_FIXTURES)
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    for name in on_disk:
        assert f"`{name}`" in sources, f"{name} has no entry in SOURCES.md"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_chips_and_versions(name: str) -> None:
    tool, driver, rows = EXPECTED[name]
    info = parse_npu_smi_info(_load(name))
    assert info.tool_version == tool
    assert info.driver_version == driver
    assert _rows(info) == rows
    assert info.error is None


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_fixture_failures(name: str) -> None:
    info = parse_npu_smi_info(_load(name))
    assert info.error == EXPECTED_ERRORS[name]
    assert info.chips == ()
    assert info.tool_version is None
    assert info.driver_version is None


def test_chip_objects_are_frozen_dataclasses() -> None:
    info = parse_npu_smi_info(_load("910b2c_25.0.rc1.1.txt"))
    assert info.chips == (
        NpuChip(
            npu_id=0,
            chip_id=0,
            name="910B2C",
            health="OK",
            bus_id="0000:5A:00.0",
            logic_id=None,
        ),
    )
    with pytest.raises(AttributeError):
        info.chips[0].health = "Critical"  # type: ignore[misc]


def test_process_table_rows_are_not_chips() -> None:
    # The gpustack sample lists processes "| 0       0 | 576489 | python | 60703 |".
    info = parse_npu_smi_info(_load("910b1_23.0.rc3.3_gpustack.txt"))
    assert [chip.npu_id for chip in info.chips] == [0, 1]
    # 26.0.rc2 adds a fifth process column; its rows must not be read either.
    tail = parse_npu_smi_info(_load("a3_26.0.rc2_tail_excerpt.txt"))
    assert len(tail.chips) == 1


@pytest.mark.parametrize("text", ["", "\n", "   \n\t\n"])
def test_empty_output_is_not_an_error(text: str) -> None:
    assert parse_npu_smi_info(text) == NpuSmiInfo(
        tool_version=None, driver_version=None, chips=(), error=None
    )


def test_unrecognised_output_reports_first_line_truncated() -> None:
    info = parse_npu_smi_info("\n\n  bash: npu-smi: command not found  \nmore\n")
    assert info.error == "bash: npu-smi: command not found"
    long_line = "x" * 500
    assert parse_npu_smi_info(long_line).error == "x" * 200


def test_dcmi_failure_wins_over_its_preamble() -> None:
    info = parse_npu_smi_info(_load("error_dcmi_8005_in_container.txt"))
    assert info.error is not None
    assert "DrvMngGetConsoleLogLevel" not in info.error


def test_console_log_level_line_alone_is_an_error() -> None:
    text = "DrvMngGetConsoleLogLevel failed. (g_conLogLevel=3)\n"
    assert parse_npu_smi_info(text).error == "DrvMngGetConsoleLogLevel failed. (g_conLogLevel=3)"


def test_console_log_level_noise_before_a_table_is_not_an_error() -> None:
    # vllm-project/vllm-ascend#13399 shows this line printed ahead of normal output.
    text = "DrvMngGetConsoleLogLevel failed. (ret=4)\n" + _load("910b2c_25.0.rc1.1.txt")
    info = parse_npu_smi_info(text)
    assert info.error is None
    assert len(info.chips) == 1


def test_dcmi_failure_is_reported_even_next_to_a_table() -> None:
    text = _load("910b2c_25.0.rc1.1.txt") + "dcmi module initialize failed. ret is -8005\n"
    info = parse_npu_smi_info(text)
    assert info.error == "dcmi module initialize failed. ret is -8005"
    assert len(info.chips) == 1


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_line_endings_and_indentation_do_not_matter(name: str) -> None:
    text = _load(name)
    expected = parse_npu_smi_info(text)
    assert parse_npu_smi_info(text.replace("\n", "\r\n")) == expected
    reindented = "\n".join("\t    " + line for line in text.splitlines())
    assert parse_npu_smi_info(reindented) == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_line_prefixes_yield_chip_prefixes(name: str) -> None:
    """A paste cut after any line lists the complete chips it holds, in order."""
    lines = _load(name).splitlines()
    full = parse_npu_smi_info("\n".join(lines)).chips
    for cut in range(len(lines) + 1):
        partial = parse_npu_smi_info("\n".join(lines[:cut])).chips
        assert partial == full[: len(partial)]


# --- never raise --------------------------------------------------------------------------


def _check_invariants(info: NpuSmiInfo) -> None:
    assert isinstance(info.chips, tuple)
    assert all(isinstance(chip, NpuChip) for chip in info.chips)
    assert info.error is None or 0 < len(info.error) <= 200
    for chip in info.chips:
        assert chip.npu_id >= 0
        assert chip.chip_id >= 0
        assert chip.name
        assert chip.health


_FUZZ = settings(max_examples=200, deadline=None)


@_FUZZ
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    _check_invariants(parse_npu_smi_info(text))


@_FUZZ
@given(st.text(alphabet="|+-= 0123456789ABCDEFabcdef.:/\nNPUChipOK", max_size=400))
def test_never_raises_on_table_alphabet(text: str) -> None:
    _check_invariants(parse_npu_smi_info(text))


@_FUZZ
@given(st.sampled_from(FIXTURE_TEXTS), st.data())
def test_never_raises_on_sliced_fixtures(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    _check_invariants(parse_npu_smi_info(text[start:end]))


@_FUZZ
@given(st.sampled_from(FIXTURE_TEXTS), st.data())
def test_never_raises_on_shuffled_fixture_lines(text: str, data: st.DataObject) -> None:
    lines = data.draw(st.permutations(text.splitlines()))
    _check_invariants(parse_npu_smi_info("\n".join(lines)))


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
        drop = data.draw(st.integers(0, len(lines) - 1))
        del lines[drop]
    _check_invariants(parse_npu_smi_info("\n".join(lines)))
