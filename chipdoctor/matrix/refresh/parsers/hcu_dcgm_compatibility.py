"""Hygon's DCU driver <-> DTK compatibility as Hygon publishes it: Go code, HYGON-AI/hcu-dcgm
`pkg/dcgm/compatibility.go`. Two map literals hold the data:

    var officialCompatibilityMatrix = map[string][]compatibilityTier{
        "K100": {{minimumDriver: "5.16.29", supportedDTK: []string{"23.04", "23.10"}}, …},
    var legacyCompatibilityMatrix = map[string]legacyCompatibilityRule{
        "BW200": {minimumDriver: "6.3.0", minimumDTK: "25.00.00"},

They are read with a Go lexer and a reader of composite literals (strings, keys, braces), not by
matching text. The cards share one ladder of tiers, each card starting at its own rung, so each
tier becomes one row (Hygon takes the highest tier the driver reaches) and a driver whose tiers
differ between cards is refused; a legacy rule is a row of its card.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

from chipdoctor.matrix.refresh.model import Generated, SourceError, one_recorded_file

NAME = "hcu-dcgm-compatibility"
_OFFICIAL = "officialCompatibilityMatrix"
_LEGACY = "legacyCompatibilityMatrix"


@dataclass(frozen=True)
class _Token:
    kind: str  # "string", "ident", "punct", "number"
    text: str
    line: int


# A composite literal's value: a string, or the elements of a `{…}` (each a value or key: value).
Value = Union[str, "Composite"]


@dataclass
class Composite:
    items: list[tuple[str | None, Value]]  # (key, value); key None for a positional element

    def keyed(self) -> dict[str, Value]:
        return {key: value for key, value in self.items if key is not None}


def parse(directory: Path) -> Generated:
    out = Generated(NAME, "dcu")
    recorded = one_recorded_file(directory, "compatibility.go")
    where = str(recorded.path)
    tokens = _lex(recorded.text(), where)
    official = _variable(tokens, _OFFICIAL, where)
    legacy = _variable(tokens, _LEGACY, where)
    source_id = "gen-hcu-dcgm-compat"
    out.sources[source_id] = recorded.source(
        f"HYGON-AI/hcu-dcgm pkg/dcgm/compatibility.go @ "
        f"{recorded.short_commit}: {_OFFICIAL} (minimum driver -> supported "
        f"DTK releases per card) and {_LEGACY} (minimum driver and minimum DTK)"
    )
    for driver, dtk, cards in _ladder(official, where):
        out.add(
            "driver_dtk",
            {
                "hygon_driver": f">={driver}",
                "dtk": dtk,
                "source": source_id,
                "note": f"{_OFFICIAL}: " + ", ".join(cards),
            },
        )
    for card, rule in sorted(legacy.keyed().items()):
        fields = _fields(rule, ("minimumDriver", "minimumDTK"), f"{_LEGACY}[{card}]", where)
        out.add(
            "driver_dtk",
            {
                "hygon_driver": f">={fields['minimumDriver']}",
                "dtk": f">={fields['minimumDTK']}",
                "card": card,
                "source": source_id,
                "note": f"{_LEGACY}: {card} is checked by this rule alone",
            },
        )
    return out


def _ladder(official: Composite, where: str) -> list[tuple[str, list[str], list[str]]]:
    """(minimum driver, DTK releases, cards) per tier, newest driver first; a driver whose tiers
    differ between cards is refused, since one row could not say both."""
    tiers: dict[str, tuple[list[str], list[str]]] = {}
    for card, value in official.keyed().items():
        if not isinstance(value, Composite):
            raise SourceError(f"{_OFFICIAL}[{card}] is not a list of tiers", path=where)
        for _key, tier in value.items:
            fields = _fields(tier, ("minimumDriver", "supportedDTK"), f"{_OFFICIAL}[{card}]", where)
            driver, dtk = fields["minimumDriver"], fields["supportedDTK"]
            if not isinstance(driver, str) or not isinstance(dtk, list):
                raise SourceError(
                    f"{_OFFICIAL}[{card}]: minimumDriver is not text or supportedDTK not a list",
                    path=where,
                )
            known = tiers.setdefault(driver, (dtk, []))
            if known[0] != dtk:
                raise SourceError(
                    f"{_OFFICIAL}: driver {driver} supports {known[0]} for {known[1]} but {dtk} "
                    f"for {card}",
                    path=where,
                )
            known[1].append(card)
    for driver in tiers:
        if not all(part.isdigit() for part in driver.split(".")):
            raise SourceError(f"{_OFFICIAL}: driver {driver!r} is not N.N.N", path=where)
    ordered = sorted(tiers, key=lambda d: tuple(int(p) for p in d.split(".")), reverse=True)
    return [(driver, *tiers[driver]) for driver in ordered]


def _fields(
    value: Value, names: tuple[str, ...], what: str, where: str
) -> dict[str, str | list[str]]:
    """The named fields of a struct literal: strings, or lists of strings (`[]string{…}`)."""
    if not isinstance(value, Composite):
        raise SourceError(f"{what} is not a struct literal", path=where)
    keyed = value.keyed()
    out: dict[str, str | list[str]] = {}
    for name in names:
        field = keyed.get(name)
        if isinstance(field, str):
            out[name] = field
        elif isinstance(field, Composite) and all(isinstance(v, str) for _, v in field.items):
            out[name] = [v for _, v in field.items if isinstance(v, str)]
        else:
            raise SourceError(f"{what} has no text or list field {name!r}", path=where)
    return out


def _variable(tokens: list[_Token], name: str, where: str) -> Composite:
    """The composite literal `var NAME = TYPE{…}` assigns."""
    for i, token in enumerate(tokens):
        if token.kind == "ident" and token.text == name and i and tokens[i - 1].text == "var":
            j = i + 1
            if j >= len(tokens) or tokens[j].text != "=":
                break
            while j < len(tokens) and tokens[j].text != "{":
                j += 1  # the literal's type: map[string][]T
            try:
                value, _end = _literal(tokens, j, where)
            except RecursionError:  # `{` nested thousands deep: no table Hygon publishes
                raise SourceError(f"{name} is nested too deep", path=where) from None
            return value
    raise SourceError(f"no 'var {name} = …{{…}}' composite literal", path=where)


def _literal(tokens: list[_Token], start: int, where: str) -> tuple[Composite, int]:
    """The `{…}` at `start`: its elements, and the index after its `}`."""
    items: list[tuple[str | None, Value]] = []
    i = start + 1
    while i < len(tokens):
        token = tokens[i]
        if token.text == "}":
            return Composite(items), i + 1
        if token.text == ",":
            i += 1
            continue
        key: str | None = None
        if i + 1 < len(tokens) and tokens[i + 1].text == ":" and token.kind in ("ident", "string"):
            key, i = token.text, i + 2
        value, i = _element(tokens, i, where)
        items.append((key, value))
    raise SourceError("a '{' is never closed", path=where)


def _element(tokens: list[_Token], i: int, where: str) -> tuple[Value, int]:
    """A string, or a `{…}` after an optional type (`[]string{…}`)."""
    if i < len(tokens) and tokens[i].kind == "string":
        return tokens[i].text, i + 1
    j = i
    while j < len(tokens) and tokens[j].text not in ("{", ",", "}"):
        j += 1  # a type before the brace: []string, compatibilityTier
    if j < len(tokens) and tokens[j].text == "{":
        return _literal(tokens, j, where)
    line = tokens[i].line if i < len(tokens) else 0
    raise SourceError("a value that is neither text nor a composite literal", path=where, line=line)


def _lex(text: str, where: str) -> list[_Token]:
    """Go tokens: comments and runes dropped, interpreted ("…") and raw (`…`) strings decoded."""
    tokens: list[_Token] = []
    i, line = 0, 1
    while i < len(text):
        end = _skipped(text, i, where, line)
        if end == i:
            token, end = _next(text, i, where, line)
            if token is not None:
                tokens.append(token)
        line += text.count("\n", i, end)
        i = end
    return tokens


def _skipped(text: str, i: int, where: str, line: int) -> int:
    """The index after the space or comment at `i`; `i` when there is none."""
    if text[i].isspace():
        return i + 1
    if text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        return _closing(text, i + 2, "*/", where, line) + 2
    return i


def _next(text: str, i: int, where: str, line: int) -> tuple[_Token | None, int]:
    """The token at `i` (None for a rune) and the index after it."""
    char = text[i]
    if char == "`":
        end = _closing(text, i + 1, "`", where, line)
        return _Token("string", text[i + 1 : end], line), end + 1
    if char in "\"'":
        value, end = _quoted(text, i, where, line)
        return (_Token("string", value, line) if char == '"' else None), end
    if char.isalnum() or char == "_":
        number = char.isdigit()
        j = i
        while j < len(text) and (
            text[j].isalnum() or text[j] == "_" or (number and text[j] == ".")
        ):
            j += 1
        return _Token("number" if number else "ident", text[i:j], line), j
    return _Token("punct", char, line), i + 1


def _closing(text: str, start: int, marker: str, where: str, line: int) -> int:
    end = text.find(marker, start)
    if end < 0:
        raise SourceError(
            f"a {marker!r}-closed literal or comment is never closed", path=where, line=line
        )
    return end


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "r": "\r"}


def _quoted(text: str, start: int, where: str, line: int) -> tuple[str, int]:
    """An interpreted string ("…") or a rune ('…') from `start`, decoded, and the index after
    it; neither may span lines."""
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == quote:
            return "".join(out), i + 1
        if char == "\n":
            break
        if char == "\\" and i + 1 < len(text):
            out.append(_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
            continue
        out.append(char)
        i += 1
    raise SourceError(f"a {quote}-quoted literal is never closed", path=where, line=line)
