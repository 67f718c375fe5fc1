"""The torch symbols a shared object needs, and which of them a library defines, read from the
dynamic symbol tables without loading anything: an extension built against another torch (or
the other C++ ABI) fails at import with `undefined symbol: _ZN3c10…`, on a CPU host too.

Only ELF64 little-endian objects (x86_64, aarch64) are read; the sections are found through
the one section-header reader (`elf.find_section`). Layouts: the System V gABI "Symbol Table"
(Elf64_Sym: u32 st_name, u8 st_info, u8 st_other, u16 st_shndx, u64 st_value, u64 st_size;
https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.symtab.html) and the GNU hash table that
glibc's loader uses (`.gnu.hash`: u32 nbuckets, symoffset, bloom_size, bloom_shift, then the
bloom words, the buckets and the chains; glibc elf/dl-lookup.c `do_lookup_x`, elf/dl-setup_hash.c).

A lookup walks one bucket's chain per name, so a library of 10^5 symbols (libtorch_cpu.so,
~400 MB) costs a few small reads per name; the library is never read whole. Every count and
offset is checked against the section it lies in, and chains are bounded: a hostile file
gives `SymbolError` ("cannot tell"), never unbounded work.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from chipdoctor.loader.elf import EM_AARCH64, EM_X86_64, ElfError, ReadAt, find_section

#: A mangled name in torch's C++ namespaces (c10, at, torch, caffe2), as the Itanium C++ ABI
#: writes it (https://itanium-cxx-abi.github.io/cxx-abi/abi.html#mangling): a nested name
#: `N [qualifiers] <length><namespace> …`, possibly behind a special-name prefix: typeinfo,
#: its name, vtable, VTT, TLS wrappers (`_ZTI`, `_ZTS`, `_ZTV`, `_ZTT`, `_ZTW`, `_ZTH`), a
#: guard variable (`_ZGV`), a virtual thunk (`_ZThn8_`, `_ZTv0_n24_`), and a local entity of
#: such a function (`_ZZN…`). The length prefix makes the namespace exact: `3c10` is `c10`,
#: never `c10_npu` (`7c10_npu`); `std::` templates over torch types (`_ZNSt6vectorIN2at…`)
#: are not torch's.
TORCH_SYMBOL = re.compile(
    r"_Z(?:T[IVSTHW]|GV|Thn?\d+_|Tvn?\d+_n?\d+_)?Z?N[rVKRO]*(?:2at|3c10|5torch|6caffe2)[0-9A-Za-z]"
)
#: The marks of the C++11 ABI in a mangled name (GCC's dual ABI,
#: https://gcc.gnu.org/onlinedocs/libstdc++/manual/using_dual_abi.html): the `cxx11` ABI tag of
#: a function returning `std::string`, and the `std::__cxx11` namespace of its string types.
CXX11_MARKS = ("B5cxx11", "St7__cxx11")
#: The old ABI's `std::string` (the `Ss` abbreviation) as a reference or pointer parameter.
OLD_STRING = re.compile(r"[RPKO]Ss")
#: `c10::detail::torchCheckFail(const char*, const char*, uint32_t, const std::string&)`, in
#: each ABI (mangled by g++ 12 with -D_GLIBCXX_USE_CXX11_ABI=1 and =0): whichever libc10.so
#: defines says which ABI torch was built with.
TORCH_ABI_PROBES = {
    "cxx11": (
        "_ZN3c106detail14torchCheckFailEPKcS2_j"
        "RKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE"
    ),
    "old": "_ZN3c106detail14torchCheckFailEPKcS2_jRKSs",
}

_SYM = struct.Struct("<IBBHQQ")
_STB_GLOBAL, _STB_WEAK, _STB_GNU_UNIQUE = 1, 2, 10
_STV_DEFAULT, _STV_PROTECTED = 0, 3
_SHN_UNDEF, _SHN_ABS = 0, 0xFFF1
#: The symbol types glibc's `check_match` binds to (`ALLOWED_STT`: NOTYPE, OBJECT, FUNC,
#: COMMON, TLS, GNU_IFUNC); a section or file symbol is no definition.
_STT_TLS = 6
_ALLOWED_STT = frozenset((0, 1, 2, 5, _STT_TLS, 10))
#: Bounds. A large extension has some 10^5 dynamic symbols; libtorch_cpu.so about 10^5 too.
MAX_SYMBOLS = 4_000_000
MAX_NEEDED = 100_000
#: The needed names' bytes in all: entries may share one long name, so the count alone
#: (10^5 names of up to 64 KiB) would allow gigabytes.
MAX_NEEDED_BYTES = 32 << 20
_MAX_NAME = 1 << 16
_MAX_HASH_TABLE = 64 << 20
#: A string table up to this size is read in one piece where every undefined name is read.
_WHOLE_STRINGS = 16 << 20
_MAX_CHAIN = 1 << 16
#: Hash-chain entries read in one `defined_symbols` call, at most: a real table's chains hold
#: a few entries each, while 10^5 names down chains of _MAX_CHAIN would never end.
_MAX_STEPS = 1 << 21
_CHUNK = 4096
#: The unresolved symbols kept by name (the count is kept whole).
MAX_FIRST = 16


class SymbolError(ValueError):
    """The object cannot say which symbols it needs or defines; the message says why."""


def is_torch_symbol(name: str) -> bool:
    return TORCH_SYMBOL.match(name) is not None


def cxx11_marked(name: str) -> bool:
    return any(mark in name for mark in CXX11_MARKS)


def old_abi_marked(name: str) -> bool:
    return OLD_STRING.search(name) is not None and not cxx11_marked(name)


@dataclass(frozen=True)
class Unresolved:
    """The torch symbols a library needs that none of the libraries asked exports: how many,
    the first MAX_FIRST in the library's order (the loader names the first it meets), and the
    C++ ABI their marks show (`cxx11`, `old`; None: neither)."""

    count: int
    first: tuple[str, ...]
    abi: str | None = None


def unresolved(needed: tuple[str, ...], left: set[str]) -> Unresolved:
    """What of `needed` stays in `left` after the lookups, summed up."""
    missing = [name for name in needed if name in left]
    abi = None
    if any(cxx11_marked(name) for name in missing):
        abi = "cxx11"
    elif any(old_abi_marked(name) for name in missing):
        abi = "old"
    return Unresolved(len(missing), tuple(missing[:MAX_FIRST]), abi)


def gnu_hash(name: bytes) -> int:
    """The GNU hash of a symbol name (glibc elf/dl-hash.h `dl_new_hash`)."""
    value = 5381
    for byte in name:
        value = (value * 33 + byte) & 0xFFFFFFFF
    return value


class _Table:
    """The dynamic symbol table and its strings of one ELF64 little-endian object."""

    def __init__(self, read: ReadAt, *, whole_strings: bool = False) -> None:
        ident = read(0, 20)
        if len(ident) < 20 or ident[:4] != b"\x7fELF":
            raise ElfError("not an ELF file")
        machine = struct.unpack_from("<H", ident, 18)[0]
        if ident[4] != 2 or ident[5] != 1 or machine not in (EM_X86_64, EM_AARCH64):
            raise SymbolError("only 64-bit little-endian x86_64 and aarch64 objects are read")
        self.read = read
        dynsym = find_section(read, ".dynsym")
        dynstr = find_section(read, ".dynstr")
        if dynsym is None or dynstr is None:
            raise SymbolError("no dynamic symbol table")
        self.symbols_at, size = dynsym
        self.count = size // _SYM.size
        if self.count > MAX_SYMBOLS:
            raise SymbolError(f"implausible dynamic symbol table ({self.count} symbols)")
        self.strings_at, self.strings_size = dynstr
        self.strings: bytes | None = None
        if whole_strings:
            self.read_strings()

    def read_strings(self) -> None:
        """The string table in one piece, where it is small enough, for reading every name."""
        if self.strings_size <= _WHOLE_STRINGS:
            self.strings = self.read(self.strings_at, self.strings_size)
            if len(self.strings) < self.strings_size:
                raise SymbolError("truncated string table")

    def symbol(self, index: int) -> tuple[int, int, int, int, int, int]:
        """(st_name, st_info, st_other, st_shndx, st_value, st_size) of symbol `index`."""
        raw = self.read(self.symbols_at + index * _SYM.size, _SYM.size)
        if len(raw) < _SYM.size:
            raise SymbolError("truncated dynamic symbol table")
        return _SYM.unpack(raw)

    @staticmethod
    def _fields(raw: bytes, offset: int) -> tuple[int, int, int, int]:
        st_name, info, other, shndx, _, _ = _SYM.unpack_from(raw, offset)
        return st_name, info >> 4, other & 3, shndx

    def name(self, st_name: int, prefix: int = _MAX_NAME) -> bytes:
        """The name at `st_name` (its first `prefix` bytes at most)."""
        if st_name >= self.strings_size:
            raise SymbolError(f"symbol name {st_name} outside the string table")
        if self.strings is not None:
            end = self.strings.find(b"\0", st_name, st_name + min(prefix, _MAX_NAME))
            if end < 0 and prefix >= _MAX_NAME:
                raise SymbolError("unterminated symbol name")
            return self.strings[st_name : end if end >= 0 else st_name + prefix]
        limit = min(prefix, self.strings_size - st_name)
        raw = self.read(self.strings_at + st_name, min(limit, 256))
        while b"\0" not in raw and len(raw) < limit:
            more = self.read(self.strings_at + st_name + len(raw), min(limit - len(raw), 4096))
            if not more:
                raise SymbolError("truncated string table")
            raw += more
        cut = raw.find(b"\0")
        if cut < 0 and len(raw) >= _MAX_NAME:
            raise SymbolError("unterminated symbol name")
        return raw if cut < 0 else raw[:cut]

    def chunks(self) -> Iterable[tuple[int, bytes]]:
        for start in range(0, self.count, _CHUNK):
            size = min(_CHUNK, self.count - start) * _SYM.size
            raw = self.read(self.symbols_at + start * _SYM.size, size)
            if len(raw) < size:
                raise SymbolError("truncated dynamic symbol table")
            yield start, raw


def needed_torch_symbols(read: ReadAt) -> tuple[str, ...]:
    """The undefined, strongly bound dynamic symbols in torch's namespaces, in table order: what
    the loader must find elsewhere or fail (a weak undefined symbol may stay unresolved).

    Raises ElfError (not an ELF object) or SymbolError (not one this reader can answer for).
    """
    table = _Table(read, whole_strings=True)
    found: list[str] = []
    size = 0
    for start, raw in table.chunks():
        for offset in range(0, len(raw), _SYM.size):
            st_name, bind, _, shndx = table._fields(raw, offset)
            if shndx != _SHN_UNDEF or bind != _STB_GLOBAL or st_name == 0:
                continue
            if start == offset == 0:  # entry 0 is the reserved null symbol (gABI)
                continue
            if not is_torch_symbol(table.name(st_name, 64).decode("latin-1")):
                continue
            try:
                found.append(table.name(st_name).decode())
            except UnicodeDecodeError:
                continue  # no name a lookup could match, nor a snapshot keep (torch's: ASCII)
            size += len(found[-1])
            if len(found) > MAX_NEEDED or size > MAX_NEEDED_BYTES:
                raise SymbolError(f"more than {MAX_NEEDED} torch symbols needed, or too long")
    return tuple(found)


def defined_symbols(read: ReadAt, names: Iterable[str]) -> frozenset[str]:
    """Which of `names` the object exports (defined, global, weak or unique, of default or
    protected visibility), looked up through its `.gnu.hash` table as the loader does; an
    object linked with `--hash-style=sysv` (no `.gnu.hash`) is read through its whole table.

    Raises ElfError or SymbolError (a table that does not add up).
    """
    table = _Table(read)
    hashed = find_section(read, ".gnu.hash")
    if hashed is None:
        table.read_strings()
        return _scan(table, names)
    lookup = _GnuHash(table, hashed)
    return frozenset(name for name in dict.fromkeys(names) if lookup.defines(name))


def _binds(info: int, other: int, shndx: int, value: int) -> bool:
    """Whether an entry is a definition the loader binds to: glibc's `check_match` skips an
    undefined entry, one without a value (an absolute or TLS symbol may have 0) and a type
    outside ALLOWED_STT; `do_lookup_x` then takes a global, weak or unique one."""
    kind = info & 0xF
    return (
        shndx != _SHN_UNDEF
        and (value != 0 or shndx == _SHN_ABS or kind == _STT_TLS)
        and kind in _ALLOWED_STT
        and info >> 4 in (_STB_GLOBAL, _STB_WEAK, _STB_GNU_UNIQUE)
        and other & 3 in (_STV_DEFAULT, _STV_PROTECTED)
    )


def _scan(table: _Table, names: Iterable[str]) -> frozenset[str]:
    """Of `names`, those the table's entries define, read entry by entry (one pass over a
    table of at most MAX_SYMBOLS entries)."""
    wanted = {name.encode(): name for name in names}
    longest = max(map(len, wanted), default=0)
    found: set[str] = set()
    for _, raw in table.chunks():
        for offset in range(0, len(raw), _SYM.size):
            st_name, info, other, shndx, value, _ = _SYM.unpack_from(raw, offset)
            if st_name != 0 and _binds(info, other, shndx, value):
                name = wanted.get(table.name(st_name, longest + 1))
                if name is not None:
                    found.add(name)
    return frozenset(found)


class _GnuHash:
    def __init__(self, table: _Table, section: tuple[int, int]) -> None:
        offset, size = section
        head = table.read(offset, 16)
        if len(head) < 16:
            raise SymbolError("truncated .gnu.hash table")
        nbuckets, self.symoffset, bloom_size, self.shift = struct.unpack("<IIII", head)
        fixed = 16 + bloom_size * 8 + nbuckets * 4
        # NOTE: glibc asserts the bloom filter's size a power of two (elf/dl-lookup.c
        # `_dl_setup_hash`) and indexes it by mask, so another size is no table it reads.
        if (
            nbuckets == 0
            or bloom_size == 0
            or bloom_size & (bloom_size - 1)
            or fixed > min(size, _MAX_HASH_TABLE)
        ):
            raise SymbolError("implausible .gnu.hash table")
        if self.symoffset > table.count:
            raise SymbolError(".gnu.hash starts past the symbol table")
        raw = table.read(offset + 16, fixed - 16)
        if len(raw) < fixed - 16:
            raise SymbolError("truncated .gnu.hash table")
        self.bloom = struct.unpack_from(f"<{bloom_size}Q", raw)
        self.buckets = struct.unpack_from(f"<{nbuckets}I", raw, bloom_size * 8)
        self.chains_at = offset + fixed
        self.chains_end = offset + size
        self.table = table
        self.steps = _MAX_STEPS

    def defines(self, name: str) -> bool:
        wanted = name.encode()
        value = gnu_hash(wanted)
        word = self.bloom[(value // 64) % len(self.bloom)]
        mask = (1 << (value % 64)) | (1 << ((value >> self.shift) % 64))
        if word & mask != mask:
            return False
        index = self.buckets[value % len(self.buckets)]
        if index == 0:
            return False
        if index < self.symoffset:
            raise SymbolError(f"bucket {index} points before the hashed symbols")
        for _ in range(_MAX_CHAIN):
            self.steps -= 1
            if self.steps < 0:
                raise SymbolError(f"hash chains longer than {_MAX_STEPS} in all")
            where = self.chains_at + (index - self.symoffset) * 4
            if index >= self.table.count or where + 4 > self.chains_end:
                raise SymbolError("hash chain runs past the symbol table")
            raw = self.table.read(where, 4)
            if len(raw) < 4:
                raise SymbolError("truncated hash chain")
            chained = struct.unpack("<I", raw)[0]
            if chained | 1 == value | 1 and self._exports(index, wanted):
                return True
            if chained & 1:
                return False
            index += 1
        raise SymbolError(f"hash chain longer than {_MAX_CHAIN}")

    def _exports(self, index: int, wanted: bytes) -> bool:
        """Whether symbol `index` is a definition of `wanted` the loader binds to."""
        st_name, info, other, shndx, value, _ = self.table.symbol(index)
        return self.table.name(st_name, len(wanted) + 1) == wanted and _binds(
            info, other, shndx, value
        )


__all__ = [
    "CXX11_MARKS",
    "TORCH_ABI_PROBES",
    "SymbolError",
    "Unresolved",
    "cxx11_marked",
    "defined_symbols",
    "is_torch_symbol",
    "needed_torch_symbols",
    "old_abi_marked",
    "unresolved",
]
