"""Untrusted text made visible: every character a terminal, a recipe parser or an editor could
act on (controls, line and paragraph separators, format characters such as bidi overrides)
becomes a backslash escape, so text read from a machine can neither end a line nor drive the
terminal (title changes, clearing the screen, hiding text)."""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


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
