"""The `{placeholders}` of the stacks' `access:` data, filled from what the probes found.

Each one is a directory or script the stack probes located (or the vendor's default when they
found none), so a fix names the real path on this machine: `source /opt/cann/set_env.sh`, not
the documentation's example.
"""

from __future__ import annotations

import re

from chipdoctor.evidence.base import Evidence
from chipdoctor.model import Inventory

# Keys of Inventory.facts written by the stack probes (chipdoctor/probes/*.py).
_ASCEND_TOOLKIT_SOURCE = "ascend.toolkit.source"
_ASCEND_SET_ENV = "ascend.set_env"
_DTK_ROOT = "dcu.dtk.root"

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class Places:
    """Placeholder values for one check."""

    def __init__(self, evidence: Evidence, inventory: Inventory) -> None:
        self.values: dict[str, str] = {}
        facts = inventory.facts
        toolkit = _toolkit_home(facts.get(_ASCEND_TOOLKIT_SOURCE, ""))
        if toolkit:
            self.values["toolkit"] = toolkit
        if facts.get(_ASCEND_SET_ENV):
            self.values["set_env"] = facts[_ASCEND_SET_ENV]
        self.values["ascend"] = _ascend_root(toolkit) if toolkit else "/usr/local/Ascend"
        neuware = evidence.getenv("NEUWARE_HOME")
        source = _component_source(inventory, "neuware")
        if neuware and neuware.startswith("/"):
            self.values["neuware"] = neuware.rstrip("/")
        elif source.startswith("/"):
            self.values["neuware"] = source.rsplit("/", 1)[0]
        else:
            self.values["neuware"] = "/usr/local/neuware"
        self.values["dtk"] = facts.get(_DTK_ROOT) or "/opt/dtk"
        rocm = _component_source(inventory, "rocm")
        self.values["rocm"] = rocm.split("/.info/", 1)[0] if "/.info/" in rocm else "/opt/rocm"

    def fill(self, template: str) -> str | None:
        """`template` with its placeholders filled; None when one has no value here."""
        missing = [name for name in _PLACEHOLDER.findall(template) if name not in self.values]
        if missing:
            return None
        return _PLACEHOLDER.sub(lambda match: self.values[match.group(1)], template)


def _component_source(inventory: Inventory, component_id: str) -> str:
    component = inventory.component(component_id)
    return component.source if component is not None else ""


def _toolkit_home(source: str) -> str:
    """The toolkit home from the file its version came from (probes/ascend.py `_toolkit`)."""
    if source.endswith("/ascend_toolkit_install.info"):
        return source.rsplit("/", 2)[0]  # <home>/<arch>-linux/ascend_toolkit_install.info
    if source.endswith("/version.cfg"):
        return source.rsplit("/", 1)[0]
    return ""


def _ascend_root(home: str) -> str:
    for marker in ("/ascend-toolkit/", "/cann-", "/cann"):
        index = home.find(marker)
        if index > 0:
            return home[:index]
    return home.rsplit("/", 1)[0] or "/"
