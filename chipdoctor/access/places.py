"""The `{placeholders}` of the stacks' `access:` data, filled from what the probes found.

Each one is a directory or script a stack's probe located (or the vendor's default when it
found none), so a fix names the real path on this machine: `source /opt/cann/set_env.sh`, not
the documentation's example. Each stack says which it fills (its descriptor's `places`).
"""

from __future__ import annotations

import re

from chipdoctor.evidence.base import Evidence
from chipdoctor.model import Inventory
from chipdoctor.stacks import STACKS

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class Places:
    """Placeholder values for one check."""

    def __init__(self, evidence: Evidence, inventory: Inventory) -> None:
        self.values: dict[str, str] = {}
        for stack in STACKS.values():
            self.values.update(stack.places(evidence, inventory))

    def fill(self, template: str) -> str | None:
        """`template` with its placeholders filled; None when one has no value here."""
        missing = [name for name in _PLACEHOLDER.findall(template) if name not in self.values]
        if missing:
            return None
        return _PLACEHOLDER.sub(lambda match: self.values[match.group(1)], template)
