"""Run every parser whose recorded source is in DIR and write its rows into the matrices."""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chipdoctor.delivery import ensure_writable, write_report
from chipdoctor.errors import BadInput
from chipdoctor.matrix.load import build_matrix
from chipdoctor.matrix.refresh.diff import MatrixDiff, compare, render
from chipdoctor.matrix.refresh.model import read_source
from chipdoctor.matrix.refresh.parsers import PARSERS
from chipdoctor.matrix.refresh.splice import splice
from chipdoctor.yamlio import parse_yaml

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
    for name, parser in PARSERS.items():
        directory = source_root / name
        if not directory.is_dir():
            missing.append(name)
            continue
        generated = parser.parse(directory)
        path = matrices / f"{parser.stack}.yaml"
        before_text = texts.get(path) or read_source(path)
        before = build_matrix(parse_yaml(before_text, str(path)))
        after_text = splice(
            before_text, parse_yaml(before_text, str(path)), name, generated.sources, generated.rows
        )
        after = build_matrix(parse_yaml(after_text, str(path)))
        diff = compare(before, after, name)
        diff.skipped = generated.skipped
        if not diff.empty:
            after_text = _UPDATED.sub(f'updated: "{today}"', after_text, count=1)
        texts[path] = after_text
        diffs.append(diff)
        files[parser.stack] = path.name
        urls.update({i: body["url"] for i, body in generated.sources.items()})
    if write:
        for path, text in texts.items():
            if text != read_source(path):
                _replace_file(path, text)
    summary = render(diffs, files, urls)
    if missing:
        summary += "\nNo recorded source for: " + ", ".join(missing) + "\n"
    return Outcome(diffs, missing, summary)


def _replace_file(path: Path, text: str) -> None:
    """Write next to the file and rename over it, so a reader never sees half a matrix."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    Path(tmp).replace(path)
