"""Tests for chipdoctor.stacks.cuda.nvidia_smi and .cuda_toolkit on real published outputs
(see tests/fixtures/nvidia_smi/SOURCES.md), plus hypothesis fuzzing."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.stacks.cuda.cuda_toolkit import (
    parse_cudnn_header,
    parse_version_json,
    parse_version_txt,
    torch_cuda_tag,
)
from chipdoctor.stacks.cuda.nvidia_smi import (
    MigDevice,
    NvidiaSmiInfo,
    ProcDriverVersion,
    parse_nvidia_smi,
    parse_proc_driver_version,
)
from tests.conftest import FIXTURES, SNAPSHOTS

SMI = FIXTURES / "nvidia_smi"
PROC = FIXTURES / "nvidia_proc_version"

# (index, name, health, bus id)
Gpu = tuple[int, str, str, str]


def _gpus(info: NvidiaSmiInfo) -> list[Gpu]:
    return [(g.index, g.name, g.health, g.bus_id) for g in info.gpus]


def _same(name: str, buses: list[str], health: str = "OK") -> list[Gpu]:
    return [(i, name, health, bus) for i, bus in enumerate(buses)]


# fixture -> (tool version, driver version, CUDA version, GPUs, number of MIG devices)
TABLES: dict[str, tuple[Optional[str], Optional[str], Optional[str], list[Gpu], int]] = {
    "325.15_3x_titan_excerpt.txt": (
        "5.325.15",
        "325.15",
        None,
        _same("GeForce GTX TITAN", ["0000:03:00.0", "0000:04:00.0", "0000:84:00.0"]),
        0,
    ),
    "346.46_grid_k520_no_processes.txt": (
        "346.46",
        "346.46",
        None,
        [(0, "GRID K520", "OK", "0000:00:03.0")],
        0,
    ),
    "390.25_8x_gtx1080ti_procs.txt": (
        "390.25",
        "390.25",
        None,
        _same(
            "GeForce GTX 108...",
            [f"00000000:{b}:00.0" for b in ("04", "05", "08", "09", "84", "85", "88", "89")],
        ),
        0,
    ),
    "440.82_docker_empty_process_table.txt": (
        "440.82",
        "440.82",
        "10.2",
        _same("GeForce GTX 108...", ["00000000:01:00.0", "00000000:02:00.0"]),
        0,
    ),
    "450.57_gi_ci_columns.txt": (
        "450.57",
        "450.57",
        "11.0",
        [
            (0, "GeForce RTX 2070", "OK", "00000000:01:00.0"),
            (1, "GeForce GTX 750 Ti", "OK", "00000000:04:00.0"),
        ],
        0,
    ),
    "460.39_rtx2070_prompt.txt": (
        "460.39",
        "460.39",
        "11.2",
        [(0, "GeForce RTX 2070", "OK", "00000000:01:00.0")],
        0,
    ),
    "470.63.01_procs_prompt.txt": (
        "470.63.01",
        "470.63.01",
        "11.4",
        [(0, "NVIDIA GeForce ...", "OK", "00000000:01:00.0")],
        0,
    ),
    "515.65.01_titan_v_no_processes.txt": (
        "515.65.01",
        "515.65.01",
        "11.7",
        [(0, "NVIDIA TITAN V", "OK", "00000000:AF:00.0")],
        0,
    ),
    "530.47_531.68_wsl_procs.txt": (
        "530.47",
        "531.68",
        "12.1",
        [(0, "NVIDIA GeForce RTX 3070", "OK", "00000000:2B:00.0")],
        0,
    ),
    "535.104.05_colab_t4_no_processes.txt": (
        "535.104.05",
        "535.104.05",
        "12.2",
        [(0, "Tesla T4", "OK", "00000000:00:04.0")],
        0,
    ),
    "550.54.14_mig_enabled_cuda_na.txt": (
        "550.54.14",
        "550.54.14",
        None,
        [(0, "NVIDIA A100 80GB PCIe", "OK", "00000000:17:00.0")],
        0,
    ),
    "550.163.01_rtx3050_procs_prompt.txt": (
        "550.163.01",
        "550.163.01",
        "12.4",
        [(0, "NVIDIA GeForce RTX 3050", "OK", "00000000:01:00.0")],
        0,
    ),
    "570.148.08_a100_mig_devices.txt": (
        "570.148.08",
        "570.148.08",
        "12.8",
        [(0, "NVIDIA A100 80GB PCIe", "OK", "00000000:B6:00.0")],
        4,
    ),
    "580.65.06_rtx4090_procs.txt": (
        "580.65.06",
        "580.65.06",
        "13.0",
        [(0, "NVIDIA GeForce RTX 4090", "OK", "00000000:01:00.0")],
        0,
    ),
    "580.105.08_t4_excerpt.txt": (
        "580.105.08",
        "580.105.08",
        "13.0",
        [(0, "Tesla T4", "OK", "00000000:00:1E.0")],
        0,
    ),
    "610.57.04_kmd_umd_7x_b300_prompt.txt": (
        "610.57.04",
        "610.57.04",
        "13.3",
        _same(
            "NVIDIA B300 SXM6 AC",
            [
                *("00000000:1A:00.0", "00000000:69:00.0", "00000000:DB:00.0"),
                *("00000001:1A:00.0", "00000001:69:00.0", "00000001:B5:00.0"),
                "00000001:DB:00.0",
            ],
        ),
        0,
    ),
    "617.14_kmd_umd_windows_wddm.txt": (
        "617.14",
        "617.14",
        "13.4",
        [(0, "NVIDIA GeForce RTX 3050 ...", "OK", "00000000:01:00.0")],
        0,
    ),
    "err_fan_gpu14_rtx4000ada_excerpt.txt": (
        None,
        None,
        None,
        [
            (13, "NVIDIA RTX 4000 Ada Gene...", "OK", "00000000:C9:00.0"),
            (14, "NVIDIA RTX 4000 Ada Gene...", "ERR!", "00000000:CC:00.0"),
        ],
        0,
    ),
    "err_power_v100_excerpt.txt": (
        None,
        None,
        None,
        [(1, "Tesla V100-PCIE...", "ERR!", "00008ED0:00:00.0")],
        0,
    ),
}

# fixture -> (failure kind, message, NVML library version)
FAILURES: dict[str, tuple[str, str, Optional[str]]] = {
    "error_couldnt_communicate_prompt.txt": (
        "no-driver",
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure "
        "that the latest NVIDIA driver is installed and running.",
        None,
    ),
    "error_couldnt_communicate_two_lines_curly_quote.txt": (
        "no-driver",
        "NVIDIA-SMI has failed because it couldn\u2018t communicate with the NVIDIA driver.",
        None,
    ),
    "error_nvml_mismatch_prompt.txt": (
        "version-mismatch",
        "Failed to initialize NVML: Driver/library version mismatch",
        None,
    ),
    "error_nvml_mismatch_library_version.txt": (
        "version-mismatch",
        "Failed to initialize NVML: Driver/library version mismatch",
        "580.178",
    ),
    "error_nvml_unknown_error.txt": ("nvml-init", "Failed to initialize NVML: Unknown Error", None),
    "error_no_devices_found.txt": ("no-devices", "No devices were found", None),
    "error_libnvidia_ml_missing.txt": (
        "library-missing",
        "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure that "
        "the NVIDIA Display Driver is properly installed and present in your system.",
        None,
    ),
    "error_device_handle_unknown.txt": (
        "device-unreachable",
        "Unable to determine the device handle for GPU0000:07:00.0: Unknown Error",
        None,
    ),
}

PROC_VERSIONS: dict[str, ProcDriverVersion] = {
    "384.98_proprietary.txt": ProcDriverVersion("384.98", False, "x86_64"),
    "525.60.11_open.txt": ProcDriverVersion("525.60.11", True, "x86_64"),
    "550.144.03_proprietary.txt": ProcDriverVersion("550.144.03", False, "x86_64"),
    "565.57.01_open.txt": ProcDriverVersion("565.57.01", True, "x86_64"),
    "580.95.05_open.txt": ProcDriverVersion("580.95.05", True, "x86_64"),
    "580.173.02_proprietary.txt": ProcDriverVersion("580.173.02", False, "x86_64"),
    "35.3.1_jetson_open_aarch64.txt": ProcDriverVersion("35.3.1", True, "aarch64"),
}


def _load(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_fixture_has_an_expectation() -> None:
    assert {p.name for p in SMI.glob("*.txt")} == set(TABLES) | set(FAILURES)
    assert {p.name for p in PROC.glob("*.txt")} == set(PROC_VERSIONS)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table(name: str) -> None:
    tool, driver, cuda, gpus, migs = TABLES[name]
    info = parse_nvidia_smi(_load(SMI / name))
    assert (info.tool_version, info.driver_version, info.cuda_version) == (tool, driver, cuda)
    assert _gpus(info) == gpus
    assert len(info.mig_devices) == migs
    assert info.failure is None


def test_mig_devices_are_read_from_their_own_table() -> None:
    info = parse_nvidia_smi(_load(SMI / "570.148.08_a100_mig_devices.txt"))
    assert info.mig_devices == (
        MigDevice(0, 1, 0, 0),
        MigDevice(0, 5, 0, 1),
        MigDevice(0, 13, 0, 2),
        MigDevice(0, 14, 0, 3),
    )


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_failure(name: str) -> None:
    kind, message, library = FAILURES[name]
    info = parse_nvidia_smi(_load(SMI / name))
    assert info.failure is not None
    assert (info.failure.kind, info.failure.message, info.failure.library_version) == (
        kind,
        message,
        library,
    )
    assert info.gpus == () and info.driver_version is None


def test_gpu_requires_reset_marks_the_gpu() -> None:
    # The marker as NVIDIA writes it into a cell (see the parser's NOTE); the table around it
    # is the real 535 Colab output.
    text = _load(SMI / "535.104.05_colab_t4_no_processes.txt").replace(
        "    0MiB / 15360MiB", "[GPU requires reset]", 1
    )
    assert _gpus(parse_nvidia_smi(text)) == [
        (0, "Tesla T4", "GPU requires reset", "00000000:00:04.0")
    ]


def test_snapshot_outputs_parse_like_their_fixtures() -> None:
    """The scenario snapshots carry fixture outputs minus their shell-prompt line."""
    healthy = parse_nvidia_smi(_load(SNAPSHOTS / "cuda-healthy" / "commands" / "nvidia-smi.txt"))
    assert healthy == parse_nvidia_smi(_load(SMI / "580.65.06_rtx4090_procs.txt"))


@pytest.mark.parametrize("name", sorted(PROC_VERSIONS))
def test_proc_driver_version(name: str) -> None:
    assert parse_proc_driver_version(_load(PROC / name)) == PROC_VERSIONS[name]


def test_proc_driver_version_without_nvrm_line() -> None:
    assert parse_proc_driver_version("GCC version:  gcc version 12.2.0 (GCC)\n") is None


# --- the toolkit's own files ---------------------------------------------------------------


def test_version_json_release_and_date_stamped() -> None:
    text = _load(SNAPSHOTS / "cuda-healthy" / "files/usr/local/cuda-11.5/version.json")
    assert parse_version_json(text) == "11.5.2"
    text = _load(SNAPSHOTS / "multi-cuda-ascend" / "files/usr/local/cuda/version.json")
    assert parse_version_json(text) == "13.3.1"
    # NOTE: published first entries of 11.8 and 12.6 installs (SOURCES.md): date stamps.
    stamped = (
        '{\n   "cuda" : {\n      "name" : "CUDA SDK",\n      "version" : "11.8.20220929"\n   }\n}'
    )
    assert parse_version_json(stamped) == "11.8.20220929"


@pytest.mark.parametrize(
    "text", ["", "not json", "[]", '{"cuda": "12.4"}', '{"cuda": {"version": "twelve"}}']
)
def test_version_json_garbage(text: str) -> None:
    assert parse_version_json(text) is None


def test_version_txt() -> None:
    assert parse_version_txt("CUDA Version 10.0.130\n") == "10.0.130"
    assert parse_version_txt("CUDA Version 10.0.130\nCUDA Patch Version 10.0.130.1\n") == (
        "10.0.130"
    )
    assert parse_version_txt("CUDA Patch Version 10.0.130.1\n") is None


def test_cudnn_headers() -> None:
    v9 = (
        "#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 1\n#define CUDNN_PATCHLEVEL 1\n--\n"
        "#define CUDNN_VERSION (CUDNN_MAJOR * 10000 + CUDNN_MINOR * 100 + CUDNN_PATCHLEVEL)\n"
    )
    assert parse_cudnn_header(v9) == "9.1.1"
    v7 = "#define CUDNN_MAJOR 7\n#define CUDNN_MINOR 6\n#define CUDNN_PATCHLEVEL 4\n"
    assert parse_cudnn_header(v7) == "7.6.4"
    assert parse_cudnn_header('#include "cudnn_version.h"\n') is None


@pytest.mark.parametrize(
    ("version", "cuda"),
    [
        ("2.3.0+cu121", "12.1"),
        ("2.7.1+cu118", "11.8"),
        ("2.9.1+cu130", "13.0"),
        ("1.7.1+cu92", "9.2"),
        ("2.5.1+cpu", None),
        ("2.7.0a0+ecf3bae40a.nv25.02", None),
        ("2.8.0.dev20250529+rocm6.4", None),
        ("2.5.1", None),
    ],
)
def test_torch_cuda_tag(version: str, cuda: Optional[str]) -> None:
    assert torch_cuda_tag(version) == cuda


# --- fuzzing ------------------------------------------------------------------------------

_ALL = sorted(SMI.glob("*.txt"))
_TEXTS = [_load(p) for p in _ALL]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    info = parse_nvidia_smi(text)
    assert all(g.index >= 0 for g in info.gpus)
    parse_proc_driver_version(text)
    parse_version_json(text)
    parse_version_txt(text)
    parse_cudnn_header(text)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(_TEXTS),
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=4000), st.sampled_from(["|", "\n", "", "x"])),
        max_size=8,
    ),
)
def test_damaged_real_outputs_never_raise(text: str, edits: list[tuple[int, str]]) -> None:
    for position, replacement in edits:
        text = text[:position] + replacement + text[position + 1 :]
    info = parse_nvidia_smi(text)
    assert all(g.name for g in info.gpus)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(_TEXTS), st.integers(min_value=0, max_value=60))
def test_truncated_output_keeps_what_it_shows(text: str, keep: int) -> None:
    lines = text.splitlines()[:keep]
    full = parse_nvidia_smi(text)
    part = parse_nvidia_smi("\n".join(lines))
    # Every GPU read from the truncated text is one of the GPUs of the whole output.
    assert {(g.index, g.bus_id) for g in part.gpus} <= {(g.index, g.bus_id) for g in full.gpus}
