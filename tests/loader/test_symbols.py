"""The dynamic-symbol reader on objects g++ builds here (tests/fake_torch.py), cross-checked
with binutils' `nm -D` and with the real dynamic loader (`ctypes.CDLL(..., RTLD_NOW)`), on a
real libtorch where one is installed (a manual figure, not CI's), and on damaged bytes."""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.loader.elf import ElfError, find_section
from chipdoctor.loader.symbols import (
    SymbolError,
    Unresolved,
    cxx11_marked,
    defined_symbols,
    gnu_hash,
    is_torch_symbol,
    needed_torch_symbols,
    old_abi_marked,
    unresolved,
)
from tests import fake_torch
from tests.fake_torch import ABSENT, OLD_NAME, SECRET, Built


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return fake_torch.build(tmp_path_factory.mktemp("fake-torch"))


def _reader(path: Path):  # type: ignore[no-untyped-def]
    data = path.read_bytes()
    return lambda offset, size: data[offset : offset + size]


def _nm(*args: str) -> list[tuple[str, str]]:
    tool = shutil.which("nm")
    if tool is None:
        pytest.skip("nm is not installed (binutils; .ci/run installs it)")
    out = subprocess.run([tool, "-D", *args], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()]
    return [(row[-2], row[-1]) for row in rows if len(row) >= 2]


@pytest.mark.parametrize(
    ("name", "torch"),
    [
        ("_ZN3c104nameERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE", True),
        ("_ZNK2at6Tensor4sizeEl", True),
        ("_ZN5torch3jit6tracer9getTracerEv", True),
        ("_ZN6caffe28TypeMeta3NewEv", True),
        ("_ZTIN3c105ErrorE", True),  # typeinfo
        ("_ZTVN3c1010TensorImplE", True),  # vtable
        ("_ZThn16_N3c1010TensorImplD0Ev", True),  # thunk
        ("_ZGVZN3c1019UndefinedTensorImpl9singletonEvE1x", True),  # guard variable
        ("_ZN3c104impl3cow11cow_deleterEPv", True),
        ("_ZN7c10_npu3fooEv", False),  # another namespace
        ("_ZN3atx3fooEv", False),  # `atx`, not `at`
        ("_ZN12atomic_thing3fooEv", False),
        ("_ZNSt6vectorIN2at6TensorESaIS1_EED1Ev", False),  # std:: over torch types
        ("_ZN8pybind116detail4castEv", False),
        ("PyInit__C", False),
        ("_Z16THPVariable_WrapN2at10TensorBaseE", False),  # global namespace
    ],
)
def test_which_names_are_torchs(name: str, torch: bool) -> None:
    assert is_torch_symbol(name) is torch


def test_abi_marks() -> None:
    assert cxx11_marked(
        "_ZN3c105ErrorC2ENS_14SourceLocationENSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE"
    )
    assert cxx11_marked("_ZNK3c106Device3strB5cxx11Ev")
    assert old_abi_marked(OLD_NAME) and not cxx11_marked(OLD_NAME)
    assert not old_abi_marked("_ZN3c106absentEi")


def test_gnu_hash_of_known_names() -> None:
    # The values of the ELF GNU hash example in glibc's dl-hash.h test and binutils.
    assert gnu_hash(b"") == 5381
    assert gnu_hash(b"printf") == 0x156B2BB8
    assert gnu_hash(b"exit") == 0x7C967E3F


def test_needed_symbols_match_nm(built: Built) -> None:
    for name, path in built.extensions.items():
        strong = [sym for kind, sym in _nm("--undefined-only", str(path)) if kind == "U"]
        expected = [sym for sym in strong if is_torch_symbol(sym)]
        assert sorted(needed_torch_symbols(_reader(path))) == sorted(expected), name
    assert ABSENT in needed_torch_symbols(_reader(built.extensions["ext_missing"]))
    assert OLD_NAME in needed_torch_symbols(_reader(built.extensions["ext_old_abi"]))


def test_defined_symbols_match_nm(built: Built) -> None:
    library = built.torch_lib / "libc10.so"
    exported = {sym for kind, sym in _nm("--defined-only", str(library)) if kind in "TWVDBRui"}
    asked = sorted(exported | {ABSENT, OLD_NAME, SECRET, "_ZN3c10nope"})
    assert defined_symbols(_reader(library), asked) == frozenset(exported)
    assert SECRET not in exported  # hidden: not in .dynsym at all


def _loads(path: Path, library_dir: Path) -> str:
    """What the real loader says: "ok", or the "undefined symbol: X" of its error."""
    code = (
        "import ctypes, os, sys\n"
        "try:\n"
        "    ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW)\n"
        "    print('ok')\n"
        "except OSError as exc:\n"
        "    print(str(exc).rsplit('undefined symbol: ', 1)[-1])\n"
    )
    env = {**os.environ, "LD_LIBRARY_PATH": str(library_dir)}
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env, check=True
    )
    return result.stdout.strip()


@pytest.mark.parametrize("torch", ["new", "old"])
def test_the_real_loader_fails_exactly_where_the_reader_says(built: Built, torch: str) -> None:
    library_dir = built.torch_lib if torch == "new" else built.old_torch_lib
    c10 = _reader(library_dir / "libc10.so")
    for name, path in built.extensions.items():
        needed = needed_torch_symbols(_reader(path))
        missing = set(needed) - defined_symbols(c10, needed)
        said = _loads(path, library_dir)
        if missing:
            assert said in missing, name
        else:
            assert said == "ok", name
    flagged = {
        name
        for name, path in built.extensions.items()
        if set(needed_torch_symbols(_reader(path)))
        - defined_symbols(c10, needed_torch_symbols(_reader(path)))
    }
    expected = {"ext_missing", "ext_old_abi", "ext_hidden"} | (
        {"ext_new"} if torch == "old" else set()
    )
    assert flagged == expected


def test_aarch64_objects(tmp_path: Path) -> None:
    """An aarch64 library (C, the mangled names as asm labels) reads as an x86_64 one does."""
    compiler = shutil.which("aarch64-linux-gnu-gcc")
    if compiler is None:
        pytest.skip("no cross compiler for aarch64 (apt-get install gcc-aarch64-linux-gnu)")
    source = tmp_path / "a.c"
    source.write_text(
        'extern int need(int) __asm__("_ZN3c104needEi");\n'
        'int give(int x) __asm__("_ZN3c104giveEi");\n'
        "int give(int x) { return need(x); }\n"
    )
    out = tmp_path / "liba.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(out), str(source)], check=True)
    read = _reader(out)
    assert needed_torch_symbols(read) == ("_ZN3c104needEi",)
    assert defined_symbols(read, ["_ZN3c104giveEi", "_ZN3c104needEi"]) == {"_ZN3c104giveEi"}


def test_other_classes_and_byte_orders_cannot_tell(tmp_path: Path) -> None:
    compiler = shutil.which("i686-linux-gnu-gcc")
    if compiler is None:
        pytest.skip("no cross compiler for i686 (apt-get install gcc-i686-linux-gnu)")
    source = tmp_path / "a.c"
    source.write_text("int f(int x) { return x; }\n")
    out = tmp_path / "lib32.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(out), str(source)], check=True)
    with pytest.raises(SymbolError, match="64-bit little-endian"):
        needed_torch_symbols(_reader(out))


def test_many_symbols_through_long_hash_chains(tmp_path: Path) -> None:
    """3000 exported functions: every one is found, and names that are not are not."""
    names = [f"f{i}" for i in range(3000)]
    source = (
        "namespace c10 {\n"
        + "".join(f"int {n}() {{ return {i}; }}\n" for i, n in enumerate(names))
        + "}\n"
    )
    (tmp_path / "big.cpp").write_text(source)
    out = tmp_path / "libbig.so"
    subprocess.run(
        [fake_torch.gxx(), "-shared", "-fPIC", "-o", str(out), str(tmp_path / "big.cpp")],
        check=True,
    )
    mangled = [f"_ZN3c10{len(n)}{n}Ev" for n in names]
    absent = [f"_ZN3c10{len(n) + 1}{n}xEv" for n in names[:500]]
    assert defined_symbols(_reader(out), mangled + absent) == frozenset(mangled)


def _gnu_hash_at(data: bytes) -> tuple[int, int]:
    found = find_section(lambda o, s: data[o : o + s], ".gnu.hash")
    assert found is not None
    return found


def test_hostile_tables_cannot_tell(built: Built) -> None:
    data = bytearray((built.torch_lib / "libc10.so").read_bytes())
    offset, size = _gnu_hash_at(bytes(data))
    nbuckets, symoffset, bloom, _ = struct.unpack_from("<IIII", data, offset)
    name = ["_ZN3c105touchEi"]
    # A chain without an end bit, every bloom bit set: the walk stops at the table's end.
    looped = bytearray(data)
    chains = offset + 16 + bloom * 8 + nbuckets * 4
    for at in range(chains, offset + size, 4):
        struct.pack_into("<I", looped, at, 0xFFFFFFFE)
    for at in range(offset + 16, offset + 16 + bloom * 8, 8):
        struct.pack_into("<Q", looped, at, (1 << 64) - 1)
    with pytest.raises(SymbolError):
        defined_symbols(lambda o, s: bytes(looped[o : o + s]), ["_ZN3c10nothereEv"] * 1 + name)
    # Huge counts.
    huge = bytearray(data)
    struct.pack_into("<II", huge, offset, 0xFFFFFFFF, symoffset)
    with pytest.raises(SymbolError):
        defined_symbols(lambda o, s: bytes(huge[o : o + s]), name)
    # A bucket pointing before the hashed symbols.
    early = bytearray(data)
    for at in range(offset + 16 + bloom * 8, chains, 4):
        struct.pack_into("<I", early, at, 0 if symoffset <= 1 else 1)
    for at in range(offset + 16, offset + 16 + bloom * 8, 8):
        struct.pack_into("<Q", early, at, (1 << 64) - 1)
    if symoffset > 1:
        with pytest.raises(SymbolError):
            defined_symbols(lambda o, s: bytes(early[o : o + s]), name)
    # Truncated anywhere.
    for cut in (10, 100, len(data) // 2, len(data) - 10):
        short = bytes(data[:cut])

        def read(offset: int, size: int, short: bytes = short) -> bytes:
            return short[offset : offset + size]

        try:
            needed_torch_symbols(read)
            defined_symbols(read, name)
        except (ElfError, SymbolError):
            pass


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 64))
def test_damaged_objects_never_crash(built: Built, seed: int, flips: int) -> None:
    """Random bytes changed anywhere in a real library: an answer or "cannot tell", in bounded
    time; never another exception."""
    data = bytearray((built.extensions["ext_missing"]).read_bytes())
    rng = random.Random(seed)
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    frozen = bytes(data)

    def read(offset: int, size: int) -> bytes:
        assert size <= 1 << 26, "an unbounded read"
        return frozen[offset : offset + size]

    try:
        needed = needed_torch_symbols(read)
        defined_symbols(read, needed[:50])
    except (ElfError, SymbolError):
        pass


def test_a_real_libtorch_when_one_is_installed() -> None:
    """The CPU torch of the benchmark venv, where this machine has one: every torch symbol
    libtorch_python.so needs is defined by torch's other libraries (it loads)."""
    lib = Path("/tmp/chipdoctor-ci-torch/lib/python3.11/site-packages/torch/lib")
    if not (lib / "libtorch_cpu.so").is_file():
        pytest.skip("no CPU torch venv here (benchmarks/ measures it in CI)")

    from chipdoctor.evidence.fsfacts import defined_symbols_of, needed_symbols_of

    needed = needed_symbols_of(lib / "libtorch_python.so", "libtorch_python.so")
    assert needed
    left = set(needed)
    for name in ("libc10.so", "libtorch_cpu.so", "libtorch.so"):
        left -= defined_symbols_of(lib / name, name, tuple(sorted(left))) or frozenset()
    assert needed and not left


def test_what_stays_unresolved_is_summed_up() -> None:
    needed = (*(f"_ZN3c101f{i}Ev" for i in range(40)), OLD_NAME)
    found = unresolved(needed, set(needed[5:]))
    assert found.count == 36 and found.first == needed[5:21] and found.abi == "old"
    cxx11 = "_ZNK3c106Device3strB5cxx11Ev"
    assert unresolved((cxx11, OLD_NAME), {cxx11, OLD_NAME}).abi == "cxx11"
    assert unresolved((cxx11,), set()) == Unresolved(0, ())


@pytest.mark.parametrize("field", ["e_shoff", ".dynsym", ".dynstr", ".gnu.hash"])
def test_offsets_past_any_file_cannot_tell(built: Built, tmp_path: Path, field: str) -> None:
    """An offset of 2**64 - 1 (a u64 the object may hold) read from a real file: "cannot
    tell", not the ValueError a seek that far raises."""
    from chipdoctor.evidence.base import UnreadableError
    from chipdoctor.evidence.fsfacts import defined_symbols_of, needed_symbols_of

    data = bytearray((built.torch_lib / "libc10.so").read_bytes())
    if field == "e_shoff":
        struct.pack_into("<Q", data, 40, (1 << 64) - 1)
    else:
        (shoff,) = struct.unpack_from("<Q", data, 40)
        entsize, count = struct.unpack_from("<HH", data, 58)
        at = find_section(lambda o, s: bytes(data[o : o + s]), field)
        assert at is not None
        index = next(
            i
            for i in range(count)
            if struct.unpack_from("<Q", data, shoff + i * entsize + 24)[0] == at[0]
        )
        struct.pack_into("<Q", data, shoff + index * entsize + 24, (1 << 64) - 1)
    path = tmp_path / "libc10.so"
    path.write_bytes(data)
    with pytest.raises(UnreadableError):
        defined_symbols_of(path, "libc10.so", ("_ZN3c105touchEi",))
    if field != ".gnu.hash":
        with pytest.raises(UnreadableError):
            needed_symbols_of(path, "libc10.so")


def _patched(data: bytes, name: str, **fields: int) -> bytes:
    """`data` with the fields of dynamic symbol `name` (info, shndx, value) set."""
    read = lambda o, s: data[o : o + s]  # noqa: E731
    symbols, strings = find_section(read, ".dynsym"), find_section(read, ".dynstr")
    assert symbols is not None and strings is not None
    out = bytearray(data)
    for at in range(symbols[0], symbols[0] + symbols[1], 24):
        st_name = struct.unpack_from("<I", data, at)[0]
        start = strings[0] + st_name
        if data[start : data.index(b"\0", start)] == name.encode():
            for field, offset, form in (("info", 4, "<B"), ("shndx", 6, "<H"), ("value", 8, "<Q")):
                if field in fields:
                    struct.pack_into(form, out, at + offset, fields[field])
            return bytes(out)
    raise AssertionError(f"{name} not in .dynsym")


@pytest.mark.parametrize(
    ("fields", "defined"),
    [
        ({}, True),
        ({"value": 0}, False),  # no value: glibc's check_match skips it
        ({"value": 0, "shndx": 0xFFF1}, True),  # an absolute symbol may be 0
        ({"info": (1 << 4) | 3}, False),  # STT_SECTION: no definition
        ({"info": (0 << 4) | 2}, False),  # STB_LOCAL
        ({"info": (2 << 4) | 2}, True),  # STB_WEAK
        ({"shndx": 0}, False),  # undefined
    ],
)
def test_which_entries_define_a_name(
    built: Built, tmp_path: Path, fields: dict[str, int], defined: bool
) -> None:
    """The reader and the real loader (loading ext_ok, which calls it) agree."""
    name = "_ZN3c105touchEi"
    data = _patched((built.torch_lib / "libc10.so").read_bytes(), name, **fields)
    found = defined_symbols(lambda o, s: data[o : o + s], [name])
    assert (name in found) is defined
    (tmp_path / "libc10.so").write_bytes(data)
    assert _loads(built.extensions["ext_ok"], tmp_path) == ("ok" if defined else name)


def test_a_bloom_filter_not_a_power_of_two_cannot_tell(built: Built) -> None:
    data = bytearray((built.torch_lib / "libc10.so").read_bytes())
    offset, _ = _gnu_hash_at(bytes(data))
    struct.pack_into("<I", data, offset + 8, 3)
    with pytest.raises(SymbolError, match="implausible"):
        defined_symbols(lambda o, s: bytes(data[o : o + s]), ["_ZN3c105touchEi"])


def test_chain_walks_are_bounded_in_all(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every bucket sent down one chain that ends only at the table's last symbol: each
    lookup stays under the per-chain bound, the walks of many names together do not."""
    from chipdoctor.loader import symbols

    data = bytearray((built.torch_lib / "libc10.so").read_bytes())
    offset, size = _gnu_hash_at(bytes(data))
    nbuckets, symoffset, bloom, _ = struct.unpack_from("<IIII", data, offset)
    chains = offset + 16 + bloom * 8 + nbuckets * 4
    for at in range(offset + 16, offset + 16 + bloom * 8, 8):
        struct.pack_into("<Q", data, at, (1 << 64) - 1)
    for at in range(offset + 16 + bloom * 8, chains, 4):
        struct.pack_into("<I", data, at, symoffset)
    for at in range(chains, offset + size - 4, 4):
        struct.pack_into("<I", data, at, 0)
    struct.pack_into("<I", data, offset + size - 4, 1)
    length = (size - (chains - offset)) // 4
    names = [f"_ZN3c10{len(str(i)) + 1}x{i}Ev" for i in range(40)]
    frozen = bytes(data)
    monkeypatch.setattr(symbols, "_MAX_STEPS", length * 10)
    assert defined_symbols(lambda o, s: frozen[o : o + s], names[:5]) == frozenset()
    with pytest.raises(SymbolError, match="in all"):
        defined_symbols(lambda o, s: frozen[o : o + s], names)


def test_a_name_that_is_not_utf8_is_not_claimed(built: Built) -> None:
    """Bytes no lookup could match (a U+FFFD stand-in would be "missing" everywhere)."""
    data = (built.extensions["ext_missing"]).read_bytes()
    assert ABSENT.encode() + b"\0" in data  # in .dynstr (and .strtab)
    broken = data.replace(ABSENT.encode() + b"\0", b"_ZN3c106\xffbsentEi\0")
    needed = needed_torch_symbols(lambda o, s: broken[o : o + s])
    assert needed and all("\ufffd" not in name and "bsent" not in name for name in needed)


def test_needed_names_are_bounded_in_bytes(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries may share one 64 KiB name: the bytes kept are bounded, not only the count."""
    from chipdoctor.loader import symbols

    data = built.extensions["ext_missing"].read_bytes()
    read = lambda o, s: data[o : o + s]  # noqa: E731
    size = sum(map(len, needed_torch_symbols(read)))
    monkeypatch.setattr(symbols, "MAX_NEEDED_BYTES", size)
    assert needed_torch_symbols(read)
    monkeypatch.setattr(symbols, "MAX_NEEDED_BYTES", size - 1)
    with pytest.raises(SymbolError, match="too long"):
        needed_torch_symbols(read)


@pytest.mark.parametrize(("at", "value"), [(4, 1), (5, 2), (18, 3)])
def test_other_classes_byte_orders_and_machines_are_refused(
    built: Built, at: int, value: int
) -> None:
    """ELFCLASS32, ELFDATA2MSB, EM_386 in a real library's header: refused, never misread."""
    data = bytearray((built.torch_lib / "libc10.so").read_bytes())
    data[at] = value
    read = lambda o, s: bytes(data[o : o + s])  # noqa: E731
    with pytest.raises(SymbolError, match="64-bit little-endian"):
        needed_torch_symbols(read)
    with pytest.raises(SymbolError, match="64-bit little-endian"):
        defined_symbols(read, ["_ZN3c105touchEi"])


def test_an_object_without_a_gnu_hash_table(built: Built, tmp_path: Path) -> None:
    """libc10.so linked with --hash-style=sysv (no .gnu.hash): read through its whole table,
    the same answer as nm and as the GNU-hash build."""
    out = tmp_path / "libc10.so"
    source = tmp_path / "c10.cpp"
    source.write_text(fake_torch.C10)
    subprocess.run(
        [
            fake_torch.gxx(),
            "-shared",
            "-fPIC",
            "-Wl,--hash-style=sysv",
            "-o",
            str(out),
            str(source),
        ],
        check=True,
    )
    data = out.read_bytes()
    read = lambda o, s: data[o : o + s]  # noqa: E731
    assert find_section(read, ".gnu.hash") is None
    exported = {sym for kind, sym in _nm("--defined-only", str(out)) if kind in "TWVDBRui"}
    asked = sorted(exported | {ABSENT, OLD_NAME, SECRET, "_ZN3c10nope"})
    assert defined_symbols(read, asked) == frozenset(exported)
    hashed = _reader(built.torch_lib / "libc10.so")
    assert defined_symbols(hashed, asked) == defined_symbols(read, asked)
