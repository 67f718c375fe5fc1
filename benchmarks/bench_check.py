"""Time `chipdoctor check` against `python -m torch.utils.collect_env` on this machine.

Run by hand or in CI; prints each tool's median wall time over N runs and the ratio. Targets
(issue 2): at least 10x faster than collect_env, and under 0.3 s on a host without accelerators.

    python benchmarks/bench_check.py [--runs 7] [--python PATH]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def _median_seconds(argv: list[str], runs: int) -> float | None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        if result.returncode not in (0, 1):
            sys.stderr.write(f"{' '.join(argv)} exited {result.returncode}:\n")
            sys.stderr.write(result.stderr.decode(errors="replace")[-2000:])
            return None
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", default=sys.executable, help="interpreter that has torch")
    args = parser.parse_args()
    script = shutil.which("chipdoctor")
    chipdoctor = [script] if script else [sys.executable, "-m", "chipdoctor"]
    ours = _median_seconds([*chipdoctor, "check", "--format", "json"], args.runs)
    if ours is None:
        return 1
    print(f"chipdoctor check:                 median {ours * 1000:7.1f} ms over {args.runs} runs")
    has_torch = subprocess.run(
        [args.python, "-c", "import importlib.util as u, sys; sys.exit(not u.find_spec('torch'))"],
        check=False,
    )
    if has_torch.returncode != 0:
        print(f"torch.utils.collect_env:          not measured ({args.python} has no torch)")
        return 0
    theirs = _median_seconds([args.python, "-m", "torch.utils.collect_env"], args.runs)
    if theirs is None:
        return 1
    print(
        f"python -m torch.utils.collect_env: median {theirs * 1000:7.1f} ms over {args.runs} runs"
    )
    print(f"ratio: chipdoctor check is {theirs / ours:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
