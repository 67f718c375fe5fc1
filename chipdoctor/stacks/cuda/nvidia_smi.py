"""Parsers for ``nvidia-smi`` (no arguments) and ``/proc/driver/nvidia/version``.

The plain table is the one output every driver generation prints, so it is the evidence; its
layout moved between releases (samples and sources: ``tests/fixtures/nvidia_smi/SOURCES.md``):

* 325-470: 79 columns, ``Persistence-M|`` glued to the name cell, no ``CUDA Version`` before
  410 (and ``NVIDIA-SMI 5.325.15`` where the tool and driver versions differ);
* 450+: a third row per GPU (``MIG M.``) and ``GI``/``CI`` columns in the process table;
* 530-535: 89 columns; 545+: 91 columns, and 580+ draw the header separator with ``+``;
* 610+: ``KMD Version:`` and ``CUDA UMD Version:`` instead of ``Driver Version:`` and
  ``CUDA Version:``; Windows prints ``Driver-Model`` (``WDDM``/``TCC``) where Linux prints
  ``Persistence-M``;
* a ``MIG devices:`` table between the GPU and process tables when MIG is enabled;
* shell prompts, README indentation and excerpts that start or stop mid-table.

So rows are split on ``|`` and recognised by content (a GPU row is ``<index> <name> <mode>``
followed by a PCI bus id), never by character column or table width.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

__all__ = [
    "HEALTH_OK",
    "MigDevice",
    "NvidiaGpu",
    "NvidiaSmiFailure",
    "NvidiaSmiInfo",
    "ProcDriverVersion",
    "parse_nvidia_smi",
    "parse_proc_driver_version",
]

HEALTH_OK = "OK"

# NOTE: the banner names its fields "Driver Version"/"CUDA Version" up to R590 and
# "KMD Version"/"CUDA UMD Version" from R610 (shared/reference/other-stacks.md, Corrections).
# A driver container without libcuda prints "CUDA Version: N/A" (NVIDIA/k8s-dra-driver README).
_TOOL_RE = re.compile(r"NVIDIA-SMI\s+([0-9][0-9.]*[0-9])")
_DRIVER_RE = re.compile(r"(?:Driver|KMD)\s+Version:\s*([0-9][0-9.]*[0-9])")
_CUDA_RE = re.compile(r"CUDA\s+(?:UMD\s+)?Version:\s*([0-9][0-9.]*[0-9]|N/A)")
_GPU_CELL_RE = re.compile(r"([0-9]{1,4})\s+(\S(?:.*\S)?)\s+(\S+)")
_BUS_ID_RE = re.compile(r"[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]")
_MIG_CELL_RE = re.compile(r"([0-9]{1,4})\s+([0-9]{1,4})\s+([0-9]{1,4})\s+([0-9]{1,4})")
# NOTE: nvidia-smi writes "ERR!" into a cell it cannot read (a fan or power sensor of a failing
# GPU: utkuozdemir/nvidia_gpu_exporter#393, Azure/azhpc-diagnostics#77) and
# "[GPU requires reset]" once the GPU needs a reset before it can be used again.
_PROBLEM_MARKERS = ("ERR!", "GPU requires reset")

# Failures, in the order they are tried (the first that matches names the failure).
# NOTE: the "couldn't communicate" text is matched up to the apostrophe, which pasted copies
# turn into a typographic quote (qixuema/envs#4); "NVML library version:" follows the mismatch
# line from driver 580 on (zzzhouuu/truenas-nvidia-drivers#19).
_FAILURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("no-driver", re.compile(r"NVIDIA-SMI has failed because it couldn.t communicate[^\n]*")),
    ("version-mismatch", re.compile(r"Failed to initialize NVML: Driver/library version mismatch")),
    ("nvml-init", re.compile(r"Failed to initialize NVML: [^\n]*")),
    ("library-missing", re.compile(r"NVIDIA-SMI couldn't find libnvidia-ml\.so[^\n]*")),
    ("no-devices", re.compile(r"No devices were found")),
    ("device-unreachable", re.compile(r"Unable to determine the device handle for GPU[^\n]*")),
)
_NVML_LIBRARY_RE = re.compile(r"NVML library version:\s*([0-9][0-9.]*[0-9])")
_MESSAGE_MAX_CHARS = 200


@dataclass(frozen=True)
class NvidiaGpu:
    """One GPU of the device table."""

    index: int
    name: str  # as printed, possibly truncated by nvidia-smi ("NVIDIA GeForce ...")
    health: str  # HEALTH_OK, or the problem marker the GPU's rows show ("ERR!", ...)
    bus_id: str


@dataclass(frozen=True)
class MigDevice:
    """One row of the ``MIG devices:`` table."""

    gpu: int
    gpu_instance: int
    compute_instance: int
    device: int


@dataclass(frozen=True)
class NvidiaSmiFailure:
    """What nvidia-smi printed instead of a table, classified."""

    kind: str  # no-driver, version-mismatch, nvml-init, library-missing, no-devices, ...
    message: str  # the line as printed
    library_version: Optional[str] = None  # "NVML library version: 580.178" (mismatch, R580+)


@dataclass(frozen=True)
class NvidiaSmiInfo:
    tool_version: Optional[str]  # "NVIDIA-SMI 5.325.15" -> "5.325.15"
    driver_version: Optional[str]  # "Driver Version:" / "KMD Version:"
    cuda_version: Optional[str]  # "CUDA Version:" / "CUDA UMD Version:"; None if absent or N/A
    gpus: tuple[NvidiaGpu, ...]
    mig_devices: tuple[MigDevice, ...]
    failure: Optional[NvidiaSmiFailure]


@dataclass(frozen=True)
class ProcDriverVersion:
    """``/proc/driver/nvidia/version``: the loaded kernel module."""

    version: str  # "550.54.15"; on Jetson the L4T release ("35.3.1")
    open_kernel_module: bool
    arch: Optional[str]  # "x86_64", "aarch64"


def _cells(line: str) -> Optional[list[str]]:
    """A table row split into stripped cells; None for lines that are not rows."""
    text = line.strip()
    if not text.startswith("|"):
        return None
    cells = [cell.strip() for cell in text[1:].split("|")]
    if cells and not cells[-1]:
        cells.pop()
    return cells


def _gpu_row(cells: list[str]) -> Optional[tuple[int, str, str]]:
    if len(cells) < 2:
        return None
    match = _GPU_CELL_RE.fullmatch(cells[0])
    words = cells[1].split()
    if match is None or not words or not _BUS_ID_RE.fullmatch(words[0]):
        return None
    return int(match.group(1)), match.group(2), words[0]


def _health(lines: list[str]) -> str:
    text = "\n".join(lines)
    for marker in _PROBLEM_MARKERS:
        if marker in text:
            return marker
    return HEALTH_OK


def _header(lines: list[str]) -> tuple[Optional[str], Optional[str], Optional[str]]:
    for line in lines:
        tool = _TOOL_RE.search(line)
        if tool is None:
            continue
        driver = _DRIVER_RE.search(line)
        cuda = _CUDA_RE.search(line)
        cuda_version = cuda.group(1) if cuda is not None else None
        return (
            tool.group(1),
            driver.group(1) if driver is not None else None,
            None if cuda_version == "N/A" else cuda_version,
        )
    return None, None, None


def _gpus(lines: list[str]) -> tuple[NvidiaGpu, ...]:
    gpus: list[NvidiaGpu] = []
    position = 0
    while position < len(lines):
        cells = _cells(lines[position])
        row = _gpu_row(cells) if cells is not None else None
        position += 1
        if row is None:
            continue
        block = [lines[position - 1]]
        # The GPU's other rows run to the next border ("+---" or "|===") or blank line.
        while position < len(lines):
            following = lines[position].strip()
            if not following.startswith("|") or following.startswith("|="):
                break
            following_cells = _cells(following)
            if following_cells is not None and _gpu_row(following_cells) is not None:
                break
            block.append(following)
            position += 1
        index, name, bus_id = row
        gpus.append(NvidiaGpu(index, name, _health(block), bus_id))
    return tuple(gpus)


def _mig_devices(lines: list[str]) -> tuple[MigDevice, ...]:
    devices: list[MigDevice] = []
    in_section = False
    for line in lines:
        cells = _cells(line)
        if cells is None:
            continue
        if cells and cells[0].startswith("MIG devices:"):
            in_section = True
            continue
        if cells and cells[0].startswith("Processes:"):
            in_section = False
        if not in_section or len(cells) < 2:
            continue
        match = _MIG_CELL_RE.fullmatch(cells[0])
        if match is not None:
            gpu, gi, ci, dev = (int(group) for group in match.groups())
            devices.append(MigDevice(gpu, gi, ci, dev))
    return tuple(devices)


def _failure(text: str) -> Optional[NvidiaSmiFailure]:
    for kind, pattern in _FAILURES:
        match = pattern.search(text)
        if match is None:
            continue
        library = _NVML_LIBRARY_RE.search(text) if kind == "version-mismatch" else None
        return NvidiaSmiFailure(
            kind,
            match.group(0).strip()[:_MESSAGE_MAX_CHARS],
            library.group(1) if library is not None else None,
        )
    return None


def parse_nvidia_smi(text: str) -> NvidiaSmiInfo:
    """Versions, GPUs, MIG devices and any failure from ``nvidia-smi`` output; never raises."""
    lines = text.splitlines()
    tool, driver, cuda = _header(lines)
    return NvidiaSmiInfo(
        tool_version=tool,
        driver_version=driver,
        cuda_version=cuda,
        gpus=_gpus(lines),
        mig_devices=_mig_devices(lines),
        failure=_failure(text),
    )


# NOTE: the proprietary module writes "NVIDIA UNIX x86_64 Kernel Module  550.54.15  <date>",
# the open one "NVIDIA UNIX Open Kernel Module for x86_64  565.57.01  Release Build ..."
# (nix-community/nixGL#121 and #186); Jetson prints the L4T release there (nixGL#139).
_PROC_RE = re.compile(
    r"NVRM version:\s*NVIDIA UNIX\s+(?:(?P<open>Open) Kernel Module for (?P<open_arch>\S+)"
    r"|(?P<arch>\S+) Kernel Module)\s+(?P<version>[0-9][0-9.]*[0-9])"
)


def parse_proc_driver_version(text: str) -> Optional[ProcDriverVersion]:
    """The kernel module's version from ``/proc/driver/nvidia/version``; None if absent."""
    match = _PROC_RE.search(text)
    if match is None:
        return None
    is_open = match.group("open") is not None
    return ProcDriverVersion(
        version=match.group("version"),
        open_kernel_module=is_open,
        arch=match.group("open_arch") if is_open else match.group("arch"),
    )
