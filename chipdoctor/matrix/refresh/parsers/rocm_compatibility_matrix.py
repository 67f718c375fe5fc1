"""AMD's ROCm compatibility matrix as the ROCm documentation keeps it: a CSV whose first row names
the ROCm releases (one column each) and whose "Tested user space versions" row, under
"KMD & USER SPACE", says which ROCm user space each release's kernel driver (KMD) supports.

The past releases are a CSV file (`compatibility-matrix-historical-6.0.csv`); the current ones
are a reStructuredText `.. csv-table::` directive inside `compatibility-matrix.rst`, whose
`:header:` option names the releases. The directive is read by the reST rules that define it (the
explicit markup line, its field-list options, the indented body) and its cells by the csv module.

Releases of one minor line that say the same become one `X.Y.x` row, as AMD's support-matrix
page writes them; a line whose releases differ gets a row per release.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from chipdoctor.matrix.refresh.model import Generated, SourceError, recorded_files

NAME = "rocm-compatibility-matrix"
_RELEASES = "ROCm Version"
_USER_SPACE = "Tested user space versions"


def parse(directory: Path) -> Generated:
    """Rows of every recorded file; a line both the current matrix and a past one give alike is
    one row citing both."""
    out = Generated(NAME, "rocm")
    said: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for recorded in recorded_files(directory):
        where = str(recorded.path)
        text = recorded.text()
        try:
            table = _rst_matrix(text) if recorded.path.suffix == ".rst" else _csv(text)
        except csv.Error as exc:
            raise SourceError(f"not CSV: {exc}", path=where) from None
        if not table or table[0][0].strip() != _RELEASES:
            raise SourceError(
                f"the first row does not name the ROCm releases ({_RELEASES})", path=where
            )
        releases = [cell.strip() for cell in table[0][1:]]
        row = next((r for r in table if r and r[0].strip() == _USER_SPACE), None)
        if row is None:
            raise SourceError(f"no {_USER_SPACE!r} row", path=where)
        source_id = f"gen-rocm-compat-{_label(recorded.path.stem)}"
        out.sources[source_id] = recorded.source(
            f"ROCm/ROCm docs/compatibility/{recorded.path.name} @ "
            f"{recorded.short_commit}: KMD & user space support per ROCm release"
        )
        for driver, spaces in _by_line(releases, row[1:], where):
            said.setdefault((driver, tuple(spaces)), []).append(source_id)
    for (driver, supported), sources in said.items():
        cited: str | list[str] = sources[0] if len(sources) == 1 else sources
        out.add(
            "kmd_userspace", {"amdgpu_driver": driver, "rocm": list(supported), "source": cited}
        )
    out.skipped.append(
        "the framework, library and OS rows: what AMD tests with each release, not which "
        "PyTorch wheels exist (torch_rocm) or what a KMD runs"
    )
    return out


def _label(stem: str) -> str:
    """`compatibility-matrix-historical-6.0` -> `historical-6.0`; the current one is `current`."""
    return (
        stem.replace("compatibility-matrix-", "") if stem != "compatibility-matrix" else "current"
    )


def _csv(text: str, *, rst: bool = False) -> list[list[str]]:
    """Rows of CSV text; in reST, as docutils' csv-table reads it, space after a comma is not
    part of the next cell (`"6.3.3", "6.3.2"`)."""
    return list(csv.reader(io.StringIO(text), skipinitialspace=rst))


_DIRECTIVE = ".. csv-table::"


def _rst_matrix(text: str) -> list[list[str]]:
    """The `.. csv-table::` of the document whose header names the ROCm releases, as rows: the
    header first. A table whose body is another file (`:file:`) has no header option and is
    passed over."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() != _DIRECTIVE:
            continue
        options, body = _directive(lines, i)
        header = _csv(options.get("header", ""), rst=True)
        if header and header[0] and header[0][0].strip() == _RELEASES:
            return [header[0], *_csv("\n".join(body), rst=True)]
    return []


def _directive(lines: list[str], start: int) -> tuple[dict[str, str], list[str]]:
    """A directive's options (`:name: value` lines right after it) and its body: the lines
    indented deeper than the directive, dedented, up to the first line that is not."""
    indent = len(lines[start]) - len(lines[start].lstrip())
    block: list[str] = []
    for line in lines[start + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        block.append(line)
    while block and not block[-1].strip():
        block.pop()
    options: dict[str, str] = {}
    at = 0
    while at < len(block) and block[at].strip().startswith(":"):
        name, _colon, value = block[at].strip()[1:].partition(":")
        options[name.strip()] = value.strip()
        at += 1
    body = block[at:]
    depth = min((len(line) - len(line.lstrip()) for line in body if line.strip()), default=0)
    return options, [line[depth:] for line in body]


def _by_line(releases: list[str], cells: list[str], where: str) -> list[tuple[str, list[str]]]:
    """(KMD release or `X.Y.x` line, the user space versions it supports), newest first."""
    said: dict[str, list[tuple[str, list[str]]]] = {}
    for release, cell in zip(releases, cells):
        spaces = [part.strip() for part in cell.split(",") if part.strip()]
        parts = release.split(".")
        if len(parts) < 2 or not all(p.isdigit() for p in parts) or not spaces:
            raise SourceError(f"ROCm {release!r}: cannot read {cell!r}", path=where)
        said.setdefault(".".join(parts[:2]) + ".x", []).append((release, spaces))
    out = []
    for line, entries in said.items():
        if all(spaces == entries[0][1] for _, spaces in entries):
            out.append((line, entries[0][1]))
        else:
            out.extend(entries)
    return out
