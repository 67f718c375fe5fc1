"""What a refresh changed in a matrix, and the hand-curated rows its new rows disagree with."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from chipdoctor.matrix.model import COMPATIBLE, Matrix, Row

GENERATOR = "generator"
#: A hand row's field saying why it may differ from a generated row (see docs/data-refresh.md).
REVIEWED = "reviewed"


def generator_of(row: Row) -> str:
    return row.extra.get(GENERATOR, "")


@dataclass(frozen=True)
class Entry:
    table: str
    row: Row
    text: str


@dataclass
class MatrixDiff:
    stack: str
    generator: str
    added: list[Entry] = field(default_factory=list)
    changed: list[tuple[Entry, Entry]] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    #: (hand row, generated row, how they differ)
    contradicted: list[tuple[Entry, Entry, str]] = field(default_factory=list)
    #: the same, for hand rows whose `reviewed:` explains the difference
    reviewed: list[tuple[Entry, Entry, str]] = field(default_factory=list)
    #: (hand row, generated row) saying the same: the hand row may go
    repeated: list[tuple[Entry, Entry]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: generated sources that are new, or now read at another URL (another commit)
    sources: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed or self.sources)


def compare(before: Matrix, after: Matrix, generator: str) -> MatrixDiff:
    diff = MatrixDiff(after.stack, generator)
    diff.sources = [
        f"{source.id}: {source.url}"
        + ("" if source.id not in before.sources else f" (was {before.sources[source.id].url})")
        for source in after.sources.values()
        if source.id not in before.sources or before.sources[source.id].url != source.url
    ]
    old = _keyed(before, lambda row: generator_of(row) == generator)
    new = _keyed(after, lambda row: generator_of(row) == generator)
    for key, entry in new.items():
        if key not in old:
            diff.added.append(entry)
        elif _content(old[key].row) != _content(entry.row):
            diff.changed.append((old[key], entry))
    diff.removed = [entry for key, entry in old.items() if key not in new]
    for table in after.tables.values():
        hand = [row for row in table.rows if not generator_of(row)]
        for made in (row for row in table.rows if generator_of(row) == generator):
            for row in hand:
                if not set(row.patterns(table.key)) & set(made.patterns(table.key)):
                    continue
                pair = (_entry(table.name, row), _entry(table.name, made))
                why = _disagreement(row, made, table.key)
                if why:
                    known = diff.reviewed if row.extra.get(REVIEWED) else diff.contradicted
                    known.append((*pair, why))
                elif _claims(row) == _claims(made):
                    diff.repeated.append(pair)
    return diff


RowKey = tuple[str, tuple[str, ...], int]


def _keyed(matrix: Matrix, wanted: Callable[[Row], bool]) -> dict[RowKey, Entry]:
    """Rows by (table, key patterns, occurrence): the identity a row keeps across refreshes."""
    out = {}
    for table in matrix.tables.values():
        seen: Counter[tuple[str, ...]] = Counter()
        for row in table.rows:
            if not wanted(row):
                continue
            key = row.patterns(table.key)
            out[(table.name, key, seen[key])] = _entry(table.name, row)
            seen[key] += 1
    return out


def _content(row: Row) -> tuple[object, ...]:
    values = tuple(sorted((k, v) for k, v in row.values.items()))
    extra = tuple(sorted(row.extra.items()))
    return (values, row.verdict, row.note, extra, row.cards, row.sources)


def _claims(row: Row) -> tuple[dict[str, frozenset[str]], str]:
    """What a row says, whatever order its patterns are written in."""
    return {k: frozenset(v) for k, v in row.values.items()}, row.verdict


def _disagreement(hand: Row, made: Row, key: str) -> str:
    if hand.verdict != made.verdict:
        return f"verdict {hand.verdict} vs {made.verdict}"
    for component in sorted(set(hand.values) & set(made.values) - {key}):
        if set(hand.values[component]) != set(made.values[component]):
            return (
                f"{component} {', '.join(hand.values[component])} vs "
                f"{', '.join(made.values[component])}"
            )
    return ""


def _entry(table: str, row: Row) -> Entry:
    values = " ".join(f"{k}={','.join(v)}" for k, v in row.values.items())
    verdict = "" if row.verdict == COMPATIBLE else f" ({row.verdict})"
    return Entry(table, row, f"{table}: {values}{verdict} [{', '.join(row.sources)}]")


def render(
    diffs: list[MatrixDiff], matrix_files: dict[str, str], source_urls: dict[str, str]
) -> str:
    """The Markdown summary a maintainer reviews (and the scheduled workflow puts in its PR)."""
    out = ["# Matrix refresh", ""]
    total = sum(len(d.added) + len(d.changed) + len(d.removed) for d in diffs)
    out.append(f"{total} generated row(s) added, changed or removed.")
    open_ = sum(len(d.contradicted) for d in diffs)
    known = sum(len(d.reviewed) for d in diffs)
    out.append(
        f"{open_} contradiction(s) of a hand-curated row to review, {known} reviewed difference(s)."
    )
    for diff in diffs:
        out += ["", f"## {diff.generator} -> {matrix_files.get(diff.stack, diff.stack)}", ""]
        out.append(
            f"added {len(diff.added)}, changed {len(diff.changed)}, removed {len(diff.removed)}"
        )
        out += [f"- added: {e.text}" for e in diff.added]
        out += [f"- changed: {a.text}\n  now: {b.text}" for a, b in diff.changed]
        out += [f"- removed: {e.text}" for e in diff.removed]
        if diff.contradicted:
            out += ["", "Hand-curated rows a generated row contradicts (review them by hand):"]
            out += [
                f"- {_where(h)} {h.text}\n  generated: {g.text}\n  differs in: {why}"
                for h, g, why in diff.contradicted
            ]
        if diff.reviewed:
            out += ["", "Reviewed differences (the hand row's `reviewed:` says why):"]
            out += [
                f"- {_where(h)} {h.text}\n  generated: {g.text}\n  differs in: {why}\n"
                f"  reviewed: {h.row.extra[REVIEWED]}"
                for h, g, why in diff.reviewed
            ]
        if diff.repeated:
            out += ["", "Hand-curated rows a generated row now repeats (they may be removed):"]
            out += [f"- {_where(h)} {h.text}" for h, _ in diff.repeated]
        if diff.sources:
            out += ["", "Sources new or read at another commit:"]
            out += [f"- {line}" for line in diff.sources]
        if diff.skipped:
            out += ["", "Published but not generated:"]
            out += [f"- {line}" for line in diff.skipped]
    sources = sorted({s for d in diffs for e in d.added for s in e.row.sources})
    if sources:
        out += ["", "Sources of the added rows:"]
        out += [f"- {s}: {source_urls.get(s, '?')}" for s in sources]
    return "\n".join(out) + "\n"


def _where(entry: Entry) -> str:
    """`ascend.yaml:367`: the summary is read in a pull request, where only the file name helps."""
    return entry.row.origin.rsplit("/", 1)[-1]
