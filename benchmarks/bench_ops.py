"""`chipdoctor ops` on a 5,000-node exported graph against one target (goal: < 0.5 s, < 80 MiB),
and on a profiler trace at the 256 MiB limit (goal: peak RSS < 80 MiB: the trace is streamed).

The graph is the real torch 2.13 export of tests/fixtures/ops/model.pt2 (conv2d, lgamma) with its
call_function nodes repeated, each copy calling one of 250 ATen operators the data knows, until
the program has 5,000 nodes; it is written in the PT2 archive layout torch.export.save uses.
Times the whole command (a child process: interpreter start, data loading, reading, judging,
JSON output) and reports its CPU time (steady on a shared, busy machine, where the wall time is
not) and its peak resident memory.

The trace repeats the real torch 2.13 profiler trace tests/fixtures/ops/trace.json.gz (its
events, each repetition shifted past the last) until it is just under the 256 MiB limit.

    python benchmarks/bench_ops.py [--runs 5] [--nodes 5000] [--trace-mib 255]
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import statistics
import sys
import tempfile
import zipfile
from pathlib import Path

from childrun import Run, chipdoctor, measure

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "ops" / "model.pt2"
TRACE = ROOT / "tests" / "fixtures" / "ops" / "trace.json.gz"
TARGET = "torch_npu==2.5.1"
GOAL_S = 0.5
GOAL_MIB = 80


def synthetic(out: Path, nodes: int) -> Path:
    """A PT2 archive shaped like the fixture's, with `nodes` call_function nodes."""
    from chipdoctor.ops.data import pytorch_ops, stack_ops

    with zipfile.ZipFile(FIXTURE) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    program_name = next(n for n in members if "/models/" in n and n.endswith(".json"))
    program = json.loads(members[program_name])
    graph = program["graph_module"]["graph"]
    template = next(n for n in graph["nodes"] if n["target"].endswith("lgamma.default"))
    names = sorted(stack_ops("ascend")._ops)[:200] + sorted(pytorch_ops().decompositions)[:50]
    grown = []
    for i in range(nodes):
        node = copy.deepcopy(template)
        key = names[i % len(names)]
        name, _, overload = key.partition(".")
        node["target"] = f"torch.ops.aten.{name}.{overload or 'default'}"
        node["outputs"] = [{"as_tensor": {"name": f"t{i}"}}]
        grown.append(node)
    graph["nodes"] = grown
    members[program_name] = json.dumps(program).encode()
    path = out / "big.pt2"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def big_trace(out: Path, mib: int) -> tuple[Path, int]:
    """The fixture trace's events repeated, each copy shifted past the last, to `mib` MiB;
    the path and how many aten:: events it holds."""
    document = json.loads(gzip.decompress(TRACE.read_bytes()))
    events = document.pop("traceEvents")
    first = min(e["ts"] for e in events)
    span = max(e["ts"] + e.get("dur", 0) for e in events) - first + 1
    head = json.dumps(document)[:-1] + ', "traceEvents": ['
    path, size, copies = out / "trace.json", 0, 0
    with path.open("w") as trace:
        trace.write(head)
        while size < (mib << 20) - (64 << 10):
            shifted = [{**e, "ts": round(e["ts"] + copies * span, 3)} for e in events]
            piece = ("," if copies else "") + json.dumps(shifted)[1:-1]
            size += trace.write(piece)
            copies += 1
        trace.write("]}")
    aten = sum(e.get("name", "").startswith("aten::") for e in events)
    return path, aten * copies


def run_once(argv: list[str]) -> Run:
    run = measure(argv)
    if run.code not in (0, 1):
        raise SystemExit(f"chipdoctor ops exited {run.code}")
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--trace-mib", type=int, default=255)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        model = synthetic(Path(scratch), args.nodes)
        out = Path(scratch) / "out.json"
        argv = [
            *chipdoctor(),
            "ops",
            str(model),
            "--target",
            TARGET,
            "--format",
            "json",
            "-o",
            str(out),
            "--force",
        ]
        run_once(argv)  # warm the page cache and byte-code
        results = [run_once(argv) for _ in range(args.runs)]
        ops = len(json.loads(out.read_text())["ops"])
    times = [r.seconds for r in results]
    cpu = statistics.median(r.cpu for r in results)
    peak = max(r.mib for r in results)
    median = statistics.median(times)
    print(f"chipdoctor ops: {args.nodes} nodes ({ops} distinct operators judged) against {TARGET}")
    print(f"  wall: median {median:.3f} s, min {min(times):.3f} s over {args.runs} runs")
    print(f"  CPU (user + system): median {cpu:.3f} s (goal < {GOAL_S} s; wall on an idle machine)")
    print(f"  peak RSS: {peak:.1f} MiB (goal < {GOAL_MIB} MiB)")
    with tempfile.TemporaryDirectory() as scratch:
        trace, aten = big_trace(Path(scratch), args.trace_mib)
        size = trace.stat().st_size
        argv = [*chipdoctor(), "ops", str(trace), "--target", TARGET, "--format", "json"]
        run = run_once(argv)
    print(f"chipdoctor ops: a {size / (1 << 20):.0f} MiB profiler trace ({aten} aten:: events)")
    print(f"  wall {run.seconds:.1f} s, CPU {run.cpu:.1f} s")
    print(f"  peak RSS: {run.mib:.1f} MiB (goal < {GOAL_MIB} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
