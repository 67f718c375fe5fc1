"""Load and validate matrix files; every problem is reported as FILE:LINE: message."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chipdoctor.components import ALL_COMPONENTS
from chipdoctor.errors import BadInput
from chipdoctor.matrix.model import COMPATIBLE, INCOMPATIBLE, Matrix, MatrixSet, Row, Source, Table
from chipdoctor.matrix.store import DataSource, active, bundled_dir
from chipdoctor.versions import InvalidVersion, scheme_for

if TYPE_CHECKING:
    from chipdoctor.yamlio import LocatedYaml, YamlPath

MATRIX_FORMAT = "chipdoctor-matrix/1"
_ROW_TEXT_FIELDS = ("note", "branch", "generator", "reviewed")
_ROW_FIELDS = {"source", "verdict", "card", *_ROW_TEXT_FIELDS}
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
#: A distribution's PEP 503 name, as `packages:` declares it.
_PACKAGE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def bundled_files() -> list[Path]:
    return sorted(bundled_dir().glob("*.yaml"))


def load_matrices(extra: Iterable[str | Path] = (), source: DataSource | None = None) -> MatrixSet:
    """The data in use (store.active(): bundled or updated, whichever is newer) with each
    `--matrix` file laid over it, in the order given.

    Site files are read (and validated) now; a data file only when its stack is asked for.
    """
    data = source or active()
    folder = Path(data.path)
    files = {path.stem: path for path in sorted(folder.glob("*.yaml"))}

    def load(stack: str) -> Matrix | None:
        # NOTE: looked up among the files, as a site's stack is any text
        return load_file(files[stack]) if stack in files else None

    site = [load_file(path) for path in extra]
    return MatrixSet(load, sorted(files), site, data)


def _bundled_path(stack: str) -> Path | None:
    return next((path for path in bundled_files() if path.stem == stack), None)


def overlay(base: Matrix, site: Matrix) -> Matrix:
    """Site rows first; a site row replaces the bundled rows with the same key patterns."""
    tables = dict(base.tables)
    for name, table in site.tables.items():
        old = tables.get(name)
        if old is None:
            tables[name] = table
            continue
        if old.key != table.key:
            where = old.rows[0].origin if old.rows else "the bundled matrix"
            raise BadInput(
                f"table {name!r} is keyed by {table.key!r} here but by {old.key!r} in {where}",
                path=site.files[0],
            )
        replaced = {row.patterns(table.key) for row in table.rows}
        kept = [row for row in old.rows if row.patterns(old.key) not in replaced]
        packages = tuple(dict.fromkeys((*old.packages, *table.packages)))
        tables[name] = Table(name, old.key, old.description, [*table.rows, *kept], packages)
    return Matrix(
        base.stack,
        {**base.sources, **site.sources},
        tables,
        [*base.files, *site.files],
        updated=base.updated,
        newest={**base.newest, **site.newest},
    )


def load_file(path: str | Path) -> Matrix:
    """One matrix file; a site file's tables must be keyed like the bundled ones they extend."""
    from chipdoctor.yamlio import read_yaml  # a host without accelerators reads no matrix

    doc = read_yaml(path)
    matrix = build_matrix(doc)
    bundled = _bundled_path(matrix.stack)
    if bundled is not None and Path(path).resolve() != bundled.resolve():
        _check_keys_against(doc, matrix, load_file(bundled))
    return matrix


def _check_keys_against(doc: LocatedYaml, site: Matrix, base: Matrix) -> None:
    """A site table laid over a bundled one must have its key, or its rows could not replace."""
    for name, table in site.tables.items():
        old = base.tables.get(name)
        if old is not None and old.key != table.key:
            raise doc.error(
                ("tables", name, "key"),
                f"table {name!r} is keyed by {table.key!r} here but by {old.key!r} in "
                f"the bundled {base.files[0]}",
            )


def build_matrix(doc: LocatedYaml) -> Matrix:
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "a matrix file is a mapping with format, stack, sources and tables")
    _expect_keys(
        doc,
        (),
        data,
        required={"format", "stack", "tables"},
        allowed={"sources", "updated", "newest"},
    )
    if data["format"] != MATRIX_FORMAT:
        raise doc.error(("format",), f"format must be {MATRIX_FORMAT!r}, not {data['format']!r}")
    stack = data["stack"]
    if not isinstance(stack, str) or not _ID.match(stack):
        raise doc.error(
            ("stack",), "stack must be a lower-case name such as 'ascend' (64 characters at most)"
        )
    sources = _sources(doc, data.get("sources") or {})
    tables_data = data["tables"]
    if not isinstance(tables_data, dict) or not tables_data:
        raise doc.error(("tables",), "tables must be a mapping of table name to table")
    for name in tables_data:
        if not isinstance(name, str):
            raise doc.error(("tables", name), f"table name {name!r} must be text")
    tables = {
        name: _table(doc, ("tables", name), name, body, sources)
        for name, body in tables_data.items()
    }
    return Matrix(
        stack,
        sources,
        tables,
        [doc.path],
        updated=_updated(doc, data.get("updated")),
        newest=_newest(doc, data.get("newest") or {}),
    )


def _updated(doc: LocatedYaml, value: Any) -> str:
    import datetime  # the YAML reader has imported it already: not a start-up cost of its own

    if value is None:
        return ""
    if isinstance(value, datetime.date):  # YAML reads an unquoted 2026-12-06 as a date
        value = value.isoformat()
    if not isinstance(value, str) or not _DATE.match(value):
        raise doc.error(("updated",), 'updated must be a quoted date such as "2026-12-06"')
    return value


def _newest(doc: LocatedYaml, data: Any) -> dict[str, str]:
    """`newest:`: the newest release of each component the data's sources publish, whether or
    not a row pairs it yet; a newer installed version is beyond what the data can judge."""
    if not isinstance(data, dict):
        raise doc.error(("newest",), "newest must be a mapping of component id to version")
    out = {}
    for component, version in data.items():
        where: YamlPath = ("newest", component)
        if not isinstance(component, str) or component not in ALL_COMPONENTS:
            raise doc.error(where, f"newest: {component!r} is not a component id")
        if not isinstance(version, str):
            raise doc.error(where, f"newest: {component}: version {version!r} must be a string")
        try:
            scheme_for(component).parse(version)
        except InvalidVersion as exc:
            raise doc.error(where, f"newest: {component}: {exc}") from None
        out[component] = version
    return out


def _sources(doc: LocatedYaml, data: Any) -> dict[str, Source]:
    if not isinstance(data, dict):
        raise doc.error(("sources",), "sources must be a mapping of source id to title/url")
    out = {}
    for source_id, body in data.items():
        where: YamlPath = ("sources", source_id)
        if not isinstance(body, dict):
            raise doc.error(where, f"source {source_id!r} must be a mapping with title and url")
        _expect_keys(doc, where, body, required={"title", "url"}, allowed={"retrieved", "note"})
        for field in ("title", "url"):
            if not isinstance(body[field], str) or not body[field].strip():
                raise doc.error((*where, field), f"source {source_id!r}: {field} must be text")
        out[str(source_id)] = Source(
            str(source_id), body["title"], body["url"], str(body.get("retrieved", ""))
        )
    return out


def _table(
    doc: LocatedYaml, where: YamlPath, name: str, body: Any, sources: dict[str, Source]
) -> Table:
    if not isinstance(body, dict):
        raise doc.error(where, f"table {name!r} must be a mapping with key and rows")
    _expect_keys(doc, where, body, required={"key", "rows"}, allowed={"description", "packages"})
    packages = _packages(doc, (*where, "packages"), name, body.get("packages", []))
    key = body["key"]
    if not isinstance(key, str) or (key not in ALL_COMPONENTS and key not in packages):
        raise doc.error(
            (*where, "key"),
            f"table {name!r}: key {key!r} is not a component id nor one of its packages",
        )
    rows_data = body["rows"]
    if not isinstance(rows_data, list):
        raise doc.error((*where, "rows"), f"table {name!r}: rows must be a list")
    names = ALL_COMPONENTS | frozenset(packages)
    rows = [
        _row(doc, (*where, "rows", index), row, sources, (key, names))
        for index, row in enumerate(rows_data)
    ]
    return Table(name, key, str(body.get("description", "")), rows, packages)


def _packages(doc: LocatedYaml, where: YamlPath, name: str, value: Any) -> tuple[str, ...]:
    """`packages:`, the distributions a table's rows may name besides component ids (their
    versions are PEP 440); a component id is not repeated there."""
    if not isinstance(value, list):
        raise doc.error(where, f"table {name!r}: packages must be a list of distribution names")
    for item in value:
        if not isinstance(item, str) or not _PACKAGE.match(item) or item in ALL_COMPONENTS:
            raise doc.error(
                where,
                f"table {name!r}: package {item!r} must be a lower-case PEP 503 name such as "
                "'vllm-ascend', and no component id",
            )
    return tuple(value)


def _row(
    doc: LocatedYaml,
    where: YamlPath,
    data: Any,
    sources: dict[str, Source],
    shape: tuple[str, frozenset[str]],
) -> Row:
    """One row; `shape` is the table's key and every name its rows may carry."""
    key, names = shape
    if not isinstance(data, dict):
        raise doc.error(where, "a row must be a mapping of component id to version(s)")
    unknown = sorted((k for k in data if k not in _ROW_FIELDS and k not in names), key=str)
    if unknown:
        raise doc.error(
            (*where, unknown[0]),
            f"unknown field {unknown[0]!r} (not a component id nor a package of the table)",
        )
    if key not in data:
        raise doc.error(where, f"row lacks its key component {key!r}")
    values = {
        component: _patterns(doc, (*where, component), component, value)
        for component, value in data.items()
        if component in names
    }
    generator = data.get("generator")
    if generator is not None and not (isinstance(generator, str) and _ID.match(generator)):
        raise doc.error(
            (*where, "generator"), "generator must be a parser name such as 'pta-release-notes'"
        )
    reviewed = data.get("reviewed")
    if reviewed is not None and (generator is not None or not str(reviewed).strip()):
        raise doc.error(
            (*where, "reviewed"),
            "reviewed must say why a hand-curated row differs from a generated one "
            "(generated rows carry none)",
        )
    return Row(
        values=values,
        sources=_row_sources(doc, where, data.get("source"), sources),
        origin=f"{doc.path}:{doc.line(where)}",
        verdict=_verdict(doc, where, data.get("verdict", COMPATIBLE)),
        note=str(data.get("note", "")),
        extra={f: str(data[f]) for f in _ROW_TEXT_FIELDS if f in data and f != "note"},
        cards=_cards(doc, where, data.get("card")),
    )


def _cards(doc: LocatedYaml, where: YamlPath, value: Any) -> tuple[str, ...]:
    """The card models a row is limited to (`card:`, one name or a list); () for every card."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item.strip() for item in items):
        raise doc.error((*where, "card"), "card must be a card model name or a list of them")
    return tuple(item.strip() for item in items)


def _patterns(doc: LocatedYaml, where: YamlPath, component: str, value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise doc.error(where, f"{component}: an empty list matches nothing")
    scheme = scheme_for(component)
    out = []
    for item in items:
        if not isinstance(item, str):
            hint = (
                " (quote it: YAML reads 3.10 as the number 3.1)" if isinstance(item, float) else ""
            )
            raise doc.error(where, f"{component}: version {item!r} must be a quoted string{hint}")
        try:
            scheme.validate_pattern(item)
        except InvalidVersion as exc:
            raise doc.error(where, f"{component}: {exc}") from None
        out.append(item)
    return tuple(out)


def _row_sources(
    doc: LocatedYaml, where: YamlPath, value: Any, sources: dict[str, Source]
) -> tuple[str, ...]:
    if value is None:
        raise doc.error(where, "row has no source: every row cites where it came from")
    ids = value if isinstance(value, list) else [value]
    for source_id in ids:
        if not isinstance(source_id, str) or source_id not in sources:
            raise doc.error(
                (*where, "source"), f"source {source_id!r} is not defined under sources"
            )
    return tuple(ids)


def _verdict(doc: LocatedYaml, where: YamlPath, value: Any) -> str:
    if value not in (COMPATIBLE, INCOMPATIBLE):
        raise doc.error((*where, "verdict"), f"verdict must be {COMPATIBLE!r} or {INCOMPATIBLE!r}")
    return str(value)


def _expect_keys(
    doc: LocatedYaml,
    where: YamlPath,
    data: dict[str, Any],
    *,
    required: set[str],
    allowed: set[str],
) -> None:
    for name in sorted(required - set(data)):
        raise doc.error(where, f"missing {name!r}")
    for name in data:
        if name not in required | allowed:
            raise doc.error((*where, name), f"unknown field {name!r}")
