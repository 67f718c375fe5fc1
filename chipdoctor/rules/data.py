"""Versions newer than the data: what the matrices cannot judge yet.

Vendors release monthly; an installed release newer than every version the data knows for its
component is not "unknown" and must not be answered with advice to install a published release
(it is one) or, in `fix`, with a downgrade. It gets its own finding, naming the data's date.
"""

from __future__ import annotations

from collections.abc import Mapping

from chipdoctor import stacks
from chipdoctor.i18n import T
from chipdoctor.matrix.model import Matrix
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.rules.common import compare, stack_finding
from chipdoctor.versions import InvalidVersion, public_version, scheme_for

_OPERATORS = frozenset("<>=!~,*")
NEWER_THAN_DATA = "newer-than-data"
#: The findings a newer-than-data finding replaces for the same component: their advice ("a
#: published release") assumes the data knows every release.
_REPLACED = "unknown-combination"


def judged_components(stack: str) -> tuple[str, ...]:
    """The components whose releases the stack's matrix pairs: its toolkit and packages.

    Drivers are judged by minimums (a newer one is expected to run older software), and Python
    by the host's own rules, so neither is ever "newer than the data".
    """
    resolver = stacks.get(stack).resolver()
    if resolver is None:
        return ()
    return tuple(c for c in (*resolver.medium, *resolver.soft) if c != "python")


def newest_known(matrix: Matrix, component: str) -> str | None:
    """The newest release of `component` the data names: in `newest:` or in any row."""
    cache = matrix.known
    if component not in cache:
        named = [matrix.newest.get(component)]
        for table in matrix.tables.values():
            for row in table.rows:
                named += (_plain(p) for p in row.patterns(component))
        cache[component] = _newest(component, [v for v in named if v])
    return cache[component]


def newer_than_data(matrix: Matrix, component: str, version: str) -> str | None:
    """The newest release the data knows when `version` is newer than it, else None."""
    known = newest_known(matrix, component)
    if known is None or compare(component, version, known) != 1:
        return None
    return known


def beyond_data(stack: str, versions: Mapping[str, str], matrix: Matrix) -> dict[str, str]:
    """{component: newest known} for each judged component installed newer than the data."""
    out = {}
    for component in judged_components(stack):
        version = versions.get(component)
        known = newer_than_data(matrix, component, version) if version else None
        if known is not None:
            out[component] = known
    return out


def data_findings(
    stack: str, inventory: Inventory, matrix: Matrix, findings: list[Finding]
) -> list[Finding]:
    """`findings` with a newer-than-data finding for each such component, in place of the
    unknown-combination findings about it."""
    versions = {c.id: c.version for c in inventory.components}
    beyond = beyond_data(stack, versions, matrix)
    if not beyond:
        return findings
    kept = [
        f
        for f in findings
        if not (f.id == f"{stack}.{_REPLACED}" and set(f.components) & set(beyond))
    ]
    return [
        *(
            newer_finding(stack, component, versions[component], known, matrix.updated)
            for component, known in beyond.items()
        ),
        *kept,
    ]


def newer_finding(stack: str, component: str, version: str, known: str, updated: str) -> Finding:
    return stack_finding(
        NEWER_THAN_DATA,
        Severity.WARNING,
        (component,),
        T(
            "{component} {version} is newer than this data, refreshed {updated} (the newest "
            "{component} it knows is {known}); chipdoctor cannot judge its pairings.",
            component=component,
            version=version,
            updated=updated or T("on an unknown date"),
            known=known,
        ),
        T("Run `chipdoctor matrix update` for newer data (docs/data.md)."),
        stack=stack,
    )


def _plain(pattern: str) -> str | None:
    """A plain version or a `.X` / `.*` line (kept as written, so it still matches its
    releases); None for a range."""
    text = pattern.strip()
    line = _line_start(text)
    return None if not line or _OPERATORS & set(line) else text


def _line_start(text: str) -> str:
    """`2.5.x` / `2.5.*` -> `2.5`; a plain version as it is."""
    return text[:-2] if text.lower().endswith((".x", ".*")) else text


def _newest(component: str, versions: list[str]) -> str | None:
    """The newest of plain versions and lines, by the version a line starts with."""
    scheme = scheme_for(component)
    best: tuple[object, str] | None = None
    for version in versions:
        text = _line_start(version)
        try:
            parsed = scheme.parse(text if scheme.grammar == "vendor" else public_version(text))
        except InvalidVersion:
            continue
        if best is None or parsed > best[0]:  # type: ignore[operator]
            best = (parsed, version)
    return None if best is None else best[1]
