"""Time `chipdoctor check` against `python -m torch.utils.collect_env` on this machine.

Run by hand or in CI; prints each tool's median (and fastest) wall time over N runs, the
ratio of the medians, and chipdoctor's peak RSS. The runs are paired (one of each in turn), so
a noisy neighbour slows both alike. Targets (issue 16): on a host without accelerators, `check`
under 70 ms median and 30 MiB, at least 15x faster than collect_env.

    python benchmarks/bench_check.py [--runs 21] [--python PATH] [--format json|table]

Each target is printed with whether this run met it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from typing import Optional

from childrun import chipdoctor, measure

#: Issue 16's targets for `check` on a host without accelerators.
GOAL_MS = 70.0
GOAL_MIB = 30.0
GOAL_RATIO = 15.0


def _measure(argv: list[str], into: dict[str, list[float]], name: str) -> Optional[float]:
    """One run's wall and CPU seconds added to `into`; its peak RSS (MiB), None if it failed."""
    run = measure(argv)
    if run.code not in (0, 1):
        sys.stderr.write(f"{' '.join(argv)} exited {run.code}:\n{run.err}")
        return None
    into.setdefault(name, []).append(run.seconds)
    into.setdefault(f"{name} cpu", []).append(run.cpu)
    return run.mib


def _figures(times: dict[str, list[float]], name: str) -> str:
    wall, cpu = times[name], times[f"{name} cpu"]
    return (
        f"median {statistics.median(wall) * 1000:7.1f} ms, fastest {min(wall) * 1000:7.1f} ms "
        f"(CPU median {statistics.median(cpu) * 1000:.1f} ms) over {len(wall)} runs"
    )


def _goal(name: str, value: str, met: bool) -> str:
    return f"goal {name}: {value}, {'met' if met else 'NOT met'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--python", default=sys.executable, help="interpreter that has torch")
    parser.add_argument("--format", default="json", choices=("json", "table"))
    args = parser.parse_args()
    ours = [*chipdoctor(), "check", "--format", args.format]
    probe = "import importlib.util as u, sys; sys.exit(not u.find_spec('torch'))"
    has_torch = subprocess.run([args.python, "-c", probe], check=False).returncode == 0
    theirs = [args.python, "-m", "torch.utils.collect_env"]
    times: dict[str, list[float]] = {}
    peak = 0.0
    for _ in range(args.runs):
        measured = _measure(ours, times, "ours")
        if measured is None:
            return 1
        peak = max(peak, measured)
        if has_torch and _measure(theirs, times, "theirs") is None:
            return 1
    mine = statistics.median(times["ours"])
    print(f"chipdoctor check --format {args.format}: {_figures(times, 'ours')}")
    print(f"chipdoctor check peak RSS: {peak:.1f} MiB")
    print(_goal(f"median <= {GOAL_MS:g} ms", f"{mine * 1000:.1f} ms", mine * 1000 <= GOAL_MS))
    print(_goal(f"peak RSS <= {GOAL_MIB:g} MiB", f"{peak:.1f} MiB", peak <= GOAL_MIB))
    if not has_torch:
        print(f"torch.utils.collect_env: not measured ({args.python} has no torch)")
        return 0
    other = statistics.median(times["theirs"])
    print(f"python -m torch.utils.collect_env: {_figures(times, 'theirs')}")
    ratio = other / mine
    print(f"ratio of the medians: chipdoctor check is {ratio:.1f}x faster")
    print(_goal(f">= {GOAL_RATIO:g}x collect_env", f"{ratio:.1f}x", ratio >= GOAL_RATIO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
