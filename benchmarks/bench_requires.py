"""Time reading every installed distribution's `Requires-Dist` from METADATA (issue 12).

Builds a site directory of N distributions whose METADATA look like real ones (a header block
with requirements, then a long description), and prints the median time `check` spends
reading them (chipdoctor/evidence/distmeta.py through the host evidence), cold and warm page
cache aside: the files are read as `check` reads them, once per run.

    python benchmarks/bench_requires.py [--distributions 300] [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from chipdoctor.evidence.distmeta import read_requires
from chipdoctor.evidence.host import HostEvidence

_DESCRIPTION = "A line of the project's long description, as READMEs are.\n" * 400


def _site(root: Path, count: int) -> dict[str, str]:
    installed: dict[str, str] = {}
    for i in range(count):
        name, version = f"package-{i}", f"1.{i}.0"
        info = root / f"package_{i}-{version}.dist-info"
        info.mkdir()
        requires = "".join(f"Requires-Dist: dependency-{j}>=1.0\n" for j in range(i % 12))
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            f"Summary: benchmark distribution\n{requires}"
            'Requires-Dist: torch==2.5.1; platform_system == "Linux"\n'
            f"\n{_DESCRIPTION}"
        )
        installed[name] = version
    return installed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distributions", type=int, default=300)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        installed = _site(Path(directory), args.distributions)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            read = read_requires(HostEvidence(), [directory], installed)
            times.append(time.perf_counter() - started)
        assert len(read) == args.distributions
    median = statistics.median(times)
    print(
        f"Requires-Dist of {args.distributions} distributions: median {median * 1000:6.1f} ms "
        f"over {args.runs} runs ({median / args.distributions * 1e6:5.1f} us each)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
