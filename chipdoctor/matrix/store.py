"""Where the compatibility data lives and which copy `check` and `fix` use.

Two copies can exist: the matrices shipped in the package (`bundled`) and the last bundle
`chipdoctor matrix update` installed under XDG_DATA_HOME/chipdoctor (`updated`). The newer one
by date is used; on a tie the bundled one, which was released with this very code. An installed
copy whose files no longer match its manifest is not valid and is passed over.

Layout of the user's copy (each step of an update is one atomic rename, docs/data.md):

    XDG_DATA_HOME/chipdoctor/
      state.json           {"current": "<id>", "previous": "<id>" | ""}  ("" = the bundled data)
      data/<id>/           one verified bundle: its *.yaml and bundle.json (date, manifest)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from chipdoctor.boundedio import RefusedFile, read_regular

BUNDLED, UPDATED = "bundled", "updated"
STATE = "state.json"
META = "bundle.json"
#: A bundle's id: the first hex digits of its manifest's sha256.
ID = re.compile(r"^[0-9a-f]{16}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UPDATED_LINE = re.compile(rb'^updated:\s*["\']?(\d{4}-\d{2}-\d{2})["\']?\s*$', re.MULTILINE)
#: Only the head of a matrix file is read for its date: `updated:` sits above the tables.
_HEAD = 4096
_MAX_META = 1 << 20


@dataclass(frozen=True)
class DataSource:
    """Which compatibility data a report was judged with."""

    kind: str  # BUNDLED or UPDATED
    path: str  # the directory holding its matrix files
    updated: str  # the data's date (YYYY-MM-DD); "" when no file says

    def to_dict(self) -> dict[str, str]:
        return {"source": self.kind, "path": self.path, "updated": self.updated}


def data_home() -> Path:
    """XDG_DATA_HOME/chipdoctor (default ~/.local/share/chipdoctor)."""
    base = os.environ.get("XDG_DATA_HOME")
    return (Path(base) if base else Path("~/.local/share").expanduser()) / "chipdoctor"


def bundled_dir() -> Path:
    """The matrices shipped in the wheel, or in the source tree when run from a checkout."""
    packaged = Path(__file__).resolve().parent.parent / "matrices"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "matrices"


def bundled() -> DataSource:
    folder = bundled_dir()
    return DataSource(BUNDLED, str(folder), newest_date(sorted(folder.glob("*.yaml"))))


def newest_date(files: list[Path]) -> str:
    """The newest `updated:` date of these matrix files (read from each file's head)."""
    dates = []
    for path in files:
        with path.open("rb") as handle:
            found = _UPDATED_LINE.search(handle.read(_HEAD))
        if found:
            dates.append(found.group(1).decode())
    return max(dates, default="")


def read_state(home: Path) -> dict[str, str]:
    """state.json, or the empty state when there is none or it is not ours to read."""
    try:
        raw = read_regular(home / STATE, _MAX_META)
    except (OSError, ValueError, RefusedFile):
        return {"current": "", "previous": ""}
    import json  # only where updated data was ever installed (start-up)

    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return {"current": "", "previous": ""}
    if not isinstance(data, dict):
        return {"current": "", "previous": ""}
    return {
        key: value if isinstance(value, str) and ID.match(value) else ""
        for key, value in ((k, data.get(k)) for k in ("current", "previous"))
    }


def installed(home: Path, bundle_id: str) -> DataSource | None:
    """The installed bundle `bundle_id` when its files still match its manifest, else None."""
    if not ID.match(bundle_id):
        return None
    import json

    folder = home / "data" / bundle_id
    try:
        meta = json.loads(read_regular(folder / META, _MAX_META))
        files = dict(meta["files"].items())
        updated = str(meta["updated"])
        for name, digest in files.items():
            if not _MATRIX_NAME.match(name) or sha256_file(folder / name) != digest:
                return None
    except (OSError, ValueError, RecursionError, KeyError, TypeError, AttributeError, RefusedFile):
        return None
    if not DATE.match(updated) or not files:
        return None
    return DataSource(UPDATED, str(folder), updated)


_MATRIX_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}\.yaml$")


def sha256_file(path: Path) -> str:
    # NOTE: imported here: hashlib loads OpenSSL (~4 MiB of RSS, ~2 ms), and a check that finds
    # no updated data installed never hashes a file.
    import hashlib

    from chipdoctor.yamlio import MAX_YAML_BYTES

    return hashlib.sha256(read_regular(path, MAX_YAML_BYTES)).hexdigest()


def active() -> DataSource:
    """The data `check` and `fix` use now: the newest valid copy.

    Not cached: an installed copy is verified each time it is chosen, so a damaged one is passed
    over even in a process that chose it before (the tests run the CLI in-process)."""
    home = data_home()
    bundled_data = bundled()
    current = read_state(home)["current"]
    updated = installed(home, current) if current else None
    if updated is not None and updated.updated > bundled_data.updated:
        return updated
    return bundled_data
