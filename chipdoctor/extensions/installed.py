"""The installed torch extensions and their native libraries, read from package metadata alone.

A torch extension is what `chipdoctor.extensions.extension_names` names. Its native libraries
come from its `RECORD` (the installed-files list of the wheel format, `*.dist-info/RECORD`:
path, hash, size per CSV line). The CUDA architecture check (stacks/cuda/extensions.py) and the
symbol check (extensions/symbols.py) read the same list.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from chipdoctor.evidence.base import Evidence, UnreadableError, normalize_name
from chipdoctor.evidence.pyinfo import DIST_INFO
from chipdoctor.extensions import extension_names
from chipdoctor.recipes.safety import PACKAGE, VERSION

#: Native libraries listed per distribution, and in all.
MAX_PER_DISTRIBUTION = 16
MAX_LIBRARIES = 64


@dataclass(frozen=True)
class Extension:
    """One installed torch extension: its name and version as a pip line takes them, its
    site directory, and the absolute paths of its native libraries (bounded)."""

    name: str
    version: str
    site: str
    libraries: tuple[str, ...]


def record_libraries(text: str) -> list[str]:
    """The `.so` paths a RECORD lists inside its site directory (none outside it: `../`), each
    once; none from one that is not CSV (a field past csv's size limit, a NUL under Python <
    3.11)."""
    found: list[str] = []
    try:
        for row in csv.reader(text.splitlines()):
            path = row[0] if row else ""
            if path.endswith(".so") and not path.startswith("/") and ".." not in path.split("/"):
                found.append(path)
    except csv.Error:
        return []
    return list(dict.fromkeys(found))


def dist_infos(evidence: Evidence) -> dict[tuple[str, str], tuple[str, str]]:
    """(PEP 503 name, version) -> (site, `*.dist-info` directory), the first site winning as at
    import time; each site listed once."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for site in evidence.python.paths:
        try:
            entries = evidence.list_dir(site) or []
        except UnreadableError:
            continue
        for entry in entries:
            match = DIST_INFO.match(entry)
            if match is not None:
                key = (normalize_name(match.group("name")), match.group("version"))
                found.setdefault(key, (site.rstrip("/"), entry))
    return found


def extension_dists(
    evidence: Evidence, infos: dict[tuple[str, str], tuple[str, str]]
) -> list[tuple[str, str, str, str]]:
    """(name, version, site, `*.dist-info` directory) of each installed torch extension, in
    name order. A name or version a pasteable pip line could not carry (a directory named
    `1.0$(...)`) is not judged."""
    packages = evidence.python.packages
    found: list[tuple[str, str, str, str]] = []
    for name in extension_names(evidence):
        version = packages.get(name)
        where = infos.get((name, version)) if version else None
        if version is not None and where is not None and plain(name, version):
            found.append((name, version, *where))
    return found


def torch_extensions(
    evidence: Evidence, infos: dict[tuple[str, str], tuple[str, str]] | None = None
) -> list[Extension]:
    """Each extension with its native libraries, at most MAX_PER_DISTRIBUTION each and
    MAX_LIBRARIES in all, in name order; an unreadable RECORD lists nothing."""
    if not extension_names(evidence):
        return []
    infos = dist_infos(evidence) if infos is None else infos
    out: list[Extension] = []
    budget = MAX_LIBRARIES
    for name, version, site, dist_info in extension_dists(evidence, infos):
        if budget <= 0:
            break
        try:
            record = evidence.read_text(f"{site}/{dist_info}/RECORD")
        except UnreadableError:
            continue
        relative = record_libraries(record or "")[: min(MAX_PER_DISTRIBUTION, budget)]
        budget -= len(relative)
        out.append(Extension(name, version, site, tuple(f"{site}/{path}" for path in relative)))
    return out


def plain(name: str, version: str) -> bool:
    """A distribution name and version as a recipe accepts them (recipes/safety.py)."""
    return PACKAGE.fullmatch(name) is not None and VERSION.fullmatch(version) is not None
