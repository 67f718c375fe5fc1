"""Version schemes, one per component, parsed once and compared correctly.

Two grammars cover every component: PEP 440 for Python packages, and the dotted vendor grammar
that Huawei uses for CANN (`8.0.RC2`, `9.0.0-beta.2`) and the Ascend HDK (`24.1.rc2.2`) and that
plain numeric versions (firmware `7.7.0.1.231`, NVIDIA driver `550.54.15`) also fit.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from functools import lru_cache, total_ordering
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from packaging.version import Version


class InvalidVersion(ValueError):
    """A version string that its component's scheme cannot read."""


# NOTE: within one major.minor Huawei orders internal trial builds (T) before release
# candidates (RC) before the final release, and a pre-release tag (alpha/beta/rc suffix, or a
# `bNNN` build) before the version it precedes: 8.0.T6 < 8.0.RC1.alpha001 < 8.0.RC1 < 8.0.RC3
# < 8.0.RC3.20 < 8.0.0 < 8.5.0.alpha002 < 8.5.0 < 9.0.0-beta.2 < 9.0.0.
_STAGE_TRIAL, _STAGE_RC, _STAGE_FINAL = 0, 1, 2
_PRE_RANK = {"b": 0, "alpha": 1, "beta": 2, "rc": 3}
_FINAL_PRE = (9, 0)  # sorts after every pre-release tag
# NOTE: ASCII digits only: str.isdigit() accepts "²", which int() then refuses.
_TOKEN = re.compile(r"^(?:([0-9]+)|(rc|t)([0-9]+)|(alpha|beta|rc|b)([0-9]*))$", re.ASCII)
_is_number = re.compile(r"^[0-9]+$").match
_SEPARATORS = re.compile(r"[.\-]")
_LETTERS_DIGITS = re.compile(r"^([a-z]*)([0-9]*)$")
_WILDCARD = re.compile(r"[.\-][xX*]$")
#: No vendor writes a version number this long; int() refuses past 4,300 digits anyway.
MAX_VERSION_DIGITS = 64
_TOO_LONG = re.compile(f"[0-9]{{{MAX_VERSION_DIGITS + 1},}}")


def _refuse_long_numbers(text: str) -> None:
    """InvalidVersion, not int()'s ValueError, for a number of more than MAX_VERSION_DIGITS."""
    if _TOO_LONG.search(text):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise InvalidVersion(f"a number in {shown!r} has more than {MAX_VERSION_DIGITS} digits")


@total_ordering
@dataclass(frozen=True)
class VendorVersion:
    """A parsed vendor version; `tokens` keeps the normalised spelling for prefix matching."""

    text: str
    tokens: tuple[str, ...]
    key: tuple[object, ...]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, VendorVersion):
            return NotImplemented
        return self.key < other.key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VendorVersion):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def startswith(self, prefix: VendorVersion) -> bool:
        return self.tokens[: len(prefix.tokens)] == prefix.tokens

    @property
    def is_prerelease(self) -> bool:
        """An alpha/beta/rc-suffix or `bNNN` build (`9.0.0-beta.2`); `8.0.RC3` is a release."""
        return self.key[-1] != _FINAL_PRE


@lru_cache(maxsize=1 << 16)
def parse_vendor(text: str) -> VendorVersion:
    """Memoised (a VendorVersion is immutable): the resolver reads each matrix version many
    times, and parsing was most of a cold `fix` on a large matrix."""
    _refuse_long_numbers(text)
    raw = text.strip()
    tokens = tuple(t for t in _SEPARATORS.split(raw.lower()) if t)
    if not tokens or not _is_number(tokens[0]):
        raise InvalidVersion(f"not a vendor version: {text!r}")
    major = int(tokens[0])
    rest = list(tokens[1:])
    minor = int(rest.pop(0)) if rest and _is_number(rest[0]) else 0
    stage, number = _STAGE_FINAL, 0
    if rest:
        match = _TOKEN.match(rest[0])
        if match and match.group(1) is not None:
            number = int(match.group(1))
            rest.pop(0)
        elif match and match.group(2) is not None:
            stage = _STAGE_RC if match.group(2) == "rc" else _STAGE_TRIAL
            number = int(match.group(3))
            rest.pop(0)
    patches: list[int] = []
    pre: tuple[int, int] = _FINAL_PRE
    while rest:
        token = rest.pop(0)
        match = _TOKEN.match(token)
        if match is None or match.group(2) is not None:
            raise InvalidVersion(f"not a vendor version: {text!r}")
        if match.group(1) is not None:
            patches.append(int(match.group(1)))
            continue
        if pre != _FINAL_PRE:
            raise InvalidVersion(f"two pre-release tags in {text!r}")
        digits = match.group(5)
        if not digits and rest and _is_number(rest[0]):  # `9.0.0-beta.2`
            digits = rest.pop(0)
        pre = (_PRE_RANK[match.group(4)], int(digits or 0))
    key = (major, minor, stage, number, tuple(patches), pre)
    return VendorVersion(raw, _normal_tokens(tokens), key)


def _normal_tokens(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Spelling-insensitive tokens: `beta.1` and `beta1` are one tag, `001` is `1`."""
    out: list[str] = []
    for token in tokens:
        if _is_number(token) and out and out[-1] in _PRE_RANK:
            out[-1] += str(int(token))
            continue
        match = _LETTERS_DIGITS.match(token)
        if match and match.group(2):
            out.append(match.group(1) + str(int(match.group(2))))
        else:
            out.append(token)
    return tuple(out)


ParsedVersion = Union["Version", VendorVersion]
_OPERATORS = ("<=", ">=", "==", "!=", "<", ">")


@dataclass(frozen=True)
class Scheme:
    """How one component's versions are read, ordered and matched against matrix patterns.

    A matrix pattern is one of: a version (PEP 440: equal, ignoring a local `+tag` the pattern
    lacks; vendor: the same version or a longer one that starts with it, so `25.0` and `25.0.X`
    cover `25.0.rc1.1`), or comma-separated comparisons such as `>=8.0.RC2,<=8.3.RC1`.
    """

    name: str
    grammar: str  # "pep440" or "vendor"
    #: Read only the leading dotted number (`6.3.30-V1.4.1a` is 6.3.30): a vendor that
    #: appends a build label it does not compare by.
    leading: bool = False

    def parse(self, text: str) -> ParsedVersion:
        if self.leading:
            return parse_vendor(_leading_number(text))
        if self.grammar == "pep440":
            from packaging.version import InvalidVersion as _PackagingInvalid
            from packaging.version import Version

            _refuse_long_numbers(text)
            try:
                return Version(text.strip())
            except _PackagingInvalid:
                raise InvalidVersion(f"not a PEP 440 version: {text!r}") from None
        return parse_vendor(text)

    def validate_pattern(self, pattern: str) -> None:
        """Raise InvalidVersion when a matrix pattern cannot be read."""
        self.matches(pattern, None)

    def matches(self, pattern: str, version: str | None) -> bool:
        """Whether `version` satisfies `pattern`; with version None, only check the pattern."""
        if self.grammar == "pep440":
            return self._pep440_matches(pattern, version)
        clauses = [c.strip() for c in pattern.split(",")]
        if not all(clauses):
            raise InvalidVersion(f"empty clause in version pattern {pattern!r}")
        parsed = [_vendor_clause(c) for c in clauses]
        if version is None:
            return True
        value = parse_vendor(_leading_number(version) if self.leading else version)
        return all(_vendor_test(op, bound, value) for op, bound in parsed)

    def _pep440_matches(self, pattern: str, version: str | None) -> bool:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        _refuse_long_numbers(pattern)
        text = pattern.strip()
        if not text.startswith((*_OPERATORS, "~=")):
            text = f"=={text}"
        try:
            spec = SpecifierSet(text)
        except InvalidSpecifier:
            raise InvalidVersion(f"not a PEP 440 pattern: {pattern!r}") from None
        if version is None:
            return True
        self.parse(version)  # raises InvalidVersion for text that is not PEP 440
        return spec.contains(version.strip(), prereleases=True)


def _leading_number(text: str) -> str:
    match = _LEADING_NUMBER.match(text.strip().lstrip("vV"))
    if match is None:
        raise InvalidVersion(f"not a version: {text!r}")
    return match.group(0)


_LEADING_NUMBER = re.compile(r"\d+(?:\.\d+)*")


@lru_cache(maxsize=1 << 16)
def _vendor_clause(clause: str) -> tuple[str, VendorVersion]:
    """Memoised: loading a matrix reads each of its patterns, and resolving reads them again."""
    for op in _OPERATORS:
        if clause.startswith(op):
            bound = clause[len(op) :].strip()
            break
    else:
        op, bound = "==", clause
    if _WILDCARD.search(bound):
        if op != "==":
            raise InvalidVersion(f"a wildcard only works alone: {clause!r}")
        bound = bound[:-2]
    return op, parse_vendor(bound)


def _vendor_test(op: str, bound: VendorVersion, value: VendorVersion) -> bool:
    prefix = value.startswith(bound)
    if op == "==":
        return prefix
    if op == "!=":
        return not prefix
    if op == ">=":
        return prefix or value > bound
    if op == "<=":
        return prefix or value < bound
    if op == ">":
        return value > bound and not prefix
    return value < bound and not prefix


PEP440 = Scheme("pep440", "pep440")
CANN = Scheme("cann", "vendor")
ASCEND_DRIVER = Scheme("ascend-driver", "vendor")
DOTTED = Scheme("dotted", "vendor")
# NOTE: Hygon compares the leading dotted number of a driver string ("6.3.30-V1.4.1a" -> 6.3.30),
# as HYGON-AI/hcu-dcgm compatibility.go normalizedVersion does.
HYGON_DRIVER = Scheme("hygon-driver", "vendor", leading=True)

#: The host's components that are not PEP 440; each stack declares its own
#: (chipdoctor/stacks/<name>/__init__.py).
HOST_SCHEMES: dict[str, Scheme] = {
    "glibc": DOTTED,
    "os": DOTTED,
    # NOTE: matrices list Python as minor versions ("3.10"); prefix matching covers 3.10.12.
    "python": DOTTED,
}


@functools.cache
def _component_schemes() -> dict[str, Scheme]:
    # NOTE: imported here: the stacks' descriptors import this module for its schemes.
    from chipdoctor.stacks import STACKS

    table = dict(HOST_SCHEMES)
    for stack in STACKS.values():
        table.update(stack.schemes)
    return table


def scheme_for(component_id: str) -> Scheme:
    return _component_schemes().get(component_id, PEP440)


def public_version(text: str) -> str:
    """A PEP 440 version without its local tag: `2.3.0+cu121` -> `2.3.0`."""
    return text.split("+", 1)[0]
