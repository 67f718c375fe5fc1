"""Time and measure `chipdoctor fleet compare` over 10,000 reports.

The reports are real: `check --snapshot` of every fixture snapshot (tests/fixtures/snapshots/),
each then given a node name. Two fleets: "uniform" (every node the Ascend 910B fixture's report,
1% of them with another CANN and 1% another torch_npu: a real cluster with a few stragglers)
and "mixed" (nodes cycling through every fixture's report: every component drifts, the worst
case for the comparison and the output). Each is compared by the console script, end to end
(interpreter start, reading 10,000 files, the comparison, the JSON written to a pipe); the
figures are wall time, CPU time (a loaded machine stretches the first, not the second) and
the child's peak RSS. Targets (issue 15): < 3 s and < 300 MiB.

    python benchmarks/bench_fleet.py [--nodes 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from childrun import chipdoctor, measure

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "tests" / "fixtures" / "snapshots"
UNIFORM = "ascend-910b-healthy"
TARGET_SECONDS = 3.0
TARGET_MIB = 300


def _reports() -> dict[str, dict[str, Any]]:
    from chipdoctor.engine import check
    from chipdoctor.evidence.snapshot import SnapshotEvidence
    from chipdoctor.matrix.load import load_matrices

    matrices = load_matrices([])
    names = sorted(p.name for p in SNAPSHOTS.iterdir() if (p / "snapshot.yaml").is_file())
    return {name: check(SnapshotEvidence(SNAPSHOTS / name), matrices).to_dict() for name in names}


def _write(directory: Path, reports: list[dict[str, Any]]) -> None:
    directory.mkdir()
    for index, report in enumerate(reports):
        (directory / f"node{index:05d}.json").write_text(
            json.dumps({**report, "host": f"node{index:05d}"})
        )


def _varied(report: dict[str, Any], component: str, version: str) -> dict[str, Any]:
    components = [
        {**c, "version": version} if c["id"] == component else c for c in report["components"]
    ]
    return {**report, "components": components}


def _fleets(nodes: int) -> dict[str, list[dict[str, Any]]]:
    reports = _reports()
    base = reports[UNIFORM]
    uniform = []
    for index in range(nodes):
        if index % 100 == 37:
            uniform.append(_varied(base, "cann", "8.1.RC1"))
        elif index % 100 == 73:
            uniform.append(_varied(base, "torch_npu", "2.5.1.post2"))
        else:
            uniform.append(base)
    every = list(reports.values())
    mixed = [every[index % len(every)] for index in range(nodes)]
    return {"uniform": uniform, "mixed": mixed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as scratch:
        for name, reports in _fleets(args.nodes).items():
            directory = Path(scratch) / name
            _write(directory, reports)
            argv = [*chipdoctor(), "fleet", "compare", "--format", "json", str(directory)]
            runs = [measure(argv) for _ in range(args.runs)]
            if any(run.code not in (0, 1) for run in runs):
                sys.stderr.write(f"{' '.join(argv)} failed\n")
                return 1
            seconds = statistics.median(r.seconds for r in runs)
            cpu = statistics.median(r.cpu for r in runs)
            mib = max(r.mib for r in runs)
            verdict = "ok" if seconds < TARGET_SECONDS and mib < TARGET_MIB else "OVER TARGET"
            print(
                f"fleet compare, {args.nodes} reports ({name}): median {seconds:5.2f} s wall "
                f"({cpu:5.2f} s CPU) over {args.runs} runs, peak RSS {mib:6.1f} MiB "
                f"(targets < {TARGET_SECONDS:.0f} s, < {TARGET_MIB} MiB): {verdict}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
