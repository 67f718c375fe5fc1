"""Regenerate matrix rows from recorded copies of the vendors' sources and print what changed.

    python scripts/refresh_matrices.py --from DIR [--matrices DIR] [--check] [--summary FILE]

DIR holds one directory per source (tests/fixtures/sources/ is one), each with the recorded
files and a SOURCE.md naming their URLs. See docs/data-refresh.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chipdoctor.errors import BadInput
from chipdoctor.matrix.refresh.driver import refresh
from chipdoctor.matrix.store import bundled_dir
from chipdoctor.printable import visible


def main(argv: list[str] | None = None) -> int:
    """The same code as `chipdoctor matrix refresh`; here --summary overwrites its file (the
    weekly workflow writes it afresh each run)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--from", dest="source", type=Path, required=True, help="recorded sources")
    parser.add_argument("--matrices", type=Path, default=bundled_dir(), help="matrix directory")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument("--summary", type=Path, help="also write the summary (Markdown) here")
    args = parser.parse_args(argv)
    try:
        summary, status = refresh(
            args.source, args.matrices, check=args.check, summary=args.summary, force=True
        )
    except BadInput as exc:
        print(f"refresh: {exc}", file=sys.stderr)
        return 2
    print(visible(summary, keep="\n"), end="")  # rows parsed from recorded vendor pages
    return status


if __name__ == "__main__":
    sys.exit(main())
