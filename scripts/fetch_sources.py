"""Update the recorded sources from GitHub (each SOURCE.md `track`), for a refresh to read.

    python scripts/fetch_sources.py [--into tests/fixtures/sources]

GITHUB_TOKEN, when set, is sent to the GitHub API (a higher rate limit). See docs/data-refresh.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

from chipdoctor.errors import BadInput
from chipdoctor.matrix.refresh.fetch import (
    GITHUB_API,
    GITHUB_RAW,
    TIMEOUT_S,
    Endpoints,
    fetch_tracked,
)
from chipdoctor.matrix.refresh.parsers import PARSERS

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--into", type=Path, default=ROOT / "tests" / "fixtures" / "sources")
    parser.add_argument("--api", default=GITHUB_API, help=argparse.SUPPRESS)
    parser.add_argument("--raw", default=GITHUB_RAW, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    endpoints = Endpoints(args.api, args.raw, os.environ.get("GITHUB_TOKEN", ""), args.timeout)
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    status = 0
    for name, source in PARSERS.items():
        directory = args.into / name
        if not (directory / "SOURCE.md").is_file():
            continue
        try:
            fetched = fetch_tracked(directory, endpoints, today, source.label)
        except BadInput as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            status = 2
            continue
        for item in fetched:
            state = "new" if item.new else ("changed" if item.changed else "unchanged")
            print(f"{name}/{item.name}: {state} @ {item.commit[:7]}")
    return status


if __name__ == "__main__":
    sys.exit(main())
