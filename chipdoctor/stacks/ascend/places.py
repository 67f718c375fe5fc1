"""Where this machine's Ascend install is, for the `{placeholders}` of the stack's `access:` data
(`{toolkit}`, `{set_env}`, `{ascend}`): the real paths the probe found, else the defaults."""

from __future__ import annotations

from chipdoctor.model import Inventory
from chipdoctor.stacks.ascend.facts import ASCEND_ROOT, FACT_SET_ENV, FACT_TOOLKIT_SOURCE


def places(inventory: Inventory) -> dict[str, str]:
    values: dict[str, str] = {}
    toolkit = _toolkit_home(inventory.facts.get(FACT_TOOLKIT_SOURCE, ""))
    if toolkit:
        values["toolkit"] = toolkit
    set_env = inventory.facts.get(FACT_SET_ENV)
    if set_env:
        values["set_env"] = set_env
    values["ascend"] = _ascend_root(toolkit) if toolkit else ASCEND_ROOT
    return values


def _toolkit_home(source: str) -> str:
    """The toolkit home from the file its version came from (the probe's `_toolkit`)."""
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
