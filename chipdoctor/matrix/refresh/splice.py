"""Write a generator's rows into a matrix file as marked blocks, leaving every other line as it is.

A block sits right under the `sources:` key or a table's `rows:` key, between
`# >>> generated: NAME (WHERE)` and `# <<< generated: NAME (WHERE)`. The next refresh replaces
the block whole; hand-written rows and comments outside it are never touched.
"""

from __future__ import annotations

import json
from typing import Any

from chipdoctor.errors import BadInput
from chipdoctor.matrix.refresh.model import RowData
from chipdoctor.yamlio import LocatedYaml

_ROW_ORDER = ("verdict", "branch", "note", "source", "generator")


def begin_marker(name: str, where: str) -> str:
    return f"# >>> generated: {name} ({where}) - scripts/refresh_matrices.py rewrites this block"


def end_marker(name: str, where: str) -> str:
    return f"# <<< generated: {name} ({where})"


def splice(
    text: str,
    doc: LocatedYaml,
    name: str,
    sources: dict[str, dict[str, str]],
    rows: dict[str, list[RowData]],
) -> str:
    """`text` with the blocks of generator `name` replaced by these sources and rows."""
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, str, list[list[str]]]] = [
        (doc.line(("sources",)), "sources", [_source(i, body) for i, body in sources.items()])
    ]
    if "sources" not in doc.data:
        raise BadInput("a matrix with generated rows needs a 'sources' mapping", path=doc.path)
    tables = doc.data.get("tables") or {}
    for table in rows:
        if table not in tables:
            raise BadInput(f"no table {table!r} to write generated rows into", path=doc.path)
    # Every table, so a table the source no longer gives rows for loses its old block.
    for table in tables:
        anchor = doc.line(("tables", table, "rows"))
        body = [_row(row, name) for row in rows.get(table, [])]
        edits.append((anchor, f"tables.{table}", body))
    # Bottom-up, so an edit never moves the line of one still to come.
    for anchor, where, body in sorted(edits, key=lambda edit: edit[0], reverse=True):
        lines = _replace(lines, anchor, name, where, body)
    return "".join(lines)


def _replace(
    lines: list[str], anchor: int, name: str, where: str, body: list[list[str]]
) -> list[str]:
    key_line = lines[anchor - 1]
    indent = " " * (len(key_line) - len(key_line.lstrip()) + 2)
    begin, end = begin_marker(name, where), end_marker(name, where)
    # The marker names generator and place, so it is unique in the file; other generators'
    # blocks may sit between it and the key.
    found = [i for i, line in enumerate(lines) if line.strip() == begin]
    start = stop = found[0] if found else anchor  # anchor: the index of the line after the key
    if found:
        ends = [i for i in range(start, len(lines)) if lines[i].strip() == end]
        if not ends:
            raise BadInput(f"the generated block of {name} under {where} has no end marker")
        stop = ends[0] + 1
    block = [
        f"{indent}{begin}\n",
        *(indent + line for item in body for line in item),
        f"{indent}{end}\n",
    ]
    return [*lines[:start], *(block if body else []), *lines[stop:]]


def _source(source_id: str, body: dict[str, str]) -> list[str]:
    out = [f"{source_id}:\n"]
    out += [f"  {key}: {_scalar(value)}\n" for key, value in body.items() if value]
    return out


def _row(row: RowData, name: str) -> list[str]:
    fields = {**row, "generator": name}
    first = [key for key in fields if key not in _ROW_ORDER]
    items = [f"{key}: {_value(fields[key])}" for key in [*first, *_ROW_ORDER] if key in fields]
    return ["- {" + ", ".join(items) + "}\n"]


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(str(value), ensure_ascii=False)
