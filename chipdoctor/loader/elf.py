"""A small ELF reader: class, byte order, machine and the dynamic section's names and paths.

It reads the ELF header, the program headers and the strings the dynamic section points at,
through a `read(offset, size)` callback, so even a 1 GB library costs a handful of small reads;
it never maps or loads the file. Layouts and tag values: the System V gABI, "Object Files"
(https://refspecs.linuxfoundation.org/elf/gabi4+/contents.html); machine numbers: glibc
`elf/elf.h`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

#: `read(offset, size)` returns up to `size` bytes of the file starting at `offset`.
ReadAt = Callable[[int, int], bytes]

ELFCLASS32, ELFCLASS64 = 1, 2
ELFDATA2LSB, ELFDATA2MSB = 1, 2
PT_LOAD, PT_DYNAMIC = 1, 2
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ = 0, 1, 5, 10
DT_SONAME, DT_RPATH, DT_RUNPATH = 14, 15, 29
#: e_phnum value meaning "the real count is in section header 0's sh_info" (gABI).
PN_XNUM = 0xFFFF

EM_386, EM_MIPS, EM_PPC, EM_PPC64, EM_S390 = 3, 8, 20, 21, 22
EM_ARM, EM_SPARCV9, EM_IA_64, EM_X86_64 = 40, 43, 50, 62
EM_AARCH64, EM_RISCV, EM_LOONGARCH = 183, 243, 258

#: The most bytes of section headers read: as many 64-byte Elf64_Shdr as a u16 e_shnum counts
#: (libtorch_cuda.so has about forty); a hostile e_shentsize of 65535 would ask for 4 GiB.
_MAX_SECTION_TABLE = 65536 * 64
# Sanity limits: a real shared object has a dozen program headers and a dynamic section of a
# few hundred entries; anything far larger is a corrupt or hostile file, not evidence.
_MAX_PHNUM = 4096
_MAX_DYNAMIC_BYTES = 1 << 20
_MAX_STRING = 4096


class ElfError(ValueError):
    """The bytes are not a readable ELF object; the message says why in a few words."""


@dataclass(frozen=True)
class ElfInfo:
    """What the dynamic loader looks at before it maps an object."""

    elf_class: int  # 32 or 64
    byte_order: str  # "little" or "big"
    machine: int  # e_machine
    elf_type: int = 3  # e_type: 2 executable, 3 shared object
    flags: int = 0  # e_flags (float ABI on ARM, RISC-V, LoongArch)
    soname: str = ""
    needed: tuple[str, ...] = ()
    rpath: tuple[str, ...] = ()
    runpath: tuple[str, ...] = ()

    @property
    def arch(self) -> str:
        """The `uname -m` name of the architecture this object is built for."""
        return arch_name(self.elf_class, self.byte_order, self.machine)

    def describe(self) -> str:
        order = "LSB" if self.byte_order == "little" else "MSB"
        return f"ELF {self.elf_class}-bit {order} {self.arch}"

    def same_abi(self, other: ElfInfo) -> bool:
        """Whether the loader would accept one in a process made of the other."""
        return (self.elf_class, self.byte_order, self.machine) == (
            other.elf_class,
            other.byte_order,
            other.machine,
        )


def arch_name(elf_class: int, byte_order: str, machine: int) -> str:
    bits64 = elf_class == 64
    little = byte_order == "little"
    names = {
        EM_X86_64: "x86_64" if bits64 else "x32",
        EM_386: "i386",
        EM_AARCH64: "aarch64",
        EM_ARM: "arm",
        EM_PPC64: "ppc64le" if little else "ppc64",
        EM_PPC: "ppc",
        EM_S390: "s390x" if bits64 else "s390",
        EM_RISCV: "riscv64" if bits64 else "riscv32",
        EM_LOONGARCH: "loongarch64" if bits64 else "loongarch32",
        EM_MIPS: ("mips64" if bits64 else "mips") + ("el" if little else ""),
        EM_SPARCV9: "sparc64",
        EM_IA_64: "ia64",
    }
    return names.get(machine, f"e_machine {machine}")


#: `uname -m` -> (ELF class, byte order, e_machine) of the native ABI of that machine.
_NATIVE: dict[str, tuple[int, str, int]] = {
    "x86_64": (64, "little", EM_X86_64),
    "aarch64": (64, "little", EM_AARCH64),
    "i386": (32, "little", EM_386),
    "ppc64le": (64, "little", EM_PPC64),
    "ppc64": (64, "big", EM_PPC64),
    "s390x": (64, "big", EM_S390),
    "riscv64": (64, "little", EM_RISCV),
    "loongarch64": (64, "little", EM_LOONGARCH),
    "arm": (32, "little", EM_ARM),
}
_ALIASES = {"amd64": "x86_64", "arm64": "aarch64", "i486": "i386", "i586": "i386", "i686": "i386"}


def native_abi(machine: str) -> ElfInfo | None:
    """The ELF identity of programs native to a machine (`platform.machine()`), if known."""
    name = machine.lower()
    name = _ALIASES.get(name, "arm" if name.startswith("armv") else name)
    found = _NATIVE.get(name)
    if found is None:
        return None
    return ElfInfo(found[0], found[1], found[2])


def parse_elf_bytes(data: bytes) -> ElfInfo:
    return parse_elf(lambda offset, size: data[offset : offset + size])


def parse_elf(read: ReadAt) -> ElfInfo:
    """Parse an ELF object through `read`; raises ElfError for anything that is not one."""
    ident = read(0, 64)
    if len(ident) < 16 or ident[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    elf_class, data = ident[4], ident[5]
    if elf_class not in (ELFCLASS32, ELFCLASS64):
        raise ElfError(f"unknown ELF class {elf_class}")
    if data not in (ELFDATA2LSB, ELFDATA2MSB):
        raise ElfError(f"unknown ELF byte order {data}")
    bits64 = elf_class == ELFCLASS64
    end = "<" if data == ELFDATA2LSB else ">"
    layout = end + ("HHIQQQIHHHHHH" if bits64 else "HHIIIIIHHHHHH")
    if len(ident) < 16 + struct.calcsize(layout):
        raise ElfError("truncated ELF header")
    (e_type, e_machine, _, _, e_phoff, e_shoff, e_flags, _, e_phentsize, e_phnum, _, _, _) = (
        struct.unpack_from(layout, ident, 16)
    )
    info = ElfInfo(
        64 if bits64 else 32,
        "little" if data == ELFDATA2LSB else "big",
        e_machine,
        e_type,
        e_flags,
    )
    file = _File(read, end, bits64)
    if e_phnum == PN_XNUM:
        e_phnum = _section0_info(file, e_shoff)
    if e_phoff == 0 or e_phnum == 0:
        return info  # a relocatable object: nothing for the dynamic loader
    segments = _program_headers(file, phoff=e_phoff, phnum=e_phnum, phentsize=e_phentsize)
    dynamic = next(((off, size) for kind, off, _, size in segments if kind == PT_DYNAMIC), None)
    if dynamic is None:
        return info  # statically linked
    loads = [(vaddr, off, size) for kind, off, vaddr, size in segments if kind == PT_LOAD]
    return _dynamic(file, info, dynamic=dynamic, loads=loads)


@dataclass(frozen=True)
class _File:
    """How to read this ELF object: its reader, byte order (a struct prefix) and class."""

    read: ReadAt
    end: str
    bits64: bool


def _section0_info(file: _File, e_shoff: int) -> int:
    # NOTE: sh_info sits at byte 44 of a 64-bit section header and byte 28 of a 32-bit one.
    where = e_shoff + (44 if file.bits64 else 28)
    raw = file.read(where, 4)
    if e_shoff == 0 or len(raw) < 4:
        raise ElfError("e_phnum is PN_XNUM but there is no section header 0")
    count: int = struct.unpack(file.end + "I", raw)[0]
    return count


def _program_headers(
    file: _File, *, phoff: int, phnum: int, phentsize: int
) -> list[tuple[int, int, int, int]]:
    """(p_type, p_offset, p_vaddr, p_filesz) of every program header."""
    layout = file.end + ("IIQQQQQQ" if file.bits64 else "IIIIIIII")
    size = struct.calcsize(layout)
    if phnum > _MAX_PHNUM or phentsize < size:
        raise ElfError(f"implausible program header table ({phnum} x {phentsize} bytes)")
    table = file.read(phoff, phnum * phentsize)
    if len(table) < phnum * phentsize:
        raise ElfError("truncated program header table")
    segments = []
    for index in range(phnum):
        fields = struct.unpack_from(layout, table, index * phentsize)
        if file.bits64:
            p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = fields
        else:
            p_type, p_offset, p_vaddr, _, p_filesz, _, _, _ = fields
        segments.append((p_type, p_offset, p_vaddr, p_filesz))
    return segments


def _dynamic(
    file: _File,
    info: ElfInfo,
    *,
    dynamic: tuple[int, int],
    loads: list[tuple[int, int, int]],
) -> ElfInfo:
    needed, values = _dynamic_entries(file, dynamic)
    names = (DT_SONAME, DT_RPATH, DT_RUNPATH)
    if not needed and not any(tag in values for tag in names):
        return info
    if DT_STRTAB not in values:
        raise ElfError("dynamic section has names but no string table")
    strings = _Strings(file.read, _file_offset(values[DT_STRTAB], loads), values.get(DT_STRSZ))

    def paths(tag: int) -> tuple[str, ...]:
        if tag not in values:
            return ()
        return tuple(part for part in strings.at(values[tag]).split(":") if part)

    return ElfInfo(
        info.elf_class,
        info.byte_order,
        info.machine,
        info.elf_type,
        info.flags,
        soname=strings.at(values[DT_SONAME]) if DT_SONAME in values else "",
        needed=tuple(strings.at(index) for index in needed),
        rpath=paths(DT_RPATH),
        runpath=paths(DT_RUNPATH),
    )


def _dynamic_entries(file: _File, dynamic: tuple[int, int]) -> tuple[list[int], dict[int, int]]:
    """The DT_NEEDED string indexes, and the first value of each other tag read, up to DT_NULL."""
    offset, size = dynamic
    raw = file.read(offset, min(size, _MAX_DYNAMIC_BYTES))
    layout = file.end + ("qQ" if file.bits64 else "iI")
    step = struct.calcsize(layout)
    needed: list[int] = []
    values: dict[int, int] = {}
    for position in range(0, len(raw) - step + 1, step):
        tag, value = struct.unpack_from(layout, raw, position)
        if tag == DT_NULL:
            break
        if tag == DT_NEEDED:
            needed.append(value)
        elif tag in (DT_STRTAB, DT_STRSZ, DT_SONAME, DT_RPATH, DT_RUNPATH):
            values.setdefault(tag, value)
    return needed, values


@dataclass(frozen=True)
class _Strings:
    """The dynamic string table: at file offset `table`, `limit` bytes long if DT_STRSZ says."""

    read: ReadAt
    table: int
    limit: int | None

    def at(self, index: int) -> str:
        """The NUL-terminated string at `index`, read 256 bytes at a time."""
        if self.limit is not None and index >= self.limit:
            raise ElfError(f"string index {index} outside the string table")
        chunk = b""
        while len(chunk) < _MAX_STRING:
            part = self.read(self.table + index + len(chunk), 256)
            if not part:
                raise ElfError("truncated string table")
            cut = part.find(b"\0")
            if cut >= 0:
                return (chunk + part[:cut]).decode("utf-8", errors="replace")
            chunk += part
        raise ElfError("unterminated string in the string table")


def _file_offset(address: int, loads: list[tuple[int, int, int]]) -> int:
    """The file offset of a virtual address, through the PT_LOAD segment that maps it."""
    for vaddr, offset, filesz in loads:
        if vaddr <= address < vaddr + filesz:
            return address - vaddr + offset
    raise ElfError(f"address {address:#x} is in no loaded segment")


def find_section(read: ReadAt, name: str) -> tuple[int, int] | None:
    """(file offset, size) of the section called `name`, None when there is none.

    Reads the section header table and the section-name string table (gABI "Sections"),
    a few reads whatever the object's size.
    """
    ident = read(0, 64)
    if len(ident) < 64 or ident[:4] != b"\x7fELF" or ident[4] not in (1, 2):
        raise ElfError("not an ELF file")
    bits64 = ident[4] == ELFCLASS64
    end = "<" if ident[5] == ELFDATA2LSB else ">"
    if bits64:
        e_shoff, e_shentsize, e_shnum, e_shstrndx = struct.unpack_from(end + "Q", ident, 40) + (
            struct.unpack_from(end + "HHH", ident, 58)
        )
    else:
        e_shoff, e_shentsize, e_shnum, e_shstrndx = struct.unpack_from(end + "I", ident, 32) + (
            struct.unpack_from(end + "HHH", ident, 46)
        )
    layout = end + ("IIQQQQIIQQ" if bits64 else "IIIIIIIIII")
    if e_shoff == 0 or e_shnum == 0:
        return None
    if (
        e_shentsize < struct.calcsize(layout)
        or e_shnum * e_shentsize > _MAX_SECTION_TABLE
        or e_shstrndx >= e_shnum
    ):
        raise ElfError(f"implausible section header table ({e_shnum} x {e_shentsize} bytes)")
    table = read(e_shoff, e_shnum * e_shentsize)
    if len(table) < e_shnum * e_shentsize:
        raise ElfError("truncated section header table")

    def header(index: int) -> tuple[int, int, int]:
        fields = struct.unpack_from(layout, table, index * e_shentsize)
        return fields[0], fields[4], fields[5]  # sh_name, sh_offset, sh_size

    _, names_offset, names_size = header(e_shstrndx)
    names = read(names_offset, min(names_size, _MAX_DYNAMIC_BYTES))
    wanted = name.encode()
    for index in range(e_shnum):
        sh_name, offset, size = header(index)
        if names[sh_name : sh_name + len(wanted) + 1] == wanted + b"\0":
            return offset, size
    return None
