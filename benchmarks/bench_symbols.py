"""Time the torch-extension symbol check (issue 12): an extension needing N torch symbols
looked up in a real torch's libraries (libtorch_cpu.so is ~400 MB with ~10^5 dynamic symbols).

The extension is built here with gcc: N functions torch's libraries export (taken from
`nm -D --defined-only` of libtorch_cpu.so) plus 10 they do not, called through asm labels so
the object needs them undefined. A site directory holds a torch dist-info, a link to the real
torch/lib and the extension's dist-info (Requires-Dist: torch, RECORD listing the `.so`); the
figure is the median time of `chipdoctor.extensions.symbols.check` on it (host evidence:
seeks and small reads, never the whole library).

The second figure is the bound: 64 libraries (16 per distribution, 64 in all) needing 500
names each out of 2000, torch's libraries asked for each name once per check.

    python benchmarks/bench_symbols.py --python /path/to/venv-with-torch/bin/python
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from functools import cached_property
from pathlib import Path

from chipdoctor.evidence.base import PythonInfo
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.extensions.symbols import check


class _Site(HostEvidence):
    def __init__(self, site: Path, packages: dict[str, str]) -> None:
        super().__init__()
        self._site = site
        self._packages = packages

    @cached_property
    def python(self) -> PythonInfo:
        return PythonInfo("3.11", self._packages, (str(self._site),))


def _torch_lib(python: str) -> tuple[Path, str] | None:
    code = (
        "import importlib.util as u, importlib.metadata as m; "
        "print(u.find_spec('torch').submodule_search_locations[0]); print(m.version('torch'))"
    )
    result = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return None
    where, version = result.stdout.split()
    return Path(where) / "lib", version


def _exported(library: Path, count: int) -> list[str]:
    out = subprocess.run(
        ["nm", "-D", "--defined-only", str(library)], capture_output=True, text=True, check=True
    ).stdout
    names = [row.split()[-1] for row in out.splitlines() if row.split()[-2:-1] == ["T"]]
    torch = [n for n in names if n.startswith(("_ZN3c10", "_ZN2at", "_ZNK2at", "_ZN5torch"))]
    step = max(1, len(torch) // count)
    return torch[::step][:count]


def _extension(path: Path, names: list[str]) -> None:
    lines = [f'extern void s{i}(void) __asm__("{n}");' for i, n in enumerate(names)]
    lines.append("void run(void) {" + "".join(f" s{i}();" for i in range(len(names))) + " }")
    source = path.with_suffix(".c")
    source.write_text("\n".join(lines) + "\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(path), str(source)], check=True)


def _site(root: Path, lib: Path, version: str) -> Path:
    site = root / "site-packages"
    (site / "torch").mkdir(parents=True)
    (site / "torch" / "lib").symlink_to(lib)
    (site / f"torch-{version}.dist-info").mkdir()
    return site


def _dist(site: Path, name: str, libraries: list[list[str]]) -> None:
    """A distribution requiring torch whose RECORD lists one library per list of names."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nRequires-Dist: torch\n\n"
    )
    (site / name).mkdir()
    rows = []
    for index, names in enumerate(libraries):
        _extension(site / name / f"_C{index}.so", names)
        rows.append(f"{name}/_C{index}.so,,")
    (info / "RECORD").write_text("\n".join(rows) + "\n")


def _median(site: Path, packages: dict[str, str], runs: int) -> tuple[float, int, int]:
    """Median seconds of the check, and the libraries with gaps and their unresolved count."""
    times = []
    gaps = 0
    missing = 0
    for _ in range(runs):
        evidence = _Site(site, packages)  # a fresh check: nothing known from the last run
        start = time.perf_counter()
        result = check(evidence)
        times.append(time.perf_counter() - start)
        gaps, missing = len(result.gaps), sum(g.count for g in result.gaps)
    return statistics.median(times), gaps, missing


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", required=True, help="an interpreter with torch installed")
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    found = _torch_lib(args.python)
    if found is None or not shutil.which("gcc") or not shutil.which("nm"):
        print("symbol check: not measured (no torch in that interpreter, or no gcc/nm)")
        return
    lib, version = found
    size = (lib / "libtorch_cpu.so").stat().st_size / 1e6
    exported = _exported(lib / "libtorch_cpu.so", 4 * args.symbols)
    absent = [f"_ZN3c1012not_in_torch{i}Ev" for i in range(10)]
    with tempfile.TemporaryDirectory() as tmp:
        site = _site(Path(tmp), lib, version)
        _dist(site, "fake_ext", [exported[: args.symbols] + absent])
        seconds, gaps, missing = _median(site, {"torch": version, "fake-ext": "1.0"}, args.runs)
        assert (gaps, missing) == (1, 10)
    print(
        f"symbol check of an extension needing {args.symbols + 10} torch symbols against torch "
        f"{version}'s libraries (libtorch_cpu.so {size:.0f} MB): median {seconds * 1000:.1f} ms "
        f"over {args.runs} runs"
    )
    # The bound: 64 libraries (4 distributions of 16), each needing `symbols` of 4x as many.
    with tempfile.TemporaryDirectory() as tmp:
        site = _site(Path(tmp), lib, version)
        packages = {"torch": version}
        span = len(exported) - args.symbols
        for d in range(4):
            picks = [(97 * (16 * d + i)) % max(1, span) for i in range(16)]
            _dist(site, f"ext{d}", [exported[p : p + args.symbols] for p in picks])
            packages[f"ext{d}"] = "1.0"
        runs = max(1, args.runs // 2)
        seconds, gaps, missing = _median(site, packages, runs)
        assert (gaps, missing) == (0, 0)
    print(
        f"symbol check of 64 extension libraries needing {args.symbols} torch symbols each "
        f"({len(exported)} distinct): median {seconds * 1000:.1f} ms over {runs} runs"
    )


if __name__ == "__main__":
    main()
