"""The reports `fleet compare` reads: files, directories of them, `.json.gz`, or JSON lines on
stdin, each bounded (size, count, decompressed size) and checked to be a chipdoctor report.

A report that cannot be read is listed with why and the others are still read: one broken
node must not hide the state of the other sixty-three.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from chipdoctor.boundedio import RefusedFile, read_regular, size_text
from chipdoctor.errors import BadInput
from chipdoctor.model import HEALTHY, REPORT_FORMAT

#: One report, as JSON text (a gzip file's content once decompressed): a real report is a few
#: tens of KiB; a hundred times that is still a report, more is not.
MAX_REPORT_BYTES = 4 << 20
#: Reports in one comparison (files, directory entries and stdin lines together).
MAX_REPORTS = 100_000
#: Distinct component ids in one comparison: chipdoctor knows some 30; every node row has a
#: cell and every id an absent-node list, so a report naming thousands would multiply them.
MAX_COMPONENT_IDS = 256
SUFFIXES = (".json", ".json.gz")


@dataclass(frozen=True)
class NodeReport:
    """What the comparison needs of one node's chipdoctor-report/1."""

    name: str
    source: str
    status: str
    incomplete: bool
    components: dict[str, str]
    devices: int
    healthy: int
    #: The ids of its own error findings, so a failed node says why.
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unreadable:
    """An input that is not a report, and why."""

    source: str
    reason: str


@dataclass
class Inputs:
    reports: list[NodeReport] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)


def read_all(arguments: Iterable[str], stdin: IO[bytes] | None = None) -> Inputs:
    """Every report the arguments name (`-` is JSON lines on `stdin`)."""
    out = Inputs()
    seen: dict[str, str] = {}
    ids: set[str] = set()
    for source, raw in _documents(arguments, stdin):
        if isinstance(raw, Unreadable):
            out.unreadable.append(raw)
            continue
        try:
            report = parse(raw, source)
        except ValueError as exc:
            out.unreadable.append(Unreadable(source, str(exc)))
            continue
        if report.name in seen:
            reason = f"node {report.name!r} was already read from {seen[report.name]}"
            out.unreadable.append(Unreadable(source, reason))
            continue
        new = report.components.keys() - ids
        if len(ids) + len(new) > MAX_COMPONENT_IDS:
            reason = f"brings the component ids compared past {MAX_COMPONENT_IDS}"
            out.unreadable.append(Unreadable(source, reason))
            continue
        ids |= new
        seen[report.name] = source
        out.reports.append(report)
    return out


def _documents(
    arguments: Iterable[str], stdin: IO[bytes] | None
) -> Iterator[tuple[str, bytes | Unreadable]]:
    count = 0
    for argument in arguments:
        for source, raw in _one_argument(argument, stdin):
            count += 1
            if count > MAX_REPORTS:
                raise BadInput(f"more than {MAX_REPORTS} reports to compare")
            yield source, raw


def _one_argument(
    argument: str, stdin: IO[bytes] | None
) -> Iterator[tuple[str, bytes | Unreadable]]:
    if argument == "-":
        if stdin is None:
            raise BadInput("- names stdin, which is not available")
        yield from _lines(stdin)
        return
    # NOTE: os.path.isdir, not Path.is_dir: it is False for a name the OS refuses (too long).
    if os.path.isdir(argument):  # noqa: PTH112
        yield from _directory(Path(argument))
        return
    yield argument, _file(argument)


def _directory(path: Path) -> Iterator[tuple[str, bytes | Unreadable]]:
    """The directory's `*.json` and `*.json.gz` files, sorted; subdirectories are not entered."""
    names: list[str] = []
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.name.endswith(SUFFIXES) and not entry.name.startswith("."):
                    names.append(entry.name)
                    if len(names) > MAX_REPORTS:
                        raise BadInput(f"{path}: more than {MAX_REPORTS} reports")
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror or exc}") from None
    if not names:
        yield str(path), Unreadable(str(path), "holds no *.json or *.json.gz report")
    # NOTE: plain string paths: pathlib's parsing was a third of the time for 10,000 files.
    base = str(path)
    for name in sorted(names):
        source = f"{base}/{name}"
        yield source, _file(source)


def _file(source: str) -> bytes | Unreadable:
    try:
        raw = read_regular(source, MAX_REPORT_BYTES)
        if source.endswith(".gz") or raw[:2] == b"\x1f\x8b":
            raw = _gunzip(raw)
    except RefusedFile as exc:
        return Unreadable(source, str(exc))
    except (OSError, EOFError, zlib.error) as exc:  # zlib.error: a corrupt deflate stream
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return Unreadable(source, f"cannot be read: {reason}")
    return raw


def _gunzip(raw: bytes) -> bytes:
    """The decompressed content, refused past MAX_REPORT_BYTES however small the file (a gzip
    bomb expands a thousandfold)."""
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as unpacked:
        data = unpacked.read(MAX_REPORT_BYTES + 1)
    if len(data) > MAX_REPORT_BYTES:
        raise RefusedFile(f"decompresses past the {size_text(MAX_REPORT_BYTES)} limit")
    return data


def _lines(stream: IO[bytes]) -> Iterator[tuple[str, bytes | Unreadable]]:
    """One report per line; blank lines skipped; a line past the limit skipped to its end.
    A stdin with no report at all is listed, as an empty directory is: nothing read is no pass."""
    number = yielded = 0
    while True:
        line = stream.readline(MAX_REPORT_BYTES + 1)
        if not line:
            if not yielded:
                yield "stdin", Unreadable("stdin", "holds no report")
            return
        number += 1
        source = f"stdin:{number}"
        if len(line) > MAX_REPORT_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield source, Unreadable(source, f"is over the {size_text(MAX_REPORT_BYTES)} limit")
            yielded += 1
            continue
        if line.strip():
            yield source, line
            yielded += 1


def parse(raw: bytes, source: str) -> NodeReport:
    """The comparison's view of one report; ValueError says why `raw` is not a report."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        # NOTE: RecursionError: json takes a Python frame per `[`; a deep document is no report.
        raise ValueError(f"is not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != REPORT_FORMAT:
        raise ValueError(f'is not a chipdoctor report (no "format": "{REPORT_FORMAT}")')
    status = doc.get("status")
    if status not in ("ok", "warning", "error"):
        raise ValueError(f"status {status!r} is not ok, warning or error")
    host = doc.get("host")
    if host is not None and not (isinstance(host, str) and host.strip()):
        raise ValueError("host is not a name")
    devices = _list(doc, "devices")
    return NodeReport(
        name=host if host is not None else _name_from(source),
        source=source,
        status=status,
        incomplete=doc.get("incomplete") is True,
        components=_components(_list(doc, "components")),
        devices=len(devices),
        healthy=sum(1 for d in devices if _health(d) in HEALTHY),
        errors=tuple(_error_ids(_list(doc, "findings"))),
    )


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list")
    return value


def _components(items: list[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("a component is not an object")
        cid, version = item.get("id"), item.get("version")
        if not isinstance(cid, str) or not isinstance(version, str):
            raise ValueError("a component without a text id and version")
        # NOTE: a component found twice (two CUDA toolkits) compares as all its versions.
        out[cid] = f"{out[cid]}, {version}" if cid in out and out[cid] != version else version
    return out


def _health(device: Any) -> str:
    if not isinstance(device, dict):
        raise ValueError("a device is not an object")
    health = device.get("health")
    return health.upper() if isinstance(health, str) else ""


def _error_ids(findings: list[Any]) -> Iterator[str]:
    for finding in findings:
        if not isinstance(finding, dict):
            raise ValueError("a finding is not an object")
        if finding.get("severity") == "error" and isinstance(finding.get("id"), str):
            yield finding["id"]


def _name_from(source: str) -> str:
    """A report without `host` (an older chipdoctor) is named by its file."""
    name = Path(source).name
    for suffix in SUFFIXES[::-1]:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
