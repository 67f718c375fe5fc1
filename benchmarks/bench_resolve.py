"""How resolve time grows with the size of the matrix.

Builds synthetic Ascend matrices shaped like the bundled one (torch_npu rows in release trains,
each train on its own CANN, CANN/driver and driver/firmware pairings, a compatibility table)
with about 100, 1,000 and 10,000 rows, and times `resolve()` on a host whose torch does not
match its torch_npu, with and without pins, plus a conflict that needs the explanation search.
`cold` is the first resolve on a freshly loaded matrix (it builds the indexes, as a one-shot
`chipdoctor fix` does); the other columns reuse them. Target (issue 13): under 100 ms at
10,000 rows, growing linearly. Times are the process's CPU time (a shared CI machine inflates
wall time with other jobs' load); `--wall` prints wall-clock time instead.

    python benchmarks/bench_resolve.py [--runs 5] [--wall]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from chipdoctor.matrix.model import Matrix, MatrixSet, Row, Table
from chipdoctor.model import Component, Inventory
from chipdoctor.resolve import Pin, parse_pin, resolve


def synthetic(rows: int) -> Matrix:
    """About `rows` rows: trains of 4 torch_npu builds, one CANN and two drivers per train."""
    trains = max(1, rows // 8)
    npu: list[Row] = []
    compat: list[Row] = []
    drivers: list[Row] = []
    firmware: list[Row] = []

    def row(origin: str, **values: tuple[str, ...]) -> Row:
        return Row(values=values, sources=("synthetic",), origin=origin)

    for t in range(trains):
        cann = f"{8 + t // 1000}.{(t // 10) % 100}.RC{t % 10 + 1}"
        driver = f"{24 + t // 1000}.{(t // 10) % 100}.rc{t % 10 + 1}"
        torch_lines = [f"2.{t % 40}.{k}" for k in range(4)]
        builds = []
        for k, torch in enumerate(torch_lines):
            build = f"{torch}.post{t}"
            builds.append(build)
            npu.append(
                row(
                    f"synthetic:{len(npu)}",
                    torch_npu=(build,),
                    torch=(torch,),
                    cann=(cann,),
                    python=("3.9", "3.10", "3.11") if k % 2 else ("3.10", "3.11", "3.12"),
                )
            )
        compat.append(row(f"c:{t}", torch_npu=tuple(builds), cann=(cann, f"{cann}.1")))
        drivers.append(row(f"d:{t}", cann=(cann,), ascend_driver=(driver, f"{driver}.1")))
        firmware.append(row(f"f:{t}", ascend_driver=(driver,), ascend_firmware=(f"7.{t}.0",)))
    tables = {
        "torch_npu": Table("torch_npu", "torch_npu", "", npu),
        "torch_npu_cann": Table("torch_npu_cann", "torch_npu", "", compat),
        "cann_driver": Table("cann_driver", "cann", "", drivers),
        "driver_firmware": Table("driver_firmware", "ascend_driver", "", firmware),
        "cann_python": Table("cann_python", "cann", "", []),
    }
    return Matrix("ascend", {}, tables, ["synthetic.yaml"])


def _constant(matrix: Matrix) -> Callable[[str], Matrix | None]:
    """The MatrixSet loader that serves this matrix for every stack."""
    return lambda _stack: matrix


def _time(
    inventory: Inventory,
    matrices: MatrixSet,
    pins: list[Pin],
    runs: int,
    clock: Callable[[], float],
) -> float:
    times = []
    for _ in range(runs):
        started = clock()
        resolve(inventory, matrices, pins)
        times.append(clock() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--wall", action="store_true", help="wall-clock time, not CPU time")
    args = parser.parse_args()
    clock = time.perf_counter if args.wall else time.process_time
    print(
        f"{'rows':>7} {'cold':>10} {'resolve':>10} {'pinned':>10} {'conflict':>10}"
        f"   ({'wall' if args.wall else 'CPU'} time, median of {args.runs})"
    )
    previous: float | None = None
    for size in (100, 1_000, 10_000):
        matrix = synthetic(size)
        count = sum(len(t.rows) for t in matrix.tables.values())
        matrices = MatrixSet(_constant(matrix), ["ascend"], [])
        trains = max(1, size // 8)
        middle = trains // 2
        cann = f"{8 + middle // 1000}.{(middle // 10) % 100}.RC{middle % 10 + 1}"
        driver = f"{24 + middle // 1000}.{(middle // 10) % 100}.rc{middle % 10 + 1}"
        inventory = Inventory(stacks=["ascend"])
        inventory.components = [
            Component("python", "3.11.4", "bench"),
            Component("torch", "2.0.0", "bench"),
            Component("torch_npu", f"2.{middle % 40}.1.post{middle}", "bench"),
            Component("cann", cann, "bench"),
            Component("ascend_driver", driver, "bench"),
        ]
        pins = [parse_pin("python", "3.10", "--python 3.10")]
        clash = [parse_pin("torch", "9.9", "--torch 9.9"), parse_pin("cann", "8.0", "--cann 8.0")]
        started = clock()
        resolve(inventory, matrices, [])
        cold = clock() - started
        plain = _time(inventory, matrices, [], args.runs, clock)
        pinned = _time(inventory, matrices, pins, args.runs, clock)
        conflict = _time(inventory, matrices, clash, args.runs, clock)
        growth = f"  x{plain / previous:.1f} for 10x rows" if previous else ""
        print(
            f"{count:>7} {cold * 1000:>8.1f}ms {plain * 1000:>8.1f}ms {pinned * 1000:>8.1f}ms "
            f"{conflict * 1000:>8.1f}ms{growth}"
        )
        previous = plain
    return 0


if __name__ == "__main__":
    sys.exit(main())
