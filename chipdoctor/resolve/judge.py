"""A stack's own `check` rules as the resolver's judge: what they say of a host holding exactly a
candidate target. Judging with the rules themselves means `fix` never proposes a stack `check`
would reject, and never drifts from it when a rule changes."""

from __future__ import annotations

from collections.abc import Mapping

from chipdoctor.matrix.model import Matrix
from chipdoctor.model import Component, Inventory, Severity
from chipdoctor.stacks import STACKS


class Judge:
    """(accepted, warnings) of a target: accepted when the rules find no error; the warnings'
    messages are the candidate's. Memoised: a search judges the same targets many times."""

    def __init__(self, stack: str, matrix: Matrix) -> None:
        self.stack = stack
        self.matrix = matrix
        self._evaluate = STACKS[stack].evaluate
        self._seen: dict[tuple[tuple[str, str], ...], tuple[bool, tuple[str, ...]]] = {}

    def __call__(self, target: Mapping[str, str]) -> tuple[bool, tuple[str, ...]]:
        key = tuple(sorted((c, v) for c, v in target.items() if v))
        if key not in self._seen:
            host = Inventory(stacks=[self.stack])
            host.components = [Component(c, v, "target") for c, v in key]
            found = self._evaluate(host, self.matrix)
            accepted = not any(f.severity is Severity.ERROR for f in found)
            warnings = tuple(f.message for f in found if f.severity is Severity.WARNING)
            self._seen[key] = (accepted, warnings)
        return self._seen[key]
