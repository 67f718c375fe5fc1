"""One JSON document read piece by piece from a byte stream, so a 256 MiB profiler trace is
never held whole (json.loads of it takes about 7 bytes of memory per byte of input).

Each value is decoded by the standard library's own decoder (`JSONDecoder.raw_decode`) from a
buffer refilled as it runs out; only the containers a caller walks into (`array`, `members`)
are taken apart here. Memory is bounded by the largest single value decoded (`max_value`).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from chipdoctor.errors import BadInput

CHUNK = 1 << 20
_DECODER = json.JSONDecoder()
_NOT_SPACE = re.compile(r"[^ \t\n\r]")


class JsonStream:
    def __init__(
        self, read: Callable[[int], bytes], where: str, *, limit: int, max_value: int
    ) -> None:
        self._read = read
        self._where = where
        self._left = limit  # bytes still allowed from the stream
        self._limit = limit
        self._max_value = max_value
        self._text = codecs.getincrementaldecoder("utf-8-sig")()
        self._buffer = ""
        self._pos = 0
        self._eof = False

    def peek(self) -> str:
        """The next character that is not white space, not consumed; "" at the end."""
        while True:
            found = _NOT_SPACE.search(self._buffer, self._pos)
            if found is not None:
                self._pos = found.start()
                return self._buffer[self._pos]
            self._pos = len(self._buffer)
            if not self._fill():
                return ""

    def take(self, allowed: str) -> str:
        """Consume the next character, one of `allowed`; not valid JSON otherwise."""
        char = self.peek()
        if not char or char not in allowed:
            found = repr(char) if char else "the end"
            self.invalid(f"expected one of {' '.join(allowed)}, found {found}")
        self._pos += 1
        return char

    def value(self) -> Any:
        """The next whole value, decoded."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                if self._eof:
                    self.invalid(exc.msg)
            except RecursionError:
                self.invalid("nested too deep")
            else:
                if end < len(self._buffer) or self._eof:  # a number may go on in the next chunk
                    self._pos = end
                    return value
            if len(self._buffer) - self._pos > self._max_value:
                self.invalid(f"a value over {self._max_value >> 20} MiB")
            self._fill()

    def array(self) -> Iterator[Any]:
        """Each element of the array that comes next."""
        self.take("[")
        if self.peek() == "]":
            self._pos += 1
            return
        while True:
            yield self.value()
            if self.take(",]") == "]":
                return

    def members(self) -> Iterator[str]:
        """Each key of the object that comes next; the caller reads its value (`value`,
        `array`) before asking for the next key."""
        self.take("{")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                self.invalid("an object key is not a string")
            self.take(":")
            yield key
            if self.take(",}") == "}":
                return

    def end(self) -> None:
        """Nothing but white space may follow the document."""
        if self.peek():
            self.invalid("extra data after the document")

    def invalid(self, reason: str) -> Any:
        raise BadInput(f"{self._where}: not valid JSON: {reason}")

    def _fill(self) -> bool:
        """Append the next chunk to what is left unread; False at the end of the stream."""
        if self._eof:
            return False
        raw = self._read(min(CHUNK, self._left + 1))
        self._left -= len(raw)
        if self._left < 0:
            raise BadInput(f"{self._where}: unpacks to more than {self._limit >> 20} MiB")
        try:
            text = self._text.decode(raw, final=not raw)
        except UnicodeDecodeError:
            self.invalid("not UTF-8 text")
        self._buffer = self._buffer[self._pos :] + text
        self._pos = 0
        self._eof = not raw
        return bool(text) or not self._eof
