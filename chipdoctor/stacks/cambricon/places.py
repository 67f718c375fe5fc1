"""Where this machine's Neuware is, for the `{neuware}` placeholder of the stack's `access:`
data: $NEUWARE_HOME, else the folder its version file is in, else the default."""

from __future__ import annotations

from chipdoctor.evidence.base import Evidence
from chipdoctor.model import Inventory
from chipdoctor.stacks.cambricon.facts import NEUWARE_ROOT


def places(evidence: Evidence, inventory: Inventory) -> dict[str, str]:
    home = evidence.getenv("NEUWARE_HOME")
    found = inventory.component("neuware")
    source = found.source if found is not None else ""
    if home and home.startswith("/"):
        return {"neuware": home.rstrip("/")}
    if source.startswith("/"):
        return {"neuware": source.rsplit("/", 1)[0]}
    return {"neuware": NEUWARE_ROOT}
