"""The loaded matrices: tables of rows, each row a set of component versions that go together."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chipdoctor.versions import InvalidVersion, scheme_for

if TYPE_CHECKING:
    from chipdoctor.matrix.store import DataSource

COMPATIBLE = "compatible"
INCOMPATIBLE = "incompatible"


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str
    retrieved: str


@dataclass(frozen=True)
class Row:
    """One published statement: these component versions do (or do not) work together."""

    values: Mapping[str, tuple[str, ...]]
    sources: tuple[str, ...]
    origin: str  # FILE:LINE, for messages and lint
    verdict: str = COMPATIBLE
    note: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)
    #: The card models the row is limited to (`card:`); empty when it holds for every card.
    cards: tuple[str, ...] = ()

    def patterns(self, component: str) -> tuple[str, ...]:
        return self.values.get(component, ())

    def matches(self, component: str, version: str) -> bool:
        """Whether `version` fits this row; a row silent about the component says nothing."""
        patterns = self.values.get(component)
        if patterns is None:
            return False
        scheme = scheme_for(component)
        for pattern in patterns:
            try:
                if scheme.matches(pattern, version):
                    return True
            except InvalidVersion:
                continue
        return False

    def first(self, component: str) -> str:
        patterns = self.values.get(component, ())
        return patterns[0] if patterns else ""


@dataclass
class Table:
    name: str
    key: str
    description: str
    rows: list[Row]
    #: The distributions (PEP 503 names) the table's rows name besides component ids
    #: (`packages:`): ecosystem packages such as vllm-ascend that are no component of a stack.
    packages: tuple[str, ...] = ()

    def lookup(self, version: str) -> list[Row]:
        """Rows whose key component matches `version`, in file order (site rows first)."""
        return [row for row in self.rows if row.matches(self.key, version)]


@dataclass
class Matrix:
    """Every table of one stack, merged from the bundled file and any `--matrix` files."""

    stack: str
    sources: dict[str, Source]
    tables: dict[str, Table]
    files: list[str]
    #: The date the data was last refreshed (`updated:`), "" when the file does not say.
    updated: str = ""
    #: The newest release of a component the data knows of (`newest:`), beside its rows.
    newest: dict[str, str] = field(default_factory=dict)
    #: The newest version of each component the data names (rules.data fills it once).
    known: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    def table(self, name: str) -> Table:
        return self.tables.get(name) or Table(name, "", "", [])

    def short_origin(self, row: Row) -> str:
        """`ascend.yaml:12` for a bundled row, the full path for a site file's row."""
        bundled = self.files[0] if self.files else ""
        if bundled and row.origin.startswith(bundled + ":"):
            return bundled.rsplit("/", 1)[-1] + row.origin[len(bundled) :]
        return row.origin

    def source_text(self, row: Row) -> str:
        parts = []
        for source_id in row.sources:
            source = self.sources.get(source_id)
            parts.append(f"{source.title} <{source.url}>" if source else source_id)
        return "; ".join(parts)


class MatrixSet:
    """The matrices of every stack: bundled ones load on first use, site files are laid over.

    Loading lazily keeps `check` fast: a host with one stack parses one matrix file.
    """

    def __init__(
        self,
        bundled: Callable[[str], Matrix | None],
        known: list[str],
        site: list[Matrix],
        source: DataSource | None = None,
    ):
        #: Which data the matrices come from (None: built in memory, as tests do).
        self.source = source
        self._bundled = bundled
        self._known = known
        self._site = site
        self._cache: dict[str, Matrix] = {}

    @property
    def stacks(self) -> list[str]:
        return sorted({*self._known, *(m.stack for m in self._site)})

    def get(self, stack: str) -> Matrix:
        if stack not in self._cache:
            from chipdoctor.matrix.load import overlay

            matrix = self._bundled(stack) or Matrix(stack, {}, {}, [])
            for site in self._site:
                if site.stack == stack:
                    matrix = overlay(matrix, site)
            self._cache[stack] = matrix
        return self._cache[stack]

    def __iter__(self) -> Iterator[Matrix]:
        return iter([self.get(stack) for stack in self.stacks])
