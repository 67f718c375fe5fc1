"""Time `check --log` reading a hostile log: the catalog's patterns searched over the 4 MiB tail
chipdoctor keeps (chipdoctor/symptoms/), each line at its 2000-character cut.

Each shape fills the tail with lines made of one unit repeated: ordinary text, and the units
that once made a pattern quadratic per line (a word with no space for pip's conflict report,
`lib` repeated for the loader's message: 29 to 44 s a log before those patterns were anchored
at a word's start, ~2 s after, on the shared 2-core machine of 2026-12-06). The figure is the
median time of reading and recognising the file.

    python benchmarks/bench_log.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from chipdoctor.symptoms.reading import MAX_BYTES, MAX_LINE, read_log
from chipdoctor.symptoms.recognise import recognise

SHAPES = {
    "text": b"epoch 1 step 2 loss 0.3 ",
    "one word": b"x",
    "pip's conflict": b"a b requires ",
    "lib": b"lib",
    "libatb": b"libatb",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for name, unit in SHAPES.items():
            line = (unit * MAX_LINE)[:MAX_LINE] + b"\n"
            path = Path(directory) / "job.log"
            path.write_bytes(line * (MAX_BYTES // len(line)))
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                log = read_log(str(path))
                recognise(log.lines, log.first)
                times.append(time.perf_counter() - started)
            print(
                f"4 MiB log of {len(log.lines)} lines ({name}): median "
                f"{statistics.median(times):5.2f} s over {args.runs} runs"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
