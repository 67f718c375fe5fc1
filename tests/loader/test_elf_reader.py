"""The ELF reader on objects built by real compilers, on hand-assembled headers, and on garbage."""

from __future__ import annotations

import contextlib
import re
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.evidence.base import UnreadableError
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.loader.elf import (
    EM_386,
    EM_AARCH64,
    EM_S390,
    EM_X86_64,
    ElfError,
    native_abi,
    parse_elf_bytes,
)
from tests.access_trees import SearchPaths, build_object, compiler


def _needs(arch: str) -> None:
    if compiler(arch) is None:
        pytest.skip(f"no compiler for {arch} (apt-get install gcc-{arch}-linux-gnu)")


def _readelf(path: Path) -> dict[str, list[str]]:
    """NEEDED, SONAME, RUNPATH, RPATH as binutils' readelf prints them."""
    argv = ["readelf", "-dW", str(path)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    found: dict[str, list[str]] = {}
    for tag, value in re.findall(r"\((NEEDED|SONAME|RUNPATH|RPATH)\)\s+[^\[]*\[(.*)\]", out):
        found.setdefault(tag, []).append(value)
    return found


@pytest.mark.parametrize(
    ("runpath", "rpath"),
    [((), ()), (("$ORIGIN/../lib", "/opt/vendor/lib64"), ()), ((), ("$ORIGIN",))],
    ids=["no-path", "runpath", "rpath"],
)
def test_dynamic_section_of_a_compiled_object(
    tmp_path: Path, runpath: tuple[str, ...], rpath: tuple[str, ...]
) -> None:
    _needs("x86_64")
    path = build_object(
        tmp_path / "libext.so",
        "x86_64",
        soname="libext.so.1",
        needed=["libascendcl.so", "libhccl.so"],
        paths=SearchPaths(runpath=runpath, rpath=rpath),
    )
    info = parse_elf_bytes(path.read_bytes())
    assert (info.elf_class, info.byte_order, info.machine) == (64, "little", EM_X86_64)
    assert info.soname == "libext.so.1"
    assert info.needed == ("libascendcl.so", "libhccl.so")
    assert info.runpath == runpath
    assert info.rpath == rpath
    readelf = _readelf(path)
    assert readelf["NEEDED"] == list(info.needed)
    assert readelf.get("RUNPATH", []) == ([":".join(runpath)] if runpath else [])
    assert readelf.get("RPATH", []) == ([":".join(rpath)] if rpath else [])


def test_matches_readelf_on_this_machines_libraries() -> None:
    checked = 0
    for path in sorted(Path("/usr/lib/x86_64-linux-gnu").glob("lib*.so.*"))[:150]:
        try:
            info = HostEvidence(env={}).elf(str(path))
        except UnreadableError:
            continue
        assert info is not None
        readelf = _readelf(path)
        assert list(info.needed) == readelf.get("NEEDED", []), path
        assert [info.soname] == readelf.get("SONAME", [""]) or not info.soname, path
        checked += 1
    if checked == 0:
        pytest.skip("no x86_64 system libraries here")


@pytest.mark.parametrize(
    ("arch", "expected"),
    [
        ("aarch64", (64, "little", EM_AARCH64, "aarch64")),
        ("i386", (32, "little", EM_386, "i386")),
        ("s390x", (64, "big", EM_S390, "s390x")),
    ],
)
def test_foreign_architectures(
    tmp_path: Path, arch: str, expected: tuple[int, str, int, str]
) -> None:
    _needs(arch)
    path = build_object(
        tmp_path / "libx.so",
        arch,
        soname="libx.so",
        needed=["libdep.so"],
        paths=SearchPaths(runpath=["$ORIGIN"]),
    )
    info = parse_elf_bytes(path.read_bytes())
    assert (info.elf_class, info.byte_order, info.machine, info.arch) == expected
    assert info.needed == ("libdep.so",)
    assert info.runpath == ("$ORIGIN",)
    assert not info.same_abi(native_abi("x86_64") or info)


def _hand_made(*, bits64: bool, big: bool, phnum_xnum: bool = False) -> bytes:
    """An ELF shared object assembled byte by byte: header, PT_LOAD + PT_DYNAMIC, .dynstr."""
    end = ">" if big else "<"
    ehsize, phentsize, shentsize = (64, 56, 64) if bits64 else (52, 32, 40)
    strings = b"\0libfoo.so.2\0libc.so.6\0/opt/lib:$ORIGIN\0"
    dyn_entry = (end + "qQ") if bits64 else (end + "iI")
    dynamic = b"".join(
        struct.pack(dyn_entry, tag, value)
        for tag, value in ((1, 1), (1, 13), (29, 23), (5, 0x1000), (10, len(strings)), (0, 0))
    )
    phoff = ehsize
    phnum = 2
    shoff = phoff + phnum * phentsize
    data_off = shoff + (shentsize if phnum_xnum else 0)
    str_off = data_off
    dyn_off = str_off + len(strings)
    if bits64:
        phdr = end + "IIQQQQQQ"
        load = struct.pack(phdr, 1, 5, str_off, 0x1000, 0x1000, len(strings), len(strings), 8)
        dyn = struct.pack(phdr, 2, 6, dyn_off, 0x2000, 0x2000, len(dynamic), len(dynamic), 8)
    else:
        phdr = end + "IIIIIIII"
        load = struct.pack(phdr, 1, str_off, 0x1000, 0x1000, len(strings), len(strings), 5, 8)
        dyn = struct.pack(phdr, 2, dyn_off, 0x2000, 0x2000, len(dynamic), len(dynamic), 6, 8)
    ident = b"\x7fELF" + bytes([2 if bits64 else 1, 2 if big else 1, 1]) + bytes(9)
    fields = end + ("HHIQQQIHHHHHH" if bits64 else "HHIIIIIHHHHHH")
    header = ident + struct.pack(
        fields,
        3,
        EM_X86_64 if bits64 else EM_386,
        1,
        0,
        phoff,
        shoff if phnum_xnum else 0,
        0,
        ehsize,
        phentsize,
        0xFFFF if phnum_xnum else phnum,
        shentsize,
        1 if phnum_xnum else 0,
        0,
    )
    section0 = b""
    if phnum_xnum:
        layout = end + ("IIQQQQIIQQ" if bits64 else "IIIIIIIIII")
        section0 = struct.pack(layout, 0, 0, 0, 0, 0, 0, 0, phnum, 0, 0)
    return header + load + dyn + section0 + strings + dynamic


@pytest.mark.parametrize("bits64", [True, False])
@pytest.mark.parametrize("big", [False, True])
@pytest.mark.parametrize("phnum_xnum", [False, True])
def test_hand_assembled_headers(bits64: bool, big: bool, phnum_xnum: bool) -> None:
    info = parse_elf_bytes(_hand_made(bits64=bits64, big=big, phnum_xnum=phnum_xnum))
    assert info.elf_class == (64 if bits64 else 32)
    assert info.byte_order == ("big" if big else "little")
    assert info.needed == ("libfoo.so.2", "libc.so.6")
    assert info.runpath == ("/opt/lib", "$ORIGIN")
    assert info.rpath == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not an ELF file"),
        (b"!<arch>\nlibfoo.a", "not an ELF file"),
        (b"/* GNU ld script */\nGROUP ( libc.so.6 )", "not an ELF file"),
        (b"\x7fELF\x03\x01" + bytes(58), "unknown ELF class 3"),
        (b"\x7fELF\x02\x07" + bytes(58), "unknown ELF byte order 7"),
        (b"\x7fELF\x02\x01\x01" + bytes(20), "truncated ELF header"),
    ],
)
def test_what_is_not_an_elf_object(data: bytes, message: str) -> None:
    with pytest.raises(ElfError, match=message):
        parse_elf_bytes(data)


def test_truncated_and_inconsistent_objects() -> None:
    good = _hand_made(bits64=True, big=False)
    with pytest.raises(ElfError, match="truncated program header table"):
        parse_elf_bytes(good[:80])
    # DT_STRTAB pointing at an address no PT_LOAD maps.
    broken = good.replace(struct.pack("<qQ", 5, 0x1000), struct.pack("<qQ", 5, 0x9000))
    with pytest.raises(ElfError, match="in no loaded segment"):
        parse_elf_bytes(broken)
    # DT_NEEDED past the end of the string table.
    broken = good.replace(struct.pack("<qQ", 1, 13), struct.pack("<qQ", 1, 4000))
    with pytest.raises(ElfError, match="outside the string table"):
        parse_elf_bytes(broken)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=400))
def test_random_bytes_after_the_magic_never_crash(tail: bytes) -> None:
    with contextlib.suppress(ElfError):
        parse_elf_bytes(b"\x7fELF" + tail)


def test_host_evidence_elf_on_odd_files(tmp_path: Path) -> None:
    import os

    (tmp_path / "dir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "script.so").write_text("GROUP ( libc.so.6 )\n")
    host = HostEvidence(root=str(tmp_path), env={})
    assert host.elf("/missing.so") is None
    for path, reason in (
        ("/dir", "is a directory"),
        ("/fifo", "not a regular file"),
        ("/script.so", "not an ELF file"),
    ):
        with pytest.raises(UnreadableError, match=reason):
            host.elf(path)
