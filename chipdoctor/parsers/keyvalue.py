"""Parsers for the ``key=value`` files Huawei installs next to each Ascend component.

The same loose format is used by the driver and firmware ``version.info``, the CANN
``ascend_*_install.info`` files, ``/etc/ascend_install.info`` and the toolkit ``version.cfg``
(facts and samples: ``shared/reference/ascend.md`` sections 3.1-3.5). The functions here only
turn text into data; deciding what a value means is left to the probes and rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Optional

__all__ = [
    "get_ci",
    "inner_release",
    "parse_bracket_ranges",
    "parse_key_values",
    "parse_version_cfg",
]

# A key is a word, optionally with inner spaces, dots or dashes: "Version", "package_version",
# "Ascend-cann-atb Version", "commit id". Anything else (shell prompts such as
# "root@host:/# cat version.info", URLs, table rows) is treated as garbage.
_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\- ]*")
_BRACKET_RE = re.compile(r"\[([^\[\]]*)\]")
# NOTE: Huawei "inner" versions look like V100R001C21SPC002B220 (driver Innerversion) or
# V100R001C17B214 (toolkit innerversion); the VxxxRxxxCxx prefix names the release train
# (ascend.md section 3.4). The look-ahead stops "C215" from being read as "C21".
_INNER_RE = re.compile(r"(V[0-9]{3}R[0-9]{3}C[0-9]{2})(?![0-9])")
# NOTE: version.cfg entries are "[<inner build>:<public CANN version>]", e.g.
# runtime_running_version=[7.6.0.1.220:8.0.0] (ascend.md section 3.2).
_CFG_ENTRY_RE = re.compile(r"\[([^\[\]:]*):([^\[\]]*)\]")


def _split_line(line: str) -> Optional[tuple[str, str]]:
    """Split one line into ``(key, value)``, or return None when it is not an assignment."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    eq = stripped.find("=")
    colon = stripped.find(":")
    # NOTE: most files use "key=value", but NNAL/ATB's version.info uses
    # "    Ascend-cann-atb Version : 8.2.RC1.B150" (ascend.md section 3.3). Values may hold the
    # other separator ("runtime_running_version=[7.6.0.1.220:8.0.0]"), so split on whichever
    # separator comes first.
    candidates = [pos for pos in (eq, colon) if pos > 0]
    if not candidates:
        return None
    pos = min(candidates)
    key = stripped[:pos].strip()
    if not _KEY_RE.fullmatch(key):
        return None
    return key, _unquote(stripped[pos + 1 :].strip())


def _unquote(value: str) -> str:
    """Drop one pair of matching surrounding quotes.

    NOTE: toolkit version.info files quote some values, e.g.
    required_package_opp_kernel_version=">=7.6, <=8.2" (ascend.md section 3.3); the quotes are
    shell syntax, not part of the value.
    """
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def parse_key_values(text: str) -> dict[str, str]:
    """Read a ``key=value`` (or ``key : value``) file into a dict.

    Keys and values are stripped and keys keep their case, because Huawei spells the same
    field differently across files (``Version`` vs ``version``, ``Innerversion`` vs
    ``innerversion``); use :func:`get_ci` for a case-insensitive look-up. The first occurrence
    of a key wins, and lines that are not assignments (prompts, comments, blank lines) are
    skipped, so pasted terminal sessions parse too.
    """
    result: dict[str, str] = {}
    for line in text.splitlines():
        pair = _split_line(line)
        if pair is not None and pair[0] not in result:
            result[pair[0]] = pair[1]
    return result


def get_ci(mapping: Mapping[str, str], key: str) -> Optional[str]:
    """Look ``key`` up ignoring case; the first matching key in mapping order wins."""
    if key in mapping:
        return mapping[key]
    wanted = key.casefold()
    for candidate, value in mapping.items():
        if candidate.casefold() == wanted:
            return value
    return None


def parse_bracket_ranges(value: str) -> list[tuple[str, Optional[str]]]:
    """Parse Huawei compatibility lists such as ``[V100R001C15,V100R001C18],[V100R001C30]``.

    Each ``[lo,hi]`` becomes ``(lo, hi)`` and each ``[x]`` becomes ``(x, None)``. Bounds are
    kept as written (whitespace stripped): a trailing dot, as in firmware
    ``compatible_version_drv=[23.0.0,23.0.0.]``, means "anything with this prefix" and is left
    for the caller to interpret. Empty or malformed pieces are skipped.
    """
    ranges: list[tuple[str, Optional[str]]] = []
    for match in _BRACKET_RE.finditer(value):
        parts = [part.strip() for part in match.group(1).split(",")]
        if len(parts) == 1 and parts[0]:
            ranges.append((parts[0], None))
        elif len(parts) == 2 and parts[0] and parts[1]:
            ranges.append((parts[0], parts[1]))
    return ranges


def inner_release(value: str) -> Optional[str]:
    """Return the ``VxxxRxxxCxx`` release prefix of an inner version, or None.

    ``V100R001C21SPC002B220`` -> ``V100R001C21``. Compatibility lists in the same files are
    written in this shortened form, so callers compare on it.
    """
    match = _INNER_RE.match(value.strip())
    return match.group(1) if match else None


def parse_version_cfg(text: str) -> dict[str, str]:
    """Read CANN's ``version.cfg`` into ``{entry name: public version}``.

    ``runtime_running_version=[7.6.0.1.220:8.0.0]`` -> ``{"runtime_running_version": "8.0.0"}``.
    Only the first bracketed entry of a line is used; a bracket without a colon yields its
    whole content. Lines of any other shape are skipped.
    """
    result: dict[str, str] = {}
    for key, raw in parse_key_values(text).items():
        entry = _CFG_ENTRY_RE.match(raw)
        if entry is not None:
            public = entry.group(2).strip()
        else:
            ranges = parse_bracket_ranges(raw)
            if not raw.startswith("[") or not ranges or ranges[0][1] is not None:
                continue
            public = ranges[0][0]
        if public:
            result[key] = public
    return result
