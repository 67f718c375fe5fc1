"""One known failure of the smoke test: an error text's pattern, its likely cause and fix.

Each stack lists its own (chipdoctor/stacks/<name>/smoke.py); chipdoctor/smoke/causes.py
searches them in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def known(
    pattern: str,
    cause: Text,
    fix: Text,
    *,
    related: tuple[str, ...] = (),
    stacks: tuple[str, ...] = (),
) -> KnownFailure:
    return KnownFailure(re.compile(pattern, re.IGNORECASE), cause, fix, related, stacks)
