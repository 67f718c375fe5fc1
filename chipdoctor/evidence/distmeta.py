"""Each installed distribution's `Requires-Dist`, read from its `METADATA` file (never imported).

The header block of a `*.dist-info/METADATA` (core metadata, RFC 822 style) ends at the first
empty line; `Requires-Dist` lines live there, before the long description, so only the head of
each file is read. `.egg-info` directories (legacy installs) are not read: their requirements
live in `requires.txt` with a different syntax, and they carry no version in their name.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Protocol

from chipdoctor.evidence.base import UnreadableError, normalize_name
from chipdoctor.evidence.pyinfo import DIST_INFO

#: How much of one METADATA file is read: the headers, not the description. Most header
#: blocks fit the first read; a longer one is read again up to the limit.
FIRST_READ_BYTES = 8 * 1024
MAX_METADATA_BYTES = 128 * 1024
#: Distributions read per environment, and requirement lines kept per distribution.
MAX_DISTRIBUTIONS = 5000
MAX_REQUIREMENTS = 500
#: One requirement line (PEP 508 with markers); longer ones are hostile or broken.
MAX_REQUIREMENT_CHARS = 1000


class _Files(Protocol):
    def list_dir(self, path: str) -> list[str] | None: ...

    def read_bytes(self, path: str, limit: int) -> bytes | None: ...


def parse_requires_dist(text: str) -> tuple[str, ...]:
    """The `Requires-Dist` values of a METADATA header block, in order."""
    return kept_requirements(_requires_dist_values(text))


def _requires_dist_values(text: str) -> Iterator[str]:
    for line in text.splitlines():
        if not line.strip() and not line.startswith((" ", "\t")):
            return  # the headers end here; the description follows
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "requires-dist":
            yield value


def kept_requirements(values: Iterable[str]) -> tuple[str, ...]:
    """The requirement lines kept of `values`, wherever they were read (METADATA or a
    snapshot's record): stripped, none empty or over MAX_REQUIREMENT_CHARS, at most
    MAX_REQUIREMENTS."""
    found: list[str] = []
    for line in values:
        value = line.strip()
        if value and len(value) <= MAX_REQUIREMENT_CHARS:
            found.append(value)
            if len(found) >= MAX_REQUIREMENTS:
                break
    return tuple(found)


class LocalFiles:
    """This machine's files under `root`, read the cheap way: `check` on a host without
    accelerators reads every METADATA head, so no ELF or stat machinery is imported for it.
    Only regular files are read (a FIFO is opened non-blocking and skipped), and only `limit`
    bytes of them."""

    def __init__(self, local: Callable[[str], Path]) -> None:
        self._local = local

    def list_dir(self, path: str) -> list[str] | None:
        try:
            return os.listdir(self._local(path))
        except OSError:
            return None

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        try:
            fd = os.open(self._local(path), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return os.read(fd, limit)
        except OSError:
            return None
        finally:
            os.close(fd)


#: An empty line in the bytes: `parse_requires_dist` stops there or at an earlier blank line, so
#: cutting after it keeps everything the parse reads. A line of spaces or tabs is no end: it
#: continues a folded header (a multi-line `License:`), as the email parser reads it.
_BLANK_LINE = re.compile(rb"\n\r?\n")


def header_block(data: bytes) -> bytes:
    """`data` through the blank line that ends its headers (all of it where there is none):
    what `parse_requires_dist` reads of it, so a reader may keep only this."""
    match = _BLANK_LINE.search(data)
    return data if match is None else data[: match.end()]


def read_head(read: Callable[[int], bytes]) -> bytes:
    """The head of one METADATA file from a stream (`read(n)` returns its next n bytes), read
    as `_headers` reads a file: the first part, and up to the limit only where the headers
    go on past it."""
    data = read(FIRST_READ_BYTES)
    if _headers_go_on(data):
        data += read(MAX_METADATA_BYTES - FIRST_READ_BYTES)
    return data


def _headers_go_on(first: bytes) -> bool:
    """Whether the header block may go on past a first read of FIRST_READ_BYTES."""
    return len(first) == FIRST_READ_BYTES and b"\n\n" not in first


def _headers(files: _Files, path: str) -> bytes | None:
    """The head of a METADATA file that holds its whole header block (or the limit's worth)."""
    try:
        data = files.read_bytes(path, FIRST_READ_BYTES)
        if data is not None and _headers_go_on(data):
            data = files.read_bytes(path, MAX_METADATA_BYTES)
    except UnreadableError:
        return None
    return data


def read_requires(
    files: _Files, sites: Iterable[str], installed: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """Normalised name -> its `Requires-Dist` lines, for the installed distributions found in
    `sites` (the first site holding a name wins, as at import time)."""
    out: dict[str, tuple[str, ...]] = {}
    for site in sites:
        try:
            names = sorted(files.list_dir(site) or ())
        except UnreadableError:
            continue
        for child in names:
            match = DIST_INFO.match(child)
            if match is None:
                continue
            name = normalize_name(match.group("name"))
            if name in out or installed.get(name) != match.group("version"):
                continue
            data = _headers(files, f"{site.rstrip('/')}/{child}/METADATA")
            if data is not None:
                out[name] = parse_requires_dist(data.decode("utf-8", "replace"))
            if len(out) >= MAX_DISTRIBUTIONS:
                return out
    return out
