"""The GPU architectures a library carries device code for, read from its ELF sections without
loading it: the CUDA fatbins of `.nv_fatbin` (cubins `sm_XY` and PTX `compute_XY`) and the clang
offload bundles of `.hip_fatbin` (`gfx90a`, `gfx942`, ...).

Only headers are read, through a `read(offset, size)` callback, and skipped past each payload,
so a 1 GB libtorch_cuda.so costs some thousands of small reads; the count of containers and
entries read is bounded (`MAX_CONTAINERS`, `MAX_ENTRIES`).

Layouts:
- CUDA fatbin: NVIDIA does not document it. The section name is from the toolkit's own header
  `fatbinary_section.h` (FATBIN_DATA_SECTION_NAME). The header fields below were read from
  objects built with nvcc 13.5 (nvidia-cuda-nvcc on PyPI) and each cross-checked with
  `cuobjdump --list-elf --list-ptx` (tests/loader/test_devcode.py, fixtures and the script that
  rebuilds them in tests/fixtures/devcode/): a container header of 16 bytes (magic 0xBA55ED50,
  u16 version, u16 header size, u64 size of the entries), then entries, each a header (u16 kind:
  1 PTX, 2 cubin; u32 header size at 4; u64 payload size at 8; u32 architecture at 28, e.g. 86;
  u64 flags at 40, bit 0x100000 set for an arch-specific `sm_90a` cubin) and its payload.
- Clang offload bundle (https://clang.llvm.org/docs/ClangOffloadBundler.html, "Bundled Code
  Object Layout"): the magic `__CLANG_OFFLOAD_BUNDLE__`, u64 number of entries, then per entry
  u64 offset, u64 size, u64 id length and the id (`hipv4-amdgcn-amd-amdhsa--gfx90a:xnack-`).
  A compressed bundle (magic `CCOB`) names its targets only inside the compressed data: it is
  reported as such, and the published arch list is used instead.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from chipdoctor.loader.elf import ElfError, ReadAt, find_section

FATBIN_SECTION = ".nv_fatbin"
HIP_SECTION = ".hip_fatbin"
_FATBIN_MAGIC = 0xBA55ED50
_BUNDLE_MAGIC = b"__CLANG_OFFLOAD_BUNDLE__"
_COMPRESSED_MAGIC = b"CCOB"
_KIND_PTX, _KIND_CUBIN = 1, 2
_ARCH_SPECIFIC = 0x100000
#: Bounds: libtorch_cuda.so holds a few thousand fatbins of about ten entries each.
MAX_CONTAINERS = 20_000
MAX_ENTRIES = 200_000
#: Containers are 8-byte aligned in `.nv_fatbin`, and offload bundles start on 4096-byte
#: boundaries in `.hip_fatbin`; padding longer than this ends the scan.
_MAX_GAP = 1 << 16


class DeviceCodeError(ValueError):
    """The section is there but cannot be read as device code; the message says why."""


@dataclass(frozen=True)
class DeviceCode:
    """The device code of one library: `native` targets run as they are (`sm_80`, `gfx90a`),
    `portable` ones are compiled by the driver for newer GPUs (PTX: `compute_90`)."""

    native: tuple[str, ...]
    portable: tuple[str, ...] = ()


def read_device_code(read: ReadAt) -> DeviceCode | None:
    """The architectures an ELF object carries code for; None when it carries no device code.

    Raises ElfError (not an ELF object) or DeviceCodeError (a section that is not device code).
    """
    cuda = find_section(read, FATBIN_SECTION)
    if cuda is not None:
        return _fatbins(read, *cuda)
    hip = find_section(read, HIP_SECTION)
    if hip is not None:
        return _bundles(read, *hip)
    return None


def _sorted(names: set[str]) -> tuple[str, ...]:
    def key(name: str) -> tuple[int, str]:
        digits = "".join(c for c in name if c.isdigit())
        return (int(digits) if digits and name.startswith(("sm_", "compute_")) else 0, name)

    return tuple(sorted(names, key=key))


def _next_container(read: ReadAt, position: int, end: int, magic: bytes, step: int) -> int | None:
    """The offset of the next container header at or after `position` (a multiple of `step`
    from it), skipping padding; one read of at most `_MAX_GAP` bytes."""
    if position + len(magic) > end:
        return None
    if read(position, len(magic)) == magic:
        return position  # the usual case: containers follow each other
    window = read(position, min(end - position, _MAX_GAP))
    found = window.find(magic)
    while found >= 0:
        if found % step == 0:
            return position + found
        found = window.find(magic, found + 1)
    return None


def _fatbins(read: ReadAt, offset: int, size: int) -> DeviceCode:
    end = offset + size
    cubins: set[str] = set()
    ptx: set[str] = set()
    position: int | None = offset
    containers = entries = 0
    magic = struct.pack("<I", _FATBIN_MAGIC)
    while position is not None and containers < MAX_CONTAINERS and entries < MAX_ENTRIES:
        header = read(position, 16)
        if len(header) < 16:
            break
        _, _, header_size, fat_size = struct.unpack("<IHHQ", header)
        stop = position + header_size + fat_size
        if header_size < 16 or stop > end:
            raise DeviceCodeError(f"fatbin at {position:#x} runs past {FATBIN_SECTION}")
        entry = position + header_size
        while entry + 48 <= stop and entries < MAX_ENTRIES:
            raw = read(entry, 48)
            if len(raw) < 48:
                raise DeviceCodeError(f"truncated fatbin entry at {entry:#x}")
            kind, _, entry_header, payload = struct.unpack_from("<HHIQ", raw)
            arch = struct.unpack_from("<I", raw, 28)[0]
            flags = struct.unpack_from("<Q", raw, 40)[0]
            if entry_header < 48 or kind not in (_KIND_PTX, _KIND_CUBIN) or arch > 10_000:
                raise DeviceCodeError(f"not a fatbin entry at {entry:#x}")
            if kind == _KIND_CUBIN:
                cubins.add(f"sm_{arch}" + ("a" if flags & _ARCH_SPECIFIC else ""))
            else:
                ptx.add(f"compute_{arch}")
            entries += 1
            entry += entry_header + payload
        containers += 1
        position = _next_container(read, stop, end, magic, 8)
    if containers == 0:
        raise DeviceCodeError(f"no fatbin in {FATBIN_SECTION}")
    return DeviceCode(_sorted(cubins), _sorted(ptx))


def _bundles(read: ReadAt, offset: int, size: int) -> DeviceCode:
    end = offset + size
    targets: set[str] = set()
    position: int | None = offset
    containers = entries = 0
    while position is not None and containers < MAX_CONTAINERS and entries < MAX_ENTRIES:
        head = read(position, 32)
        if head[:4] == _COMPRESSED_MAGIC:
            raise DeviceCodeError("compressed offload bundles (CCOB) name no targets unread")
        if head[:24] != _BUNDLE_MAGIC:
            break
        if len(head) < 32:
            raise DeviceCodeError(f"truncated offload bundle at {position:#x}")
        count = struct.unpack_from("<Q", head, 24)[0]
        cursor = position + 32
        last = position + 32
        for _ in range(min(count, MAX_ENTRIES - entries)):
            raw = read(cursor, 24)
            if len(raw) < 24:
                raise DeviceCodeError(f"truncated offload bundle entry at {cursor:#x}")
            entry_offset, entry_size, id_length = struct.unpack("<QQQ", raw)
            if id_length > 4096 or position + entry_offset + entry_size > end:
                raise DeviceCodeError(f"not an offload bundle entry at {cursor:#x}")
            ident = read(cursor + 24, id_length).decode("ascii", errors="replace")
            _, _, target = ident.partition("-amdgcn-amd-amdhsa-")
            if target:
                targets.add(target.lstrip("-").split(":")[0])
            last = max(last, position + entry_offset + entry_size)
            cursor += 24 + id_length
            entries += 1
        containers += 1
        position = _next_container(read, last, end, _BUNDLE_MAGIC, 1)
    if containers == 0:
        raise DeviceCodeError(f"no offload bundle in {HIP_SECTION}")
    return DeviceCode(_sorted(targets))


__all__ = ["DeviceCode", "DeviceCodeError", "ElfError", "read_device_code"]
