"""Untrusted text made visible: every character a terminal, a recipe parser or an editor could
act on (controls, line and paragraph separators, format characters such as bidi overrides)
becomes a backslash escape, so text read from a machine can neither end a line nor drive the
terminal (title changes, clearing the screen, hiding text)."""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: The widest a table cell of machine-read text gets, in terminal columns.
MAX_CELL = 64


def visible(text: str, *, keep: str = "") -> str:
    """`text` with each non-printable character (Python's `str.isprintable`: Unicode categories
    Cc, Cf, Cs, Co, Cn, Zl, Zp and every space but U+0020) written as `\\n`, `\\x1b`,
    `\\u2028` or `\\U000e0001`; the characters in `keep` stay as they are."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else _escape(c) for c in text)


def _escape(character: str) -> str:
    named = _NAMED.get(character)
    if named is not None:
        return named
    code = ord(character)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def json_visible(document: str) -> str:
    """JSON text (json.dumps with ensure_ascii=False) with every non-printable character left
    in it written as a `\\uXXXX` escape: json escapes only U+0000-U+001F, so DEL, the C1
    controls (U+009B is a CSI), bidi overrides and line separators from a machine would reach
    the terminal raw. Lossless: the document decodes to the same values. Newlines are the
    indentation's (json has escaped those inside strings)."""
    if document.isprintable():
        return document
    return "".join(c if c.isprintable() or c == "\n" else _json_escape(c) for c in document)


def _json_escape(character: str) -> str:
    code = ord(character)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def columns(text: str) -> int:
    """Terminal columns `text` takes: a wide (CJK) character takes two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` columns, ending in `…` when cut: one machine's megabyte
    name must not widen every row of a table."""
    if len(text) <= limit // 2 or columns(text) <= limit:
        return text
    out, used = [], 1
    for character in text:
        used += columns(character)
        if used > limit:
            break
        out.append(character)
    return "".join(out) + "…"
