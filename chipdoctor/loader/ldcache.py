"""`/etc/ld.so.cache`, as written by `ldconfig` and read by the dynamic loader.

Both formats: the old `ld.so-1.7.0` one (libc5 and glibc before 2.2, and the first half of the
"compat" file glibc wrote until 2.32) and the new `glibc-ld.so.cache1.1` one, with its endianness
flag and the extension directory that names `glibc-hwcaps` subdirectories (glibc 2.33+).
Layouts, flag values and lookup rules: glibc `sysdeps/generic/dl-cache.h`,
`sysdeps/generic/ldconfig.h` and `elf/cache.c` (`print_cache`, whose `ldconfig -p` output the
tests compare with).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from chipdoctor.loader.elf import (
    EM_AARCH64,
    EM_LOONGARCH,
    EM_PPC64,
    EM_RISCV,
    EM_S390,
    EM_X86_64,
    ElfInfo,
)

LD_SO_CACHE = "/etc/ld.so.cache"
OLD_MAGIC = b"ld.so-1.7.0"
NEW_MAGIC = b"glibc-ld.so.cache1.1"
_OLD_HEADER = 16  # magic[11], padding, uint32 nlibs
_OLD_ENTRY = 12  # int32 flags, uint32 key, uint32 value
_NEW_HEADER = 48
_NEW_ENTRY = 24  # int32 flags, uint32 key, value, osversion, uint64 hwcap
_EXTENSION_MAGIC = 0xEAA42174  # (uint32_t) -358342284
_TAG_GENERATOR, _TAG_GLIBC_HWCAPS = 0, 1
_HWCAP_EXTENSION = 1 << 62
_ISA_LEVEL_MASK = (1 << 10) - 1

FLAG_TYPE_MASK, FLAG_REQUIRED_MASK = 0x00FF, 0xFF00
FLAG_ELF, FLAG_ELF_LIBC6 = 0x0001, 0x0003
_TYPE_NAMES = {0x0000: "libc4", 0x0001: "ELF", 0x0002: "libc5", 0x0003: "libc6"}
# FLAG_*_LIB64 and friends, with the text `ldconfig -p` prints for each.
_REQUIRED_NAMES = {
    0x0100: ",64bit",  # sparc64
    0x0200: ",IA-64",
    0x0300: ",x86-64",
    0x0400: ",64bit",  # s390x
    0x0500: ",64bit",  # ppc64
    0x0600: ",N32",
    0x0700: ",64bit",  # mips64
    0x0800: ",x32",
    0x0900: ",hard-float",
    0x0A00: ",AArch64",
    0x0B00: ",soft-float",
    0x0C00: ",nan2008",
    0x0D00: ",N32,nan2008",
    0x0E00: ",64bit,nan2008",
    0x0F00: ",soft-float",  # RISC-V soft float
    0x1000: ",double-float",  # RISC-V double float
}


class LdCacheError(ValueError):
    """The bytes are not an ld.so.cache the loader would use."""


@dataclass(frozen=True)
class CacheEntry:
    name: str  # the soname the loader looks up
    path: str
    flags: int
    hwcap: int = 0
    osversion: int = 0
    hwcaps_subdir: str = ""  # "x86-64-v3" for an entry from a glibc-hwcaps subdirectory

    def describe(self) -> str:
        """The text in parentheses of `ldconfig -p`, e.g. `libc6,x86-64`."""
        text = _TYPE_NAMES.get(self.flags & FLAG_TYPE_MASK, "unknown")
        required = self.flags & FLAG_REQUIRED_MASK
        if required:
            text += _REQUIRED_NAMES.get(required, f",{required}")
        if self.hwcaps_subdir:
            text += f', hwcap: "{self.hwcaps_subdir}"'
        elif self.hwcap:
            text += f", hwcap: {self.hwcap:#018x}"
        if self.osversion:
            os_names = ("Linux", "Hurd", "Solaris", "FreeBSD", "kNetBSD", "Syllable")
            kind = self.osversion >> 24
            os_name = os_names[kind] if kind < len(os_names) else "Unknown OS"
            major, minor, patch = (
                (self.osversion >> 16) & 0xFF,
                (self.osversion >> 8) & 0xFF,
                (self.osversion & 0xFF),
            )
            text += f", OS ABI: {os_name} {major}.{minor}.{patch}"
        return text


@dataclass(frozen=True)
class LdCache:
    format: str  # "new", "old" or "compat" (old header followed by a new one)
    entries: tuple[CacheEntry, ...]
    generator: str = ""  # "ldconfig (…) release version 2.36", where recorded

    def lookup(self, name: str, wanted_flags: tuple[int, ...]) -> list[CacheEntry]:
        """Entries for `name` the loader of a process with these flags would accept, in order.

        NOTE: glibc orders `glibc-hwcaps` entries first and takes the first one the CPU
        supports; which those are is not recorded, so the baseline entry comes first here.
        """
        found = [e for e in self.entries if e.name == name and e.flags in wanted_flags]
        return sorted(found, key=lambda e: bool(e.hwcaps_subdir))

    def names(self, name: str) -> list[CacheEntry]:
        """Every entry for `name`, whatever its architecture."""
        return [entry for entry in self.entries if entry.name == name]


def cache_flags(abi: ElfInfo) -> tuple[int, ...]:
    """The entry flags `_dl_cache_check_flags` accepts for a process of this ABI.

    NOTE: per glibc's sysdeps/*/dl-cache.h: x86-64 0x0303 (x32 0x0803), AArch64 0x0a03,
    s390x 0x0403, ppc64 0x0503, RISC-V double-float 0x1003 (soft 0x0f03), LoongArch double
    0x1203; i386 and everything else: the generic `flags == 1 || flags == 3`.
    """
    if abi.machine == EM_X86_64:
        return (0x0303,) if abi.elf_class == 64 else (0x0803,)
    if abi.machine == EM_PPC64:
        return (0x0503,)
    flags = _flags_64(abi) if abi.elf_class == 64 else None
    return flags or (FLAG_ELF, FLAG_ELF_LIBC6)  # i386 and the rest: the generic check


def _flags_64(abi: ElfInfo) -> tuple[int, ...] | None:
    """The flags of the 64-bit ABIs whose 32-bit siblings take the generic check."""
    if abi.machine == EM_AARCH64:
        return (0x0A03,)
    if abi.machine == EM_S390:
        return (0x0403,)
    if abi.machine == EM_RISCV:
        # NOTE: EF_RISCV_FLOAT_ABI (e_flags & 0x6): 0 soft, 4 double.
        return (0x1003,) if abi.flags & 0x6 == 0x4 else (0x0F03,)
    if abi.machine == EM_LOONGARCH:
        return (0x1203,) if abi.flags & 0x7 == 0x3 else (0x1103,)
    return None


def parse_ld_so_cache(data: bytes) -> LdCache:
    """Parse a cache file; raises LdCacheError for anything the loader would reject."""
    if data.startswith(NEW_MAGIC):
        return _parse_new(data, 0, "new")
    if not data.startswith(OLD_MAGIC):
        raise LdCacheError("not an ld.so.cache file (unknown magic)")
    if len(data) < _OLD_HEADER:
        raise LdCacheError("truncated ld.so.cache header")
    end = _old_byte_order(data)
    (count,) = struct.unpack_from(end + "I", data, 12)
    strings = _OLD_HEADER + count * _OLD_ENTRY
    # NOTE: since glibc 2.2 a new-format table may follow the old one, 8-byte aligned; the
    # loader then uses only the new table (dl-cache.h, "libc5 and glibc 2.0/2.1 use …").
    embedded = (strings + 7) & ~7
    if data[embedded : embedded + len(NEW_MAGIC)] == NEW_MAGIC:
        return _parse_new(data, embedded, "compat")
    entries = []
    for index in range(count):
        flags, key, value = struct.unpack_from(end + "iII", data, _OLD_HEADER + index * _OLD_ENTRY)
        entries.append(
            CacheEntry(_string(data, strings + key), _string(data, strings + value), flags)
        )
    return LdCache("old", tuple(entries))


def _old_byte_order(data: bytes) -> str:
    """The old format records no byte order: take the one whose entry count fits the file."""
    for end in ("<", ">"):
        (count,) = struct.unpack_from(end + "I", data, 12)
        if _OLD_HEADER + count * _OLD_ENTRY <= len(data):
            return end
    raise LdCacheError("entry count larger than the file")


def _parse_new(data: bytes, base: int, kind: str) -> LdCache:
    if len(data) < base + _NEW_HEADER:
        raise LdCacheError("truncated ld.so.cache header")
    flags_byte = data[base + 28]
    endian = flags_byte & 3
    if endian == 1:
        raise LdCacheError("the cache marks itself invalid (endianness flag 1)")
    # NOTE: caches from ldconfig before glibc 2.33 leave the flag unset (0).
    end = _new_byte_order(data, base) if endian == 0 else ("<" if endian == 2 else ">")
    count, _strings_size = struct.unpack_from(end + "II", data, base + 20)
    (extension_offset,) = struct.unpack_from(end + "I", data, base + 32)
    if base + _NEW_HEADER + count * _NEW_ENTRY > len(data):
        raise LdCacheError("entry count larger than the file")
    generator, hwcaps = _extensions(data, end, extension_offset, base)
    entries = []
    for index in range(count):
        flags, key, value, osversion, hwcap = struct.unpack_from(
            end + "iIIIQ", data, base + _NEW_HEADER + index * _NEW_ENTRY
        )
        subdir = ""
        if ((hwcap >> 32) & ~_ISA_LEVEL_MASK) == (_HWCAP_EXTENSION >> 32):
            position = hwcap & 0xFFFFFFFF
            subdir = hwcaps[position] if position < len(hwcaps) else ""
        entries.append(
            CacheEntry(
                _string(data, base + key),
                _string(data, base + value),
                flags,
                hwcap,
                osversion,
                subdir,
            )
        )
    return LdCache(kind, tuple(entries), generator)


def _new_byte_order(data: bytes, base: int) -> str:
    """Caches from ldconfig before glibc 2.33 leave the flag unset: take the order that fits."""
    for end in ("<", ">"):
        (count,) = struct.unpack_from(end + "I", data, base + 20)
        if base + _NEW_HEADER + count * _NEW_ENTRY <= len(data):
            return end
    raise LdCacheError("entry count larger than the file")


def _extensions(data: bytes, end: str, offset: int, base: int) -> tuple[str, list[str]]:
    """The generator string and the glibc-hwcaps subdirectory names, if the cache has them.

    Section offsets count from the start of the file; the hwcaps names are string-table
    indices, which count from the new-format header like the entries' keys.
    """
    if offset == 0 or offset % 4 or offset + 8 > len(data):
        return "", []
    magic, count = struct.unpack_from(end + "II", data, offset)
    if magic != _EXTENSION_MAGIC or offset + 8 + count * 16 > len(data):
        return "", []
    generator = ""
    hwcaps: list[str] = []
    for index in range(count):
        tag, _, start, size = struct.unpack_from(end + "IIII", data, offset + 8 + index * 16)
        if start + size > len(data):
            continue
        if tag == _TAG_GENERATOR:
            generator = data[start : start + size].decode("utf-8", errors="replace")
        elif tag == _TAG_GLIBC_HWCAPS and size % 4 == 0:
            # NOTE: ldconfig writes them relative to the header (elf/cache.c write_extensions:
            # str_offset + name offset), but `ldconfig -p` adds them to the start of the file,
            # so it prints garbage for a "compat" cache; the loader's reading is the one here.
            hwcaps = [
                _string(data, base + index_value)
                for (index_value,) in struct.iter_unpack(end + "I", data[start : start + size])
            ]
    return generator, hwcaps


def _string(data: bytes, offset: int) -> str:
    if not 0 <= offset < len(data):
        raise LdCacheError(f"string offset {offset} outside the file")
    cut = data.find(b"\0", offset)
    if cut < 0:
        raise LdCacheError("unterminated string")
    return data[offset:cut].decode("utf-8", errors="replace")
