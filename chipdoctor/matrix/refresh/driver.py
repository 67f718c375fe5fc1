"""Run every parser whose recorded source is in DIR and write its rows into the matrices."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from chipdoctor.delivery import ensure_writable, write_report
from chipdoctor.errors import BadInput
from chipdoctor.matrix.load import build_matrix
from chipdoctor.matrix.model import Matrix
from chipdoctor.matrix.refresh.diff import MatrixDiff, compare, render
from chipdoctor.matrix.refresh.model import read_source
from chipdoctor.matrix.refresh.parsers import PARSERS
from chipdoctor.matrix.refresh.splice import splice
from chipdoctor.yamlio import LocatedYaml, parse_yaml

_UPDATED = re.compile(r'^updated: "[^"\n]*"$', re.M)


@dataclass
class Outcome:
    diffs: list[MatrixDiff]
    missing: list[str]  # parsers whose source directory DIR lacks
    summary: str


def refresh(
    source_root: Path, matrices: Path, *, check: bool, summary: Path | None, force: bool
) -> tuple[str, int]:
    """`chipdoctor matrix refresh` and scripts/refresh_matrices.py: refresh (or, with `check`,
    only compare), write the summary to `summary` too, and return it with the exit status: 1
    when `check` finds the matrices behind the sources, else 0."""
    if not source_root.is_dir():
        raise BadInput("not a directory of recorded sources", path=str(source_root))
    if summary is not None:
        ensure_writable(summary, force=force)
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    outcome = run(source_root, matrices, write=not check, today=today)
    if summary is not None:
        write_report(summary, outcome.summary, force=force)
    stale = any(not diff.empty for diff in outcome.diffs)
    return outcome.summary, 1 if check and stale else 0


def run(source_root: Path, matrices: Path, *, write: bool, today: str) -> Outcome:
    """Refresh the matrices under `matrices` from `source_root/<parser name>/`.

    Without `write` nothing is written: the summary says what a refresh would change. A matrix
    that changed gets `updated: today`.
    """
    diffs: list[MatrixDiff] = []
    missing: list[str] = []
    files: dict[str, str] = {}
    urls: dict[str, str] = {}
    texts: dict[Path, str] = {}
    #: Each matrix as the last parser of its stack left it: text, document and matrix (a
    #: matrix is parsed once, then once per parser that splices into it).
    current: dict[Path, tuple[str, LocatedYaml, Matrix]] = {}
    for name, parser in PARSERS.items():
        directory = source_root / name
        if not directory.is_dir():
            missing.append(name)
            continue
        generated = parser.parse(directory)
        path = matrices / f"{parser.stack}.yaml"
        if path not in current:
            text = read_source(path)
            document = parse_yaml(text, str(path))
            current[path] = (text, document, build_matrix(document))
        before_text, before_doc, before = current[path]
        after_text = splice(before_text, before_doc, name, generated.sources, generated.rows)
        after_doc = parse_yaml(after_text, str(path))
        after = build_matrix(after_doc)
        diff = compare(before, after, name)
        diff.skipped = generated.skipped
        if not diff.empty:
            # the date line changes no line number the next splice reads
            after_text = _UPDATED.sub(f'updated: "{today}"', after_text, count=1)
        current[path] = (after_text, after_doc, after)
        texts[path] = after_text
        diffs.append(diff)
        files[parser.stack] = path.name
        urls.update({i: body["url"] for i, body in generated.sources.items()})
    if write:
        for path, text in texts.items():
            if text != read_source(path):
                # a reader never sees half a matrix: written beside it, then renamed over it
                write_report(path, text, force=True)
    summary = render(diffs, files, urls)
    if missing:
        summary += "\nNo recorded source for: " + ", ".join(missing) + "\n"
    return Outcome(diffs, missing, summary)
