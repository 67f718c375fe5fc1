"""Reading a file the user handed us without trusting it: regular files only, never more than
a stated number of bytes.

A FIFO blocks the reader forever, a link to `/dev/zero` never ends and a sparse file claims
gigabytes it does not hold; opening a device can even have effects of its own (a watchdog, a
tape that rewinds). So the path is stat'ed first (following links, as the open would), only a
regular file is opened, without blocking, and what was opened is checked again before a byte is
read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


class RefusedFile(Exception):
    """A file that is not read: not a regular file, or larger than its limit."""


def kind_of(mode: int) -> str:
    """`a FIFO`, `a directory`, … for anything that is not a regular file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def size_text(size: int) -> str:
    """A byte count for a message: `2.0 GiB`, `120 MiB`, `512 bytes`."""
    for shift, unit in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if size >= 1 << shift:
            value = size / (1 << shift)
            exact = value < 10 and size % (1 << shift)
            return f"{value:.1f} {unit}" if exact else f"{value:.0f} {unit}"
    return f"{size} bytes"


def regular_size(path: str | Path) -> int:
    """The size of the regular file `path` (links followed); RefusedFile for anything else.

    FileNotFoundError, NotADirectoryError and other OSErrors pass through.
    """
    info = Path(path).stat()
    if not stat.S_ISREG(info.st_mode):
        raise RefusedFile(f"is {kind_of(info.st_mode)}, not a regular file")
    return info.st_size


def read_regular(path: str | Path, limit: int, *, truncate: bool = False) -> bytes:
    """At most `limit` bytes of the regular file `path`.

    A larger file is refused (RefusedFile) unless `truncate`, which returns its first `limit`
    bytes. Anything but a regular file is refused before it is opened.
    """
    before = Path(path).stat()
    if not stat.S_ISREG(before.st_mode):
        raise RefusedFile(f"is {kind_of(before.st_mode)}, not a regular file")
    if before.st_size > limit and not truncate:
        raise RefusedFile(f"is {size_text(before.st_size)}, over the {size_text(limit)} limit")
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    fd = os.open(path, flags)
    try:
        opened = os.fstat(fd)
        # NOTE: the path may have been swapped for a FIFO or a device between stat and open.
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (
            before.st_dev,
            before.st_ino,
        ):
            raise RefusedFile("changed while it was being opened")
        chunks: list[bytes] = []
        left = limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left == 0 and not truncate and os.read(fd, 1):
            raise RefusedFile(f"grew past the {size_text(limit)} limit while it was read")
    finally:
        os.close(fd)
    return b"".join(chunks)
