"""Slurm's hostlist expressions (`node[01-64]`, `a[1-3,5],b7`) expanded into node names.

The syntax, as Slurm documents it: names separated by `,` or whitespace; a bracketed hostlist
is a common prefix followed by a list of numeric ranges in brackets, `tux[0-5,12,20-25]`
(Slurm::Hostlist(3pm), https://manpages.ubuntu.com/manpages/jammy/man3/Slurm::Hostlist.3pm.html;
slurm_hostlist_create(3): `linux[1-3,6]` is linux1, linux2, linux3 and linux6); a name may hold
more than one bracket, `rack[0-63]_blade[0-41]` (slurm.conf(5), NodeName). A range keeps the
width of its lower bound, so `node[01-64]` is node01 … node64 (Slurm's hostlist.c pads to the
digits written). The 3-D `bgl[123x456]` form of Blue Gene systems is not supported.
"""

from __future__ import annotations

import contextlib
import itertools
import re

from chipdoctor.errors import BadInput

#: More names than any cluster has: an expression such as `n[0-999999999]` is refused rather
#: than expanded into memory.
MAX_NAMES = 1_000_000

#: How much of an expression an error message quotes.
_QUOTED = 80
#: Python's default limit on the digits int() reads (sys.get_int_max_str_digits); it also keeps
#: int() off a hostile megabyte of digits on a Python without that limit. A limit lowered by
#: PYTHONINTMAXSTRDIGITS ends in a ValueError, which `_span` reads as no number.
_MAX_DIGITS = 4300
_RANGE = re.compile(rf"(\d{{1,{_MAX_DIGITS}}})(?:-(\d{{1,{_MAX_DIGITS}}}))?")


def expand(expression: str, *, limit: int = MAX_NAMES) -> list[str]:
    """Every node name `expression` denotes, in order, duplicates kept once."""
    names: dict[str, None] = {}
    for item in _items(expression):
        for name in _expand_item(item, limit - len(names)):
            names[name] = None
    return list(names)


def _items(expression: str) -> list[str]:
    """The comma- or space-separated names; a comma inside brackets belongs to the range."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in expression:
        if char == "[":
            if depth:
                raise BadInput(f"hostlist {_quote(expression)}: a '[' inside brackets")
            depth = 1
        elif char == "]":
            if not depth:
                raise BadInput(f"hostlist {_quote(expression)}: a ']' without its '['")
            depth = 0
        if not depth and (char == "," or char.isspace()):
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth:
        raise BadInput(f"hostlist {_quote(expression)}: a '[' without its ']'")
    items.append("".join(current))
    return [item for item in items if item]


def _expand_item(item: str, room: int) -> list[str]:
    """One name with its brackets: the product of every bracket's numbers."""
    parts = re.split(r"\[([^\]]*)\]", item)
    # parts: literal, range list, literal, range list, ..., literal
    choices: list[list[str]] = []
    count = 1
    for index, part in enumerate(parts):
        numbers = _numbers(part, item, room) if index % 2 else [part]
        count *= len(numbers)
        if count > room:
            raise BadInput(f"hostlist {_quote(item)}: more than {MAX_NAMES} names")
        choices.append(numbers)
    return ["".join(combination) for combination in itertools.product(*choices)]


def _numbers(ranges: str, item: str, room: int) -> list[str]:
    """The bracket's numbers; every range is checked before any is expanded, so that many
    ranges each under the limit (`n[0-999999,0-999999,…]`) are refused, not held."""
    spans: list[tuple[int, int, int]] = []
    for piece in ranges.split(","):
        low, high, width = _span(piece, item)
        if high < low:
            raise BadInput(f"hostlist {_quote(item)}: the range {_quote(piece)} goes down")
        if high - low >= MAX_NAMES:
            raise BadInput(f"hostlist {_quote(item)}: more than {MAX_NAMES} names")
        spans.append((low, high, width))
    if sum(high - low + 1 for low, high, _ in spans) > room:
        raise BadInput(f"hostlist {_quote(item)}: more than {MAX_NAMES} names")
    return [
        str(number).zfill(width) for low, high, width in spans for number in range(low, high + 1)
    ]


def _span(piece: str, item: str) -> tuple[int, int, int]:
    """(low, high, width of low) of one `a` or `a-b` of a bracket."""
    match = _RANGE.fullmatch(piece.strip())
    if match is not None:
        low = match.group(1)
        with contextlib.suppress(ValueError):  # past int()'s digits (PYTHONINTMAXSTRDIGITS)
            return int(low), int(match.group(2) or low), len(low)
    raise BadInput(f"hostlist {_quote(item)}: {_quote(piece)} is not a number or a range a-b")


def _quote(text: str) -> str:
    """`text` quoted for a message, cut: a line of a hostile list file can be megabytes long."""
    return repr(text if len(text) <= _QUOTED else text[:_QUOTED] + "…")
