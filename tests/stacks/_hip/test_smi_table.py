"""The shared smi table parser on real rocm-smi and hy-smi outputs (see SOURCES.md)."""

from __future__ import annotations

from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.stacks._hip.smi_table import SmiTable, parse_smi_table
from tests.conftest import FIXTURES as FIXTURES_ROOT

FIXTURES = FIXTURES_ROOT

# (index, name, device id, mode)
Row = tuple[int, Optional[str], Optional[str], Optional[str]]


def _load(path: str) -> str:
    return (FIXTURES / path).read_text(encoding="utf-8")


def _rows(table: SmiTable) -> list[Row]:
    return [(d.index, d.name, d.device_id, d.mode) for d in table.devices]


def _plain(indexes: list[int]) -> list[Row]:
    return [(i, None, None, None) for i in indexes]


MI300X: list[Row] = [(i, "AMD Instinct MI300X", "0x74a1", None) for i in range(8)]
STRIX_HALO: list[Row] = [(0, None, "0x1586", None)]

# fixture -> (label, rows, warnings)
EXPECTED: dict[str, tuple[str, list[Row], tuple[str, ...]]] = {
    "rocm_smi/rocm1.9_igpu_row_legacy561.txt": ("GPU", _plain([0, 1]), ()),
    "rocm_smi/rocm2.1_radeonvii_pclk_warning.txt": (
        "GPU",
        _plain([0]),
        ("Empty SysFS value: pclk",),
    ),
    "rocm_smi/rocm3.3_only_gpu1.txt": ("GPU", _plain([1]), ()),
    "rocm_smi/rocm5.0_vm_no_gpus_legacy1752.txt": ("GPU", [], ("No AMD GPUs specified",)),
    "rocm_smi/rocm5.x_dieedge_apu_amdgpu_top60.txt": ("GPU", _plain([0]), ()),
    "rocm_smi/rocm6.0_mi300x_8gpu_names.txt": ("Device", MI300X, ()),
    "rocm_smi/rocm6.4.4_strix_halo_socket_power.txt": ("Device", STRIX_HALO, ()),
    "rocm_smi/dtk23.10_z100_dcu_table.txt": ("DCU", _plain([0, 1, 2, 3]), ()),
    "hy_smi/bw1000_dtk26.04_2hcu_dec_enc.txt": (
        "HCU",
        [(i, None, None, "Normal") for i in range(2)],
        (),
    ),
    "hy_smi/k100ai_8hcu_host.txt": ("HCU", [(i, None, None, "Normal") for i in range(8)], ()),
    "hy_smi/k100ai_8hcu_kubectl_exec.txt": (
        "HCU",
        [(i, None, None, "Normal") for i in range(8)],
        (),
    ),
}

EXPECTED_ERRORS = {
    "rocm_smi/error_driver_not_initialized_rocm6.0.txt": (
        "ERROR:root:Driver not initialized (amdgpu not found in modules)"
    ),
}


def test_every_fixture_file_is_covered_and_sourced() -> None:
    for directory in ("rocm_smi", "hy_smi"):
        on_disk = {f"{directory}/{p.name}" for p in (FIXTURES / directory).glob("*.txt")}
        covered = {name for name in (*EXPECTED, *EXPECTED_ERRORS) if name.startswith(directory)}
        assert on_disk == covered
        sources = (FIXTURES / directory / "SOURCES.md").read_text(encoding="utf-8")
        for name in on_disk:
            assert f"`{name.split('/', 1)[1]}`" in sources, f"{name} has no SOURCES.md entry"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_devices(name: str) -> None:
    label, rows, warnings = EXPECTED[name]
    table = parse_smi_table(_load(name))
    assert table.label == label
    assert _rows(table) == rows
    assert table.warnings == warnings
    assert table.error is None


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_fixture_failures(name: str) -> None:
    table = parse_smi_table(_load(name))
    assert table.error == EXPECTED_ERRORS[name]
    assert table.devices == ()


def test_driver_version_line_of_the_a_flag_output() -> None:
    # ROCm/rocm_smi_lib#77: `rocm-smi -a` starts with the driver version.
    text = (
        "========================ROCm System Management Interface========================\n"
        "Driver version: 5.6.19\n"
        "================================================================================\n"
    )
    table = parse_smi_table(text)
    assert table.driver_version == "5.6.19"
    assert table.error is None


def test_open_mkfd_noise_before_a_table_is_not_a_failure() -> None:
    # A DTK 26.04 container prints "Open mkfd failed" before a working table (reference B.5).
    text = "Open mkfd failed\n" + _load("hy_smi/bw1000_dtk26.04_2hcu_dec_enc.txt")
    table = parse_smi_table(text)
    assert len(table.devices) == 2
    assert table.error is None


def test_open_mkfd_alone_is_the_failure() -> None:
    assert parse_smi_table("Open mkfd failed\n").error == "Open mkfd failed"


@pytest.mark.parametrize("text", ["", "\n", "  \n\t\n"])
def test_empty_output_is_not_an_error(text: str) -> None:
    assert parse_smi_table(text) == SmiTable(None, (), (), None, None)


def test_unrecognised_output_reports_its_first_line() -> None:
    assert parse_smi_table("\nbash: hy-smi: command not found\n").error == (
        "bash: hy-smi: command not found"
    )
    assert parse_smi_table("x" * 500).error == "x" * 200


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    table = parse_smi_table(text)
    assert all(device.index >= 0 for device in table.devices)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(sorted(EXPECTED)),
    st.integers(min_value=0, max_value=2000),
    st.text(alphabet=" =|-\t\nGPUDevice0123456789", max_size=40),
)
def test_never_raises_on_damaged_real_output(name: str, cut: int, noise: str) -> None:
    text = _load(name)
    parse_smi_table(text[:cut] + noise + text[cut:])
