"""Time reading the GPU architectures of a libtorch_cuda.so-sized fatbin section (issue 12).

A PyTorch CUDA wheel's libtorch_cuda.so holds a few thousand fatbins (one per CUDA translation
unit) of about ten entries each. This builds a file with the nvcc-built fixture's `.nv_fatbin`
repeated N times behind its ELF headers (section size patched), then prints the median time
`check` spends reading it through the host evidence (headers only, seeking past payloads).

    python benchmarks/bench_devcode.py [--fatbins 3000] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import struct
import tempfile
import time
from pathlib import Path

from chipdoctor.evidence.fsfacts import device_code_of
from chipdoctor.loader.elf import find_section

FIXTURE = Path(__file__).resolve().parent.parent / "tests/fixtures/devcode/cuda-torch-like.so"


def _build(path: Path, copies: int) -> None:
    """The fixture with its .nv_fatbin section repeated `copies` times at the end of the file."""
    data = bytearray(FIXTURE.read_bytes())
    offset, size = find_section(lambda o, n: bytes(data[o : o + n]), ".nv_fatbin") or (0, 0)
    section = bytes(data[offset : offset + size])
    new_offset = (len(data) + 7) & ~7
    data.extend(b"\0" * (new_offset - len(data)))
    data.extend(section * copies)
    shoff, shentsize, shnum = (
        struct.unpack_from("<Q", data, 40)[0],
        *struct.unpack_from("<HH", data, 58),
    )
    for index in range(shnum):
        entry = shoff + index * shentsize
        if struct.unpack_from("<Q", data, entry + 24)[0] == offset:
            struct.pack_into("<QQ", data, entry + 24, new_offset, size * copies)
    path.write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fatbins", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        library = Path(tmp) / "libtorch_cuda.so"
        # The fixture's section holds two fatbins (two translation units).
        _build(library, max(1, args.fatbins // 2))
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            code = device_code_of(library, "/torch/lib/libtorch_cuda.so")
            times.append(time.perf_counter() - start)
        assert code is not None and "sm_120" in code.native
        size = library.stat().st_size / 1e6
    print(
        f"device code of a {size:.1f} MB library with {args.fatbins} fatbins: "
        f"median {statistics.median(times) * 1000:.1f} ms over {args.runs} runs"
    )


if __name__ == "__main__":
    main()
