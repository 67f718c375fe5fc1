"""The readers on real files written by torch 2.13 (tests/fixtures/ops/model.py made them) and
on broken ones: every bad file is one line of bad input."""

from __future__ import annotations

import gzip
import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from chipdoctor.errors import BadInput
from chipdoctor.ops.names import Op, parse_op
from chipdoctor.ops.readers import read_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ops"
MODEL = Counter({Op("aten", "conv2d"): 1, Op("aten", "lgamma"): 1})


@pytest.mark.parametrize("name", ["model.pt2", "model-flat.pt2"])
def test_both_pt2_layouts_give_the_exported_graphs_operators(name: str) -> None:
    assert read_model(FIXTURES / name) == MODEL


def test_a_trace_gives_its_top_level_aten_events_only() -> None:
    """conv2d's children (convolution, _slow_conv2d_forward, empty, ...) are not counted."""
    assert read_model(FIXTURES / "trace.json.gz") == Counter(
        {Op("aten", "conv2d", exact=False): 1, Op("aten", "lgamma", exact=False): 1}
    )


def test_a_cpu_kernel_event_at_the_top_is_ignored(tmp_path: Path) -> None:
    events = [
        {"ph": "X", "name": "aten::mkldnn_convolution", "ts": 1, "dur": 5, "pid": 1, "tid": 1},
        {"ph": "X", "name": "aten::add", "ts": 10, "dur": 5, "pid": 1, "tid": 1},
        {"ph": "X", "name": "aten::add", "ts": 11, "dur": 1, "pid": 1, "tid": 2},
    ]
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"traceEvents": events}))
    assert read_model(path) == Counter({Op("aten", "add", exact=False): 2})


def test_an_operator_list(tmp_path: Path) -> None:
    path = tmp_path / "ops.txt"
    path.write_text(
        "# the model\naten::conv2d\naten.mm.default\naten::add.Tensor  # twice\naten::add.Tensor\n"
    )
    assert read_model(path) == Counter(
        {Op("aten", "conv2d", exact=False): 1, Op("aten", "mm"): 1, Op("aten", "add.Tensor"): 2}
    )


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("torch.ops.aten.conv2d.default", Op("aten", "conv2d")),
        ("aten.add.Tensor", Op("aten", "add.Tensor")),
        ("aten::lgamma", Op("aten", "lgamma", exact=False)),
        ("torchvision::nms", Op("torchvision", "nms", exact=False)),
        ("conv2d", None),
        ("aten::x y", None),
        ("aten::add\n.Tensor", None),  # `$` alone would let a name end in a newline
        ("aten.add\n.Tensor", None),
    ],
)
def test_names(text: str, op: Op | None) -> None:
    assert parse_op(text) == op


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("m.pt2", b"not a zip", "not a .pt2 archive"),
        ("m.pt2", b"PK\x03\x04broken", "not a readable .pt2 archive"),
        ("t.json", b'{"traceEvents": 3}', "not a profiler trace"),
        ("t.json", b"{nope", "not valid JSON"),
        ("t.json.gz", b"\x1f\x8b\x08broken", "not a readable gzip file"),
        (
            "ops.txt",
            b"aten::conv2d\nthis is prose\n",
            "ops.txt:2: 'this is prose' is not an operator name",
        ),
        ("ops.txt", b"\xff\xfe\x00", "neither a .pt2 archive"),
        ("ops.txt", b"# nothing\n", "names no operator"),
        ("t.json", b'{"traceEvents": []}', "names no operator"),
        ("t.json", b"[1, 2]", "names no operator"),
        ("t.json", b'[{"ph": "X", "name": "aten::\\u001b[31m", "ts": 1}]', "names no operator"),
    ],
)
def test_bad_files_are_bad_input(tmp_path: Path, name: str, content: bytes, says: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadInput) as caught:
        read_model(path)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_zip_that_is_no_exported_program(tmp_path: Path) -> None:
    path = _zip(tmp_path / "m.pt2", {"weights.bin": b"x"})
    with pytest.raises(BadInput, match=r"not one torch\.export\.save wrote"):
        read_model(path)


def test_a_program_without_a_graph(tmp_path: Path) -> None:
    path = _zip(tmp_path / "m.pt2", {"serialized_exported_program.json": b"{}"})
    with pytest.raises(BadInput, match=r"holds no graph_module\.graph"):
        read_model(path)


def test_a_trace_that_unpacks_too_far_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chipdoctor.ops import readers

    monkeypatch.setattr(readers, "MAX_JSON", 1 << 16)
    path = tmp_path / "t.json.gz"
    path.write_bytes(gzip.compress(b" " * (1 << 20)))
    with pytest.raises(BadInput, match="unpacks to more than"):
        read_model(path)


def test_nested_graphs_are_counted(tmp_path: Path) -> None:
    inner = {"nodes": [{"target": "torch.ops.aten.sin.default", "inputs": []}]}
    node = {
        "target": "torch.ops.higher_order.cond",
        "inputs": [{"arg": {"as_graph": {"name": "true_graph_0", "graph": inner}}}],
    }
    program = {"graph_module": {"graph": {"nodes": [node]}}}
    path = _zip(
        tmp_path / "m.pt2", {"serialized_exported_program.json": json.dumps(program).encode()}
    )
    assert read_model(path) == Counter({Op("aten", "sin"): 1})


def test_a_node_whose_inputs_are_no_list_is_bad_input(tmp_path: Path) -> None:
    """Not an internal error (`'int' object is not iterable`)."""
    node = {"target": "torch.ops.aten.mm.default", "inputs": 5}
    program = {"graph_module": {"graph": {"nodes": [node]}}}
    path = _zip(
        tmp_path / "m.pt2", {"serialized_exported_program.json": json.dumps(program).encode()}
    )
    with pytest.raises(BadInput, match="inputs are not a list"):
        read_model(path)


@pytest.mark.parametrize("name", ["m.pt2", "t.json", "ops.txt"])
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, name: str) -> None:
    import os

    path = tmp_path / name
    os.mkfifo(path)
    with pytest.raises(BadInput, match="not a regular file"):
        read_model(path)


@pytest.mark.parametrize(
    "nodes",
    [[], [{"target": "torch.ops.aten.\x1b[31m.default", "inputs": []}]],
)
def test_a_program_with_no_operator_is_bad_input(tmp_path: Path, nodes: list[Any]) -> None:
    """Not `0 of 0 native, coverage 100%` and exit 0."""
    program = {"graph_module": {"graph": {"nodes": nodes}}}
    path = _zip(
        tmp_path / "m.pt2", {"serialized_exported_program.json": json.dumps(program).encode()}
    )
    with pytest.raises(BadInput, match="names no operator"):
        read_model(path)


def _trace_file(path: Path, events: int) -> Path:
    """A profiler-shaped trace (metadata members around `traceEvents`) of `events` operator
    events, each a top-level aten::add with an aten::empty inside it."""
    with path.open("w") as out:
        out.write('{"schemaVersion": 1, "deviceProperties": [], "traceEvents": [')
        for i in range(events):
            sep = "," if i else ""
            out.write(
                f'{sep}{{"ph": "X", "cat": "cpu_op", "name": "aten::add", "pid": 7, "tid": 7, '
                f'"ts": {10 * i}.5, "dur": 5, "args": {{"External id": {i}}}}},'
                f'{{"ph": "X", "cat": "cpu_op", "name": "aten::empty", "pid": 7, "tid": 7, '
                f'"ts": {10 * i + 1}.5, "dur": 1, "args": {{"External id": {i}}}}}'
            )
        out.write('], "traceName": "t.json", "baseTimeNanoseconds": 1727000000000000000}')
    return path


def test_a_large_trace_is_read_as_a_stream(tmp_path: Path) -> None:
    """Peak memory while reading stays below the trace's size (json.loads of the whole
    file took about 7 times its size); benchmarks/bench_ops.py gives the 256 MiB figure."""
    import tracemalloc

    path = _trace_file(tmp_path / "t.json", 40_000)
    size = path.stat().st_size
    assert size > 8 << 20
    tracemalloc.start()
    try:
        counts = read_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert counts == Counter({Op("aten", "add", exact=False): 40_000})
    assert peak < size, f"peak {peak} bytes for a {size} byte trace"


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_chunk_boundaries_anywhere_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Every event, key, number and multi-byte character may straddle a read."""
    from chipdoctor.ops import jsonstream

    path = _trace_file(tmp_path / "t.json", 50)
    text = path.read_text().replace('"traceName": "t.json"', '"traceName": "t\u00e9\u6a21\u578b"')
    path.write_bytes(text.encode())
    gz = tmp_path / "t.json.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    monkeypatch.setattr(jsonstream, "CHUNK", chunk)
    expected = Counter({Op("aten", "add", exact=False): 50})
    assert read_model(path) == read_model(gz) == expected
    assert read_model(FIXTURES / "trace.json.gz") == Counter(
        {Op("aten", "conv2d", exact=False): 1, Op("aten", "lgamma", exact=False): 1}
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"traceEvents": [{"ph": "X"}] "x": 1}', "not valid JSON: expected one of , }"),
        (b'{"traceEvents": []} []', "not valid JSON: extra data after the document"),
        (b'{"traceEvents": [{"ph": "X"},', "not valid JSON"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not valid JSON: nested too deep"),
        (b'{"other": "' + b"x" * (1 << 20) + b'", "traceEvents": []}', "a value over 0 MiB"),
        (b'"traceEvents"', "not a profiler trace"),
        (b'{"traceEvents": [], "traceEvents": {"x": 1}}', "names no operator"),
        (b"\xef\xbb\xbf[]", "names no operator"),
        (b'[{"ph": "X", "name": "aten::add", "ts": "x"}]', "has no numeric ts/dur"),
        (b'{"traceEvents": ["\xff"]}', "not valid JSON: not UTF-8 text"),
    ],
)
def test_malformed_traces_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, says: str
) -> None:
    from chipdoctor.ops import readers

    monkeypatch.setattr(readers, "MAX_EVENT", 1 << 19)
    path = tmp_path / "t.json"
    path.write_bytes(content)
    with pytest.raises(BadInput) as caught:
        read_model(path)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_events_out_of_start_order_read_as_sorted(tmp_path: Path) -> None:
    """torch.profiler writes each thread's events by start; any other order is sorted first,
    and of events starting together the longest is the caller."""
    events: list[dict[str, Any]] = [
        {"ph": "X", "name": "aten::empty", "ts": 20, "dur": 1, "pid": 1, "tid": 1},
        {"ph": "X", "name": "aten::view", "ts": 30, "dur": 0, "pid": 1, "tid": 1},
        {"ph": "X", "name": "aten::convolution", "ts": 10, "dur": 5, "pid": 1, "tid": 1},
        {"ph": "X", "name": "aten::conv2d", "ts": 10, "dur": 6, "pid": 1, "tid": 1},
        {"ph": "X", "name": "aten::view", "ts": 30, "dur": 0, "pid": 1, "tid": 1},
        {"ph": "X", "name": "aten::add", "ts": 19, "dur": 4, "pid": 1, "tid": 1},
    ]
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"traceEvents": events}))
    expected = Counter(
        {
            Op("aten", "conv2d", exact=False): 1,
            Op("aten", "add", exact=False): 1,
            Op("aten", "view", exact=False): 2,
        }
    )
    assert read_model(path) == expected
    ordered = sorted(events, key=lambda e: (e["ts"], -e["dur"]))
    path.write_text(json.dumps({"traceEvents": ordered}))
    assert read_model(path) == expected


def test_the_merge_of_runs_orders_like_a_stable_sort() -> None:
    import random
    from array import array

    from chipdoctor.ops.readers import _by_start

    rng = random.Random(14)
    for size in [0, 1, 2, 3, 10, 100, 1000]:
        for spread in [2, 50, 10**6]:
            starts = array("d", (rng.randrange(spread) / 4 for _ in range(size)))
            expected = sorted(range(size), key=starts.__getitem__)
            assert list(_by_start(starts)) == expected
