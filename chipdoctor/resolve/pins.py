"""The user's pins (`--torch 2.4`, `--cann 8.0.RC3`, `--pin component=version`): prefixes read with
each component's version scheme, so `--torch 2.4` admits 2.4.0 and 2.4.1 and `--cann 8.0`
admits 8.0.RC3 and 8.0.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from chipdoctor.components import ALL_COMPONENTS
from chipdoctor.errors import BadInput
from chipdoctor.versions import InvalidVersion, VendorVersion, scheme_for


@dataclass(frozen=True)
class Pin:
    """One constraint on a component: its target must start with `text`."""

    component: str
    text: str
    #: How the user said it, for messages: `--torch 2.4`, `--pin cann=8.0`, `installed driver`.
    option: str

    def matches(self, version: str) -> bool:
        return _matches(self.component, self.text, version)

    def exact(self, version: str) -> bool:
        """The pin names this very version (a pre-release is only chosen when named in full)."""
        return _matches(self.component, self.text, version) and _matches(
            self.component, version, self.text
        )


def by_component(pins: Iterable[Pin]) -> dict[str, list[Pin]]:
    out: dict[str, list[Pin]] = {}
    for pin in pins:
        out.setdefault(pin.component, []).append(pin)
    return out


def allowed(by: Mapping[str, list[Pin]], component: str, version: str) -> bool:
    """Whether every pin on `component` admits `version` (`by` from `by_component`)."""
    pins = by.get(component)
    return not pins or all(p.matches(version) for p in pins)


def parse_pin(component: str, text: str, option: str) -> Pin:
    """Validate one pin; bad input is exit 2 with the option named."""
    if component not in ALL_COMPONENTS:
        known = ", ".join(sorted(ALL_COMPONENTS))
        raise BadInput(f"{option}: {component!r} is not a component id (known: {known})")
    value = text.strip()
    if not value:
        raise BadInput(f"{option}: a version is required")
    try:
        _parse(component, value)
    except InvalidVersion as exc:
        raise BadInput(f"{option}: {exc}") from None
    return Pin(component, value, option)


def parse_generic(spec: str) -> Pin:
    """`--pin component=version`."""
    component, sep, version = spec.partition("=")
    if not sep:
        raise BadInput(f"--pin {spec}: write it as component=version, e.g. --pin torch_npu=2.1.0")
    return parse_pin(component.strip(), version, f"--pin {spec}")


def _parse(component: str, text: str) -> object:
    return scheme_for(component).parse(text)


@lru_cache(maxsize=65536)
def _matches(component: str, prefix: str, version: str) -> bool:
    try:
        pin = _parse(component, prefix)
        value = _parse(component, version)
    except InvalidVersion:
        return False
    if isinstance(pin, VendorVersion):
        return isinstance(value, VendorVersion) and value.startswith(pin)
    # PEP 440: the pin's release numbers are a prefix of the version's, and any pre/post/dev
    # segment the pin spells must be the version's too; a local tag (+cpu) the pin omits is free.
    from packaging.version import Version

    assert isinstance(pin, Version) and isinstance(value, Version)
    if value.release[: len(pin.release)] != pin.release:
        return False
    for segment in ("epoch", "pre", "post", "dev", "local"):
        wanted = getattr(pin, segment)
        if wanted and getattr(value, segment) != wanted:
            return False
    return not (len(pin.release) < len(value.release) and (pin.post is not None or pin.pre))


@lru_cache(maxsize=65536)
def is_prerelease(component: str, version: str) -> bool:
    """alpha/beta/rc/dev builds; never chosen unless installed or pinned in full."""
    try:
        parsed = _parse(component, version)
    except InvalidVersion:
        return False
    if isinstance(parsed, VendorVersion):
        return parsed.is_prerelease
    return bool(getattr(parsed, "is_prerelease", False))
