"""One known failure: an error text's pattern, its likely cause and fix.

Each stack lists its own (chipdoctor/stacks/<name>/smoke.py); chipdoctor/smoke/causes.py
searches them in order, for the smoke test's output (`check --deep`) and for the failed job's
log (`check --log`, chipdoctor/symptoms/). Each entry cites, beside it, the code that prints
the text or the reports where it was seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from chipdoctor.i18n import Text


@dataclass(frozen=True)
class KnownFailure:
    pattern: re.Pattern[str]
    cause: Text  # a template; `{name}` comes from the context or the pattern's named groups
    fix: Text
    #: (fnmatch patterns of) the static check's finding ids that explain the same failure.
    related: tuple[str, ...] = ()
    #: Applies only when one of these stacks was found; empty: whatever was found.
    stacks: tuple[str, ...] = ()
    #: The finding a log showing this text gets (`check --log`) when no finding of `related`
    #: explains it; empty: `host.log-symptom`.
    finding: str = ""
    #: The symptom kind the rules read (chipdoctor/symptoms/kinds.py); empty: none reads it.
    kind: str = ""

    def in_log(self, *, finding: str = "", kind: str = "") -> KnownFailure:
        """This entry with what `check --log` makes of it: its finding id, its symptom kind."""
        return replace(self, finding=finding, kind=kind)


def known(
    pattern: str,
    cause: Text,
    fix: Text,
    *,
    related: tuple[str, ...] = (),
    stacks: tuple[str, ...] = (),
) -> KnownFailure:
    return KnownFailure(re.compile(pattern, re.IGNORECASE), cause, fix, related, stacks)
