"""A shared library's version from its file name: `libnccl.so.2.23.4`, `librccl.so.1.0.60401`.

Packages install the fully versioned file and point the soname link (`libnccl.so.2`) at it, so
a directory listing tells the version without opening, loading or following anything, and a
snapshot's recorded listing tells the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chipdoctor.probes.base import ProbeContext


def library_version(
    context: ProbeContext, directories: Iterable[str], library: str
) -> tuple[str, str] | None:
    """(version, path) of `<library>.so.X.Y.Z` in the first of `directories` that holds one,
    the highest version where a directory holds several; None where none does."""
    pattern = re.compile(re.escape(library) + r"\.so\.(\d+(?:\.\d+){2,})")
    for directory in dict.fromkeys(directories):
        found = []
        for name in context.list_dir(directory):
            match = pattern.fullmatch(name)
            if match is not None:
                found.append(match.group(1))
        if found:
            best = max(found, key=lambda v: tuple(int(p) for p in v.split(".")))
            return best, f"{directory.rstrip('/')}/{library}.so.{best}"
    return None
