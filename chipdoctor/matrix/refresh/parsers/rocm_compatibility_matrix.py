"""AMD's ROCm compatibility matrix as the ROCm documentation keeps it: a CSV whose first row names
the ROCm releases (one column each) and whose "Tested user space versions" row, under
"KMD & USER SPACE", says which ROCm user space each release's kernel driver (KMD) supports.

Releases of one minor line that say the same become one `X.Y.x` row, as AMD's support-matrix
page writes them; a line whose releases differ gets a row per release.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from chipdoctor.matrix.refresh.model import Generated, SourceError, recorded_files

NAME = "rocm-compatibility-matrix"
_RELEASES = "ROCm Version"
_USER_SPACE = "Tested user space versions"


def parse(directory: Path) -> Generated:
    out = Generated(NAME, "rocm")
    for recorded in recorded_files(directory):
        where = str(recorded.path)
        try:
            table = list(csv.reader(io.StringIO(recorded.text())))
        except csv.Error as exc:
            raise SourceError(f"not CSV: {exc}", path=where) from None
        if not table or table[0][0].strip() != _RELEASES:
            raise SourceError(
                f"the first row does not name the ROCm releases ({_RELEASES})", path=where
            )
        releases = [cell.strip() for cell in table[0][1:]]
        row = next((r for r in table if r and r[0].strip() == _USER_SPACE), None)
        if row is None:
            raise SourceError(f"no {_USER_SPACE!r} row", path=where)
        source_id = f"gen-rocm-compat-{recorded.path.stem.replace('compatibility-matrix-', '')}"
        out.sources[source_id] = {
            "title": f"ROCm/ROCm docs/compatibility/{recorded.path.name} @ "
            f"{recorded.meta.get('commit', '')[:7]}: KMD & user space support per ROCm release",
            "url": recorded.meta["url"],
            "retrieved": recorded.retrieved,
        }
        for driver, spaces in _by_line(releases, row[1:], where):
            out.add("kmd_userspace", {"amdgpu_driver": driver, "rocm": spaces, "source": source_id})
    return out


def _by_line(releases: list[str], cells: list[str], where: str) -> list[tuple[str, list[str]]]:
    """(KMD release or `X.Y.x` line, the user space versions it supports), newest first."""
    said: dict[str, list[tuple[str, list[str]]]] = {}
    for release, cell in zip(releases, cells):
        spaces = [part.strip() for part in cell.split(",") if part.strip()]
        parts = release.split(".")
        if len(parts) < 2 or not all(p.isdigit() for p in parts) or not spaces:
            raise SourceError(f"ROCm {release!r}: cannot read {cell!r}", path=where)
        said.setdefault(".".join(parts[:2]) + ".x", []).append((release, spaces))
    out = []
    for line, entries in said.items():
        if all(spaces == entries[0][1] for _, spaces in entries):
            out.append((line, entries[0][1]))
        else:
            out.extend(entries)
    return out
