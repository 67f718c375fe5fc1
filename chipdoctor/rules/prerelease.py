"""Pre-release, dev and nightly builds (`2.5.1rc1`, `2.7.0.dev20250310+cu124`) judged as the final
release they lead to, with a warning that names it.

NOTE: the matrices list final releases only; a pattern `2.5.1` does not match `2.5.1rc1` under
PEP 440, so without this every nightly would be an "unknown combination" although its base
release is known. The local build tag stays (`+cu124` still says which CUDA it is built for).
Post releases (`2.1.0.post10`) are final releases and are judged as they are.
"""

from __future__ import annotations

from dataclasses import replace

from chipdoctor.i18n import T
from chipdoctor.model import Component, Finding, Inventory, Severity
from chipdoctor.versions import PEP440, InvalidVersion, scheme_for

#: prerelease.<component> = the version as installed, in the inventory the rules judge: a rule
#: whose data is per nightly (the GPU targets of a ROCm nightly wheel) reads the build date here.
FACT_PRERELEASE = "prerelease."


def base_release(version: str) -> str | None:
    """`2.7.0.dev20250310+cu124` -> `2.7.0+cu124`; None for a final release or non-PEP 440."""
    from packaging.version import Version

    try:
        parsed = PEP440.parse(version)  # refuses a number too long to read (versions.py)
    except InvalidVersion:
        return None
    if not isinstance(parsed, Version) or not (parsed.is_prerelease or parsed.is_devrelease):
        return None
    release = ".".join(str(n) for n in parsed.release)
    return f"{release}+{parsed.local}" if parsed.local else release


def as_released(inventory: Inventory) -> tuple[Inventory, list[Finding]]:
    """The inventory the rules judge (pre-releases replaced by their base release) and a warning
    for each one replaced."""
    components: list[Component] = []
    warnings: list[Finding] = []
    installed: dict[str, str] = {}
    for component in inventory.components:
        base = (
            base_release(component.version)
            if scheme_for(component.id).grammar == "pep440"
            else None
        )
        if base is None or component.id == "python":
            components.append(component)
            continue
        components.append(replace(component, version=base))
        installed[f"{FACT_PRERELEASE}{component.id}"] = component.version
        final = base.partition("+")[0]
        warnings.append(
            Finding(
                "host.prerelease",
                Severity.WARNING,
                (component.id,),
                T(
                    "{name} {version} is a pre-release (nightly, dev or release-candidate) "
                    "build: no compatibility table lists it, so it is judged as {name} {final}, "
                    "the final release that replaces it; a pre-release may differ from it.",
                    name=component.id,
                    version=component.version,
                    final=final,
                ),
                T(
                    "Install the final release once it is published: pip install {name}=={final} "
                    "(from the index this build came from)",
                    name=component.id,
                    final=final,
                ),
            )
        )
    if not warnings:
        return inventory, []
    facts = {**inventory.facts, **installed}
    return replace(inventory, components=components, facts=facts), warnings
