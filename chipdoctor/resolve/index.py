"""Fast lookups over matrix tables, so resolving stays quick on tables of thousands of rows.

`Table.lookup` tests every row; the resolver asks the same questions thousands of times, so
plain patterns are indexed by their parsed form and every pattern test is memoised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Generic, TypeVar

from chipdoctor.matrix.model import Matrix, Row, Table
from chipdoctor.versions import InvalidVersion, VendorVersion, public_version, scheme_for

_OPERATOR_CHARS = frozenset("<>=!~,*")


@lru_cache(maxsize=1 << 16)
def is_concrete(pattern: str) -> bool:
    """A plain version (`8.2.RC1`, `2.1.0.post10`), not a range or a `.X` wildcard."""
    text = pattern.strip()
    return bool(text) and not (_OPERATOR_CHARS & set(text)) and not text.lower().endswith(".x")


@lru_cache(maxsize=1 << 16)
def concrete(pattern: str) -> str | None:
    """A version a pattern names: itself when plain, the line of a `25.5.X` wildcard (25.5)."""
    text = pattern.strip()
    if is_concrete(text):
        return text
    if text.lower().endswith(".x") and not (_OPERATOR_CHARS & set(text[:-2])):
        return text[:-2]
    return None


@lru_cache(maxsize=1 << 18)
def matches(component: str, pattern: str, version: str) -> bool:
    """`Scheme.matches`, memoised; an unreadable pattern or version matches nothing."""
    try:
        return scheme_for(component).matches(pattern, version)
    except InvalidVersion:
        return False


#: A plain release with an optional `.postN` (most torch_npu builds), keyed without packaging's
#: parser, which was most of indexing a large table; longer numbers take the checked path.
_SIMPLE_PEP440 = re.compile(r"([0-9]{1,64}(?:\.[0-9]{1,64})*)(?:\.post([0-9]{1,64}))?", re.ASCII)


@lru_cache(maxsize=1 << 16)
def _key(component: str, text: str) -> object:
    """Equal for versions that are equal: vendor tokens, or PEP 440's (epoch, release without
    trailing zeros, pre, post, dev) as packaging compares them (a local tag never reaches here)."""
    scheme = scheme_for(component)
    if scheme.grammar != "vendor":
        text = public_version(text)
        simple = _SIMPLE_PEP440.fullmatch(text)
        if simple is not None:
            release = tuple(int(n) for n in simple.group(1).split("."))
            post = simple.group(2)
            return (0, _stripped(release), None, None if post is None else int(post), None)
    try:
        parsed = scheme.parse(text)
    except InvalidVersion:
        return None
    if isinstance(parsed, VendorVersion):
        return parsed.tokens
    return (parsed.epoch, _stripped(parsed.release), parsed.pre, parsed.post, parsed.dev)


def _stripped(release: tuple[int, ...]) -> tuple[int, ...]:
    """`2.1.0` is `2.1`: trailing zeros dropped, as packaging compares releases."""
    end = len(release)
    while end and release[end - 1] == 0:
        end -= 1
    return release[:end]


class RowIndex:
    """A table's rows by key: plain patterns in a dict, the rest tested one by one.

    A plain vendor pattern matches every version that starts with its tokens (`8.0.RC3`
    matches `8.0.RC3.20`), so a lookup tries each token prefix of the version; a plain PEP 440
    pattern matches its own version ignoring a local tag the pattern lacks.
    """

    def __init__(self, table: Table) -> None:
        self.key = table.key
        self.vendor = bool(table.key) and scheme_for(table.key).grammar == "vendor"
        self._plain: dict[object, list[tuple[int, Row]]] = {}
        self._rest: list[tuple[int, str, Row]] = []
        for position, row in enumerate(table.rows):
            for pattern in row.patterns(table.key):
                key = self._plain_key(pattern)
                if key is None:
                    self._rest.append((position, pattern, row))
                else:
                    self._plain.setdefault(key, []).append((position, row))

    def _plain_key(self, pattern: str) -> object:
        if not is_concrete(pattern) or (not self.vendor and "+" in pattern):
            return None
        return _key(self.key, pattern)

    def lookup(self, version: str) -> list[Row]:
        """Rows whose key matches `version`, in file order, each once."""
        hits: dict[int, Row] = {}
        parsed = _key(self.key, version)
        if parsed is not None:
            if self.vendor:
                assert isinstance(parsed, tuple)
                for length in range(1, len(parsed) + 1):
                    for position, row in self._plain.get(parsed[:length], ()):
                        hits.setdefault(position, row)
            else:
                for position, row in self._plain.get(parsed, ()):
                    hits.setdefault(position, row)
        for position, pattern, row in self._rest:
            if position not in hits and matches(self.key, pattern, version):
                hits[position] = row
        return [hits[p] for p in sorted(hits)]


@lru_cache(maxsize=1 << 16)
def newest_key(component: str, version: str) -> tuple[int, object]:
    """Sorts versions newest first; one the component's scheme cannot read sorts last."""
    try:
        parsed = scheme_for(component).parse(version)
    except InvalidVersion:
        return (1, version)
    return (0, _Descending(parsed))


def newest_first(component: str, versions: Iterable[str]) -> list[str]:
    """The versions, each once, newest first."""
    return sorted(dict.fromkeys(versions), key=lambda v: newest_key(component, v))


class _Descending:
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return bool(self.value > other.value)  # type: ignore[operator]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and bool(self.value == other.value)

    def __hash__(self) -> int:
        return hash(self.value)


IndexT = TypeVar("IndexT")


class PerMatrix(Generic[IndexT]):
    """A stack's index of a matrix, built once per loaded matrix (a loaded matrix never
    changes), so every resolve on it reuses the same lookups."""

    def __init__(self, build: Callable[[Matrix], IndexT]) -> None:
        self._build = build
        self._built: dict[int, tuple[Matrix, IndexT]] = {}

    def __call__(self, matrix: Matrix) -> IndexT:
        hit = self._built.get(id(matrix))
        if hit is None or hit[0] is not matrix:
            hit = self._built[id(matrix)] = (matrix, self._build(matrix))
        return hit[1]
