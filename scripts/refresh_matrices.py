"""Regenerate matrix rows from recorded copies of the vendors' sources and print what changed.

    python scripts/refresh_matrices.py --from DIR [--matrices DIR] [--check] [--summary FILE]

DIR holds one directory per source (tests/fixtures/sources/ is one), each with the recorded
files and a SOURCE.md naming their URLs. See docs/data-refresh.md.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from chipdoctor.errors import BadInput
from chipdoctor.matrix.load import bundled_dir
from chipdoctor.matrix.refresh.driver import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--from", dest="source", type=Path, required=True, help="recorded sources")
    parser.add_argument("--matrices", type=Path, default=bundled_dir(), help="matrix directory")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument("--summary", type=Path, help="also write the summary (Markdown) here")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"{args.source}: not a directory", file=sys.stderr)
        return 2
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    try:
        outcome = run(args.source, args.matrices, write=not args.check, today=today)
    except BadInput as exc:
        print(f"refresh: {exc}", file=sys.stderr)
        return 2
    print(outcome.summary, end="")
    if args.summary:
        args.summary.write_text(outcome.summary, encoding="utf-8")
    stale = any(not diff.empty for diff in outcome.diffs)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
