"""Log text -> the symptoms it shows (chipdoctor/symptoms/signatures.py); pure."""

from __future__ import annotations

from collections.abc import Iterable

from chipdoctor.model import Symptom
from chipdoctor.printable import visible
from chipdoctor.symptoms.signatures import SIGNATURES

#: The most symptoms one log yields: a job that failed on every rank repeats itself.
MAX_SYMPTOMS = 20
#: The most of a line a finding quotes.
MAX_QUOTE = 300


def recognise(lines: Iterable[str], first: int = 1) -> tuple[Symptom, ...]:
    """Each recognised message once (the first line it stands on), in the order of the log;
    `first` is the line number of the first of `lines`."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], Symptom] = {}
    for number, line in enumerate(lines, first):
        for signature in SIGNATURES:
            if signature.needle not in line:
                continue
            match = signature.pattern.search(line)
            if match is None:
                continue
            values = tuple(sorted((k, v) for k, v in match.groupdict().items() if v))
            key = (signature.kind, values)
            if key not in found:
                found[key] = Symptom(signature.kind, values, number, quote(line))
                if len(found) >= MAX_SYMPTOMS:
                    return tuple(found.values())
    return tuple(found.values())


def quote(line: str) -> str:
    """The line as a finding quotes it: stripped, visible, at most MAX_QUOTE characters."""
    text = visible(line.strip())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"
