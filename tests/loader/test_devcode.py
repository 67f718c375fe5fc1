"""The device-code reader on objects built by nvcc and clang (tests/fixtures/devcode/make.sh),
cross-checked with NVIDIA's cuobjdump, and on damaged bytes."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.loader.devcode import DeviceCode, DeviceCodeError, read_device_code
from chipdoctor.loader.elf import ElfError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "devcode"
CUDA = sorted(FIXTURES.glob("cuda-*.so"))


def _read(path: Path) -> DeviceCode | None:
    data = path.read_bytes()
    return read_device_code(lambda offset, size: data[offset : offset + size])


def _cuobjdump_lists(text: str) -> DeviceCode:
    """cubins and PTX as `cuobjdump --list-elf --list-ptx` names them."""
    cubins = set(re.findall(r"^ELF file\s+\d+: .*\.(sm_\w+)\.cubin$", text, re.M))
    ptx = {f"compute_{a}" for a in re.findall(r"^PTX file\s+\d+: .*\.sm_(\w+)\.ptx$", text, re.M)}
    return DeviceCode(tuple(sorted(cubins)), tuple(sorted(ptx)))


def _as_sets(code: DeviceCode | None) -> tuple[set[str], set[str]]:
    assert code is not None
    return set(code.native), set(code.portable)


@pytest.mark.parametrize("path", CUDA, ids=[p.name for p in CUDA])
def test_fatbin_matches_recorded_cuobjdump(path: Path) -> None:
    recorded = path.with_name(path.name.replace(".so", ".cuobjdump.txt")).read_text()
    assert _as_sets(_read(path)) == _as_sets(_cuobjdump_lists(recorded))


def _cuobjdump() -> str | None:
    found = shutil.which("cuobjdump")
    if found:
        return found
    # The PyPI wheel puts it under site-packages/nvidia/cu13/bin, not on PATH.
    candidate = Path(sysconfig.get_paths()["purelib"]) / "nvidia" / "cu13" / "bin" / "cuobjdump"
    if candidate.exists():
        return str(candidate)
    return None


@pytest.mark.parametrize("path", CUDA, ids=[p.name for p in CUDA])
def test_fatbin_matches_cuobjdump_run_now(path: Path) -> None:
    tool = _cuobjdump()
    if tool is None:
        if os.environ.get("CI") == "true" and platform.machine() == "x86_64":
            pytest.fail("cuobjdump missing under CI: pip install nvidia-cuda-cuobjdump")
        pytest.skip("cuobjdump not installed (pip install nvidia-cuda-cuobjdump)")
    out = subprocess.run(
        [tool, "--list-elf", "--list-ptx", str(path)], check=True, capture_output=True, text=True
    ).stdout
    assert _as_sets(_read(path)) == _as_sets(_cuobjdump_lists(out))


def test_fatbin_values() -> None:
    code = _read(FIXTURES / "cuda-torch-like.so")
    assert code == DeviceCode(
        ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"), ("compute_120",)
    )
    assert _read(FIXTURES / "cuda-sm90a.so") == DeviceCode(("sm_90a",))


def test_offload_bundle_targets() -> None:
    """clang-offload-bundler's `hipv4-amdgcn-amd-amdhsa--gfx908:xnack-` names gfx908; the
    host entry is not a target."""
    code = _read(FIXTURES / "hip-gfx90a-gfx1030-gfx908.so")
    assert code == DeviceCode(("gfx1030", "gfx908", "gfx90a"))


def test_no_device_code_and_not_elf() -> None:
    assert read_device_code(_reader(Path("/bin/true").read_bytes())) is None
    with pytest.raises(ElfError):
        read_device_code(_reader(b"garbage" * 20))


def _reader(data: bytes):  # type: ignore[no-untyped-def]
    return lambda offset, size: data[offset : offset + size]


def _section(path: Path, name: str) -> tuple[int, int]:
    argv = ["readelf", "-SW", str(path)]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if f" {name} " in line:
            fields = line.split("]", 1)[1].split()
            return int(fields[3], 16), int(fields[4], 16)
    raise AssertionError(f"{name} not in {path}")


@pytest.mark.parametrize(
    ("fixture", "section"),
    [("cuda-torch-like.so", ".nv_fatbin"), ("hip-gfx90a-gfx1030-gfx908.so", ".hip_fatbin")],
)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_damaged_section_is_an_error_or_a_reading(
    fixture: str, section: str, data: st.DataObject
) -> None:
    """Any bytes of the section flipped: a DeviceCodeError, or a reading; never a crash or a
    runaway scan."""
    raw = bytearray((FIXTURES / fixture).read_bytes())
    offset, size = _section(FIXTURES / fixture, section)
    for _ in range(data.draw(st.integers(1, 8))):
        where = data.draw(st.integers(offset, offset + min(size, 512) - 1))
        raw[where] = data.draw(st.integers(0, 255))
    with contextlib.suppress(DeviceCodeError):
        read_device_code(_reader(bytes(raw)))


def test_compressed_bundle_is_reported() -> None:
    raw = bytearray((FIXTURES / "hip-gfx90a-gfx1030-gfx908.so").read_bytes())
    offset, _ = _section(FIXTURES / "hip-gfx90a-gfx1030-gfx908.so", ".hip_fatbin")
    raw[offset : offset + 4] = b"CCOB"
    with pytest.raises(DeviceCodeError, match="compressed"):
        read_device_code(_reader(bytes(raw)))


def test_bundle_header_cut_by_the_end_of_the_file() -> None:
    """A `.hip_fatbin` that starts 28 bytes before the end of the file (the magic and half its
    entry count): a DeviceCodeError, not a struct.error."""
    path = FIXTURES / "hip-gfx90a-gfx1030-gfx908.so"
    raw = bytearray(path.read_bytes())
    offset, _ = _section(path, ".hip_fatbin")
    e_shoff = int.from_bytes(raw[40:48], "little")
    e_shentsize, e_shnum = (int.from_bytes(raw[i : i + 2], "little") for i in (58, 60))
    for index in range(e_shnum):
        field = e_shoff + index * e_shentsize + 24  # sh_offset of an Elf64_Shdr
        if int.from_bytes(raw[field : field + 8], "little") == offset:
            raw[field : field + 8] = len(raw).to_bytes(8, "little")
    raw += raw[offset : offset + 28]
    with pytest.raises(DeviceCodeError, match="truncated offload bundle"):
        read_device_code(_reader(bytes(raw)))


def test_section_header_table_read_is_bounded() -> None:
    """A hostile e_shentsize and e_shnum (65535 each) are refused before the table is read,
    not read as up to 4 GiB."""
    raw = bytearray((FIXTURES / "cuda-torch-like.so").read_bytes())
    raw[58:62] = b"\xff\xff\xff\xff"  # e_shentsize, e_shnum of an ELF64 header
    asked: list[int] = []

    def read(offset: int, size: int) -> bytes:
        asked.append(size)
        return bytes(raw[offset : offset + size])

    with pytest.raises(ElfError, match="implausible section header table"):
        read_device_code(read)
    assert max(asked) <= 65536 * 64
