"""Reading a failed job's log without trusting it: its last MAX_BYTES only, lines cut at
MAX_LINE characters, at most MAX_LINES of them, terminal escapes and control characters gone.

The log is the user's file but a machine wrote it: it may be gigabytes, binary, one endless
line, or full of colour codes. Line numbers stay those of the whole file: the newlines of the
part before the tail are counted (up to MAX_SKIPPED bytes) without keeping it.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from chipdoctor.boundedio import RefusedFile, kind_of, size_text
from chipdoctor.errors import BadInput

#: The end of a log holds the error that ended the job.
MAX_BYTES = 4 << 20
MAX_LINE = 2000
MAX_LINES = 100_000
#: How much of a log before its tail is read to count its lines; a larger log is refused
#: (its tail can be piped in: tail -c 4M FILE | chipdoctor check --log -).
MAX_SKIPPED = 4 << 30
_CHUNK = 1 << 20

#: ECMA-48 control sequences (CSI, OSC and other escapes) and the C0/C1 controls but tab.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Log:
    """The lines read, and the 1-based number of the first one in the whole log."""

    lines: tuple[str, ...]
    first: int


def read_log(path: str) -> Log:
    """The log at `path` (`-`: standard input), bounded and cleaned; BadInput naming it when it
    cannot be read."""
    try:
        if path == "-":
            if sys.stdin is None:  # started with its standard input closed (`<&-`)
                raise RefusedFile("standard input is closed")
            return _from_stream(sys.stdin.buffer)
        return _from_file(path)
    except RefusedFile as exc:
        raise BadInput(f"cannot read the log: {exc}", path=path) from None
    except OSError as exc:
        raise BadInput(f"cannot read the log: {exc.strerror or exc}", path=path) from None


def _from_file(path: str) -> Log:
    before = Path(path).stat()
    if not stat.S_ISREG(before.st_mode):
        raise RefusedFile(f"is {kind_of(before.st_mode)}, not a regular file (pipe it in: --log -)")
    skipped = max(0, before.st_size - MAX_BYTES)
    if skipped > MAX_SKIPPED:
        raise RefusedFile(
            f"is {size_text(before.st_size)}; its line numbers are counted up to "
            f"{size_text(MAX_SKIPPED + MAX_BYTES)} (pass its end: tail -c 4M FILE | "
            "chipdoctor check --log -)"
        )
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as stream:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
            raise RefusedFile("changed while it was being opened")
        newlines = 0
        left = skipped
        chunk = b"\n"
        while left > 0:
            chunk = stream.read(min(left, _CHUNK))
            if not chunk:
                break
            newlines += chunk.count(b"\n")
            left -= len(chunk)
        return _parse(stream.read(MAX_BYTES), newlines, cut=not chunk.endswith(b"\n"))


def _from_stream(stream: BinaryIO) -> Log:
    """Standard input: read to its end, keeping the last MAX_BYTES; as for a file, at most
    MAX_SKIPPED bytes before them."""
    tail = b""
    newlines = 0
    dropped = 0
    whole = True
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        tail += chunk
        if len(tail) > MAX_BYTES:
            gone = tail[: len(tail) - MAX_BYTES]
            newlines += gone.count(b"\n")
            dropped += len(gone)
            tail = tail[len(gone) :]
            whole = gone.endswith(b"\n")
            if dropped > MAX_SKIPPED:
                raise RefusedFile(
                    f"sent more than {size_text(MAX_SKIPPED + MAX_BYTES)}; pass its end "
                    "(tail -c 4M)"
                )
    return _parse(tail, newlines, cut=not whole)


def _parse(data: bytes, newlines: int, *, cut: bool) -> Log:
    """Lines of `data`, the first of which is line `newlines + 1` of the log; a line the tail
    began inside (`cut`) is dropped, as is everything before the last MAX_LINES lines."""
    first = newlines + 1
    raw = data.split(b"\n")
    if cut and len(raw) > 1:
        raw = raw[1:]
        first += 1
    if len(raw) > MAX_LINES:
        first += len(raw) - MAX_LINES
        raw = raw[-MAX_LINES:]
    return Log(tuple(clean(line[: MAX_LINE * 4]) for line in raw), first)


def clean(line: bytes) -> str:
    """One line as text: UTF-8 (undecodable bytes replaced), escapes and controls removed,
    cut at MAX_LINE characters."""
    text = line.decode("utf-8", errors="replace")
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    return text[:MAX_LINE]
