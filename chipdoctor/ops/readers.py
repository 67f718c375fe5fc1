"""Read the operators a model uses, without importing torch: .pt2 archives, profiler traces,
operator lists. Every read is bounded; anything that is none of these forms is bad input.

Archive layouts (docs/ops.md lists them with their sources):
- PT2 archive (torch 2.8 and later): `<root>/archive_format` holds `pt2`; each program is
  `<root>/models/<name>.json`.
- flat zip (torch 2.5 to 2.7): `serialized_exported_program.json` at the top, beside
  `serialized_state_dict.pt`, `serialized_constants.pt`, `serialized_example_inputs.pt`, `version`.
Both JSON documents are the serialized ExportedProgram: `graph_module.graph.nodes[].target`.
"""

from __future__ import annotations

import gzip
import json
import os
import stat
import zipfile
import zlib
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from chipdoctor.boundedio import RefusedFile, read_regular, regular_size
from chipdoctor.errors import BadInput
from chipdoctor.ops.jsonstream import JsonStream
from chipdoctor.ops.names import Op, parse_op

MAX_FILE = 512 << 20  # a .pt2 carries its weights; only the program JSON is read from it
MAX_JSON = 256 << 20
MAX_TEXT = 16 << 20
MAX_EVENT = 16 << 20  # one trace event, or one other member of the trace's object
MAX_MEMBERS = 100_000
MAX_GRAPH_DEPTH = 32
#: CPU-only kernels a profiler shows under the operator that called them, never dispatched
#: to a device.
CPU_KERNEL_PREFIXES = ("aten::mkldnn_", "aten::_mkldnn_", "aten::onednn_")


def read_model(path: Path) -> Counter[Op]:
    """The operators of the model in `path` and how often each appears; bad input when it
    names none (an empty graph or trace would read as full coverage and pass)."""
    counts = _read_model(path)
    if not counts:
        raise BadInput(f"{path}: names no operator")
    return counts


def _read_model(path: Path) -> Counter[Op]:
    try:
        head = read_regular(path, 4, truncate=True)
    except (OSError, RefusedFile) as exc:
        raise BadInput(f"{path}: cannot be read: {_reason(exc)}") from None
    name = path.name.lower()
    if head.startswith(b"PK"):
        return read_pt2(path)
    if name.endswith(".pt2"):
        raise BadInput(f"{path}: not a .pt2 archive (torch.export.save writes a zip file)")
    if name.endswith((".json", ".json.gz")) or head.startswith(b"\x1f\x8b"):
        return read_trace(path)
    return read_list(path)


def read_pt2(path: Path) -> Counter[Op]:
    try:
        with _regular(path, MAX_FILE) as handle, zipfile.ZipFile(handle) as archive:
            program = _program_member(archive, path)
            info = archive.getinfo(program)
            if info.file_size > MAX_JSON:
                raise BadInput(f"{path}: {program} is over the {MAX_JSON >> 20} MiB limit")
            with archive.open(info) as member:
                raw = member.read(MAX_JSON + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise BadInput(f"{path}: not a readable .pt2 archive: {_reason(exc)}") from None
    document = _json(raw, path, program)
    try:
        graph = document["graph_module"]["graph"]
    except (KeyError, TypeError):
        raise BadInput(f"{path}: {program} holds no graph_module.graph") from None
    counts: Counter[Op] = Counter()
    _count_graph(graph, counts, path, 0)
    return counts


def _regular(path: Path, limit: int) -> BinaryIO:
    """`path` opened, when it is a regular file of at most `limit` bytes (checked on the open
    file too: the path may have been swapped for a FIFO or a device after the first look)."""
    try:
        size = regular_size(path)
        if size > limit:
            raise BadInput(f"{path}: is over the {limit >> 20} MiB limit")
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC  # a FIFO must not block
        handle = os.fdopen(os.open(path, flags), "rb")
    except (OSError, RefusedFile) as exc:
        raise BadInput(f"{path}: cannot be read: {_reason(exc)}") from None
    opened = os.fstat(handle.fileno())
    if not stat.S_ISREG(opened.st_mode) or opened.st_size > limit:
        handle.close()
        raise BadInput(f"{path}: changed while it was read")
    return handle


def _program_member(archive: zipfile.ZipFile, path: Path) -> str:
    names = archive.namelist()
    if len(names) > MAX_MEMBERS:
        raise BadInput(f"{path}: holds more than {MAX_MEMBERS} entries")
    if "serialized_exported_program.json" in names:
        return "serialized_exported_program.json"
    for name in names:
        root, _, rest = name.partition("/")
        if rest != "archive_format" or archive.getinfo(name).file_size > 16:
            continue
        if archive.read(name).strip() == b"pt2":
            models = sorted(
                n for n in names if n.startswith(f"{root}/models/") and n.endswith(".json")
            )
            if models:
                return models[0]
    raise BadInput(
        f"{path}: a zip archive but not one torch.export.save wrote (no exported program)"
    )


def _count_graph(graph: Any, counts: Counter[Op], path: Path, depth: int) -> None:
    """Count each call_function node's operator, and those of graphs nested in arguments
    (control flow, wrapped submodules)."""
    if depth > MAX_GRAPH_DEPTH or not isinstance(graph, dict):
        raise BadInput(f"{path}: the exported graph is malformed or nested too deep")
    nodes = graph.get("nodes")
    if not isinstance(nodes, list):
        raise BadInput(f"{path}: the exported graph has no node list")
    for node in nodes:
        if not isinstance(node, dict):
            raise BadInput(f"{path}: a graph node is not an object")
        target = node.get("target")
        op = (
            parse_op(target)
            if isinstance(target, str) and target.startswith("torch.ops.")
            else None
        )
        if op is not None and op.namespace != "higher_order":
            counts[op] += 1
        inputs = node.get("inputs") or []
        if not isinstance(inputs, list):
            raise BadInput(f"{path}: a graph node's inputs are not a list")
        for item in inputs:
            arg = item.get("arg") if isinstance(item, dict) else None
            nested = arg.get("as_graph") if isinstance(arg, dict) else None
            if isinstance(nested, dict) and "graph" in nested:
                _count_graph(nested["graph"], counts, path, depth + 1)


def read_trace(path: Path) -> Counter[Op]:
    """A torch.profiler Chrome trace: its top-level `aten::` events (those no other `aten::`
    event on the same thread encloses), each an operator the program called.

    Read as a stream (the events one at a time), each `aten::` span kept in three packed
    numbers (start, end, name), so that memory stays far below the trace's size."""
    spans = _Spans()
    try:
        with _regular(path, MAX_JSON) as handle:
            gzipped = handle.read(2) == b"\x1f\x8b"
            handle.seek(0)
            read = gzip.GzipFile(fileobj=handle).read if gzipped else handle.read
            reader = JsonStream(read, str(path), limit=MAX_JSON, max_value=MAX_EVENT)
            for event in _trace_events(reader, path):
                spans.add(event, path)
    except (OSError, EOFError, zlib.error) as exc:
        raise BadInput(f"{path}: not a readable gzip file: {_reason(exc)}") from None
    return spans.top_level()


def _trace_events(reader: JsonStream, path: Path) -> Iterator[Any]:
    """The events of `{"traceEvents": [...], ...}` (what torch.profiler writes) or of a bare
    array; the other members are read and dropped."""
    if reader.peek() == "[":
        yield from reader.array()
        reader.end()
        return
    if reader.peek() != "{":
        reader.value()  # a scalar: valid JSON or not, no trace
        raise BadInput(f"{path}: a JSON file but not a profiler trace (no traceEvents)")
    found = False
    for key in reader.members():
        if key == "traceEvents" and reader.peek() == "[":
            found = True
            yield from reader.array()
        else:
            reader.value()
    reader.end()
    if not found:
        raise BadInput(f"{path}: a JSON file but not a profiler trace (no traceEvents)")


class _Spans:
    """The complete `aten::` events of each thread, packed: start and end in two arrays of
    doubles, the name as an index into the distinct names (a few hundred)."""

    def __init__(self) -> None:
        self.threads: dict[tuple[str, str], tuple[array[float], array[float], array[int]]] = {}
        self.names: dict[str, int] = {}

    def add(self, event: Any, path: Path) -> None:
        if not isinstance(event, dict) or event.get("ph") != "X":
            return
        name = event.get("name")
        if not isinstance(name, str) or not name.startswith("aten::"):
            return
        try:
            start, length = float(event["ts"]), float(event.get("dur", 0))
        except (KeyError, TypeError, ValueError):
            raise BadInput(f"{path}: an aten:: event has no numeric ts/dur") from None
        thread = (repr(event.get("pid")), repr(event.get("tid")))
        if thread not in self.threads:
            self.threads[thread] = (array("d"), array("d"), array("I"))
        starts, ends, names = self.threads[thread]
        starts.append(start)
        ends.append(start + length)
        names.append(self.names.setdefault(name, len(self.names)))

    def top_level(self) -> Counter[Op]:
        """Each thread's events by start: an event starting inside the last top-level one is
        what that one called; of those starting together the longest (the first of equals)
        is the caller, and zero-length ones side by side are each top-level."""
        by_index = list(self.names)
        counts: Counter[Op] = Counter()
        for starts, ends, names in self.threads.values():
            order = _by_start(starts)
            open_end = float("-inf")
            first = 0
            while first < len(order):
                start = starts[order[first]]
                last = first
                while last < len(order) and starts[order[last]] == start:
                    last += 1
                group, first = order[first:last], last
                if start < open_end:
                    continue  # inside a top-level operator: what it called, not the program
                longest = max(group, key=ends.__getitem__)
                open_end = ends[longest]
                for i in group if open_end <= start else [longest]:
                    name = by_index[names[i]]
                    op = parse_op(name)
                    if op is not None and not name.startswith(CPU_KERNEL_PREFIXES):
                        counts[op] += 1
        return counts


def _by_start(starts: array[float]) -> Sequence[int]:
    """Indices of `starts` in ascending order, ties in file order. torch.profiler writes each
    thread's events by start (one run: nothing to do); otherwise the ascending runs are merged
    pairwise in two index arrays, 8 bytes an event, where sorted() would hold ~80 in objects."""
    count = len(starts)
    cuts = array("I", (i for i in range(1, count) if starts[i] < starts[i - 1]))
    if not cuts:
        return range(count)
    bounds = array("I", [0, *cuts, count])
    order, spare = array("I", range(count)), array("I", bytes(4 * count))
    while len(bounds) > 2:
        merged = array("I", [0])
        for k in range(0, len(bounds) - 1, 2):
            low, middle = bounds[k], bounds[k + 1]
            high = bounds[k + 2] if k + 2 < len(bounds) else middle
            _merge(order, spare, starts, (low, middle, high))
            merged.append(high)
        order, spare, bounds = spare, order, merged
    return order


def _merge(
    src: array[int], dst: array[int], starts: array[float], runs: tuple[int, int, int]
) -> None:
    """src[low:middle] and src[middle:high], each ascending by start, into dst[low:high]."""
    low, middle, high = runs
    left, right, out = low, middle, low
    while left < middle and right < high:
        if starts[src[right]] < starts[src[left]]:  # equal starts: the left (earlier) first
            dst[out] = src[right]
            right += 1
        else:
            dst[out] = src[left]
            left += 1
        out += 1
    dst[out : out + middle - left] = src[left:middle]
    out += middle - left
    dst[out : out + high - right] = src[right:high]


def read_list(path: Path) -> Counter[Op]:
    """One operator a line (`aten::conv2d`, `aten.mm.default`); `#` starts a comment."""
    try:
        text = _read(path, MAX_TEXT).decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(
            f"{path}: neither a .pt2 archive, a profiler trace nor a text file"
        ) from None
    counts: Counter[Op] = Counter()
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        op = parse_op(entry)
        if op is None:
            raise BadInput(
                f"{path}:{number}: {entry[:80]!r} is not an operator name (aten::conv2d)"
            )
        counts[op] += 1
    return counts


def _read(path: Path, limit: int) -> bytes:
    try:
        return read_regular(path, limit)
    except (OSError, RefusedFile) as exc:
        raise BadInput(f"{path}: cannot be read: {_reason(exc)}") from None


def _json(raw: bytes, path: Path, member: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"{path}: {member}: not valid JSON: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).splitlines()[0]
