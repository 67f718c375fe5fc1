"""Log lines -> the symptoms they show, by the one catalog of known failures
(chipdoctor/smoke/causes.py `known_failures()`, the stacks' smoke.py; each entry beside the
source of its text) that `check --deep` reads its smoke test's output with."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from chipdoctor.model import Symptom
from chipdoctor.printable import visible
from chipdoctor.smoke.causes import known_failures

#: The most symptoms one log yields (a job that failed on every rank repeats itself): the last
#: ones, for the end of a log holds the error that ended the job, and the lines before it may be
#: noise the catalog knows (TensorFlow's "Could not load dynamic library 'libcudart.so.11.0';
#: dlerror: …" for each CUDA library, tensorflow/stream_executor/platform/default/dso_loader.cc).
MAX_SYMPTOMS = 20
#: The most of a line a finding quotes.
MAX_QUOTE = 300


def recognise(lines: Iterable[str], first: int = 1) -> tuple[Symptom, ...]:
    """Each line's known failures in the catalog's order (most specific first) up to the first
    that holds on any stack: the same text can mean another cause on another stack ("Torch not
    compiled with CUDA enabled" on an NPU host), and which stacks this host has is known only
    after probing (`for_stacks` picks then). Each failure with the same values once, at the
    first line it stands on; of more than MAX_SYMPTOMS such, the last ones; `first` is the line
    number of the first of `lines`."""
    catalog = known_failures()
    found: dict[tuple[int, tuple[tuple[str, str], ...]], Symptom] = {}
    for number, line in enumerate(lines, first):
        for index, failure in enumerate(catalog):
            match = failure.pattern.search(line)
            if match is None:
                continue
            values = tuple(sorted((k, v) for k, v in match.groupdict().items() if v))
            if (index, values) not in found:
                found[index, values] = Symptom(
                    failure.kind, values, number, quote(line), failure=failure
                )
                if len(found) > MAX_SYMPTOMS:
                    del found[next(iter(found))]
            if not failure.stacks:
                break
    return tuple(found.values())


def for_stacks(symptoms: Iterable[Symptom], stacks: Collection[str]) -> tuple[Symptom, ...]:
    """Per log line, the first failure that holds on the stacks found; where none does, the
    line's last, the broadest reading the catalog has (its order is most specific first): the
    log is evidence of what ran even where the probes found no such stack."""
    by_line: dict[int, list[Symptom]] = {}
    for symptom in symptoms:
        by_line.setdefault(symptom.line, []).append(symptom)
    chosen = []
    for candidates in by_line.values():
        fitting = [
            s
            for s in candidates
            if s.failure is None or not s.failure.stacks or set(s.failure.stacks) & set(stacks)
        ]
        chosen.append(fitting[0] if fitting else candidates[-1])
    return tuple(chosen)


def quote(line: str) -> str:
    """The line as a finding quotes it: stripped, visible, at most MAX_QUOTE characters."""
    text = visible(line.strip())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"
