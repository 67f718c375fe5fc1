"""The comparison: per component each version seen and on which nodes, drift from the
majority, nodes with fewer healthy devices than their peers, failed and missing nodes.

Drift on a component a distributed job needs equal on every node (components.FLEET_EQUAL:
driver, firmware, toolkit, torch, the vendor extension, the collective library, Python, the
OS arch) is an error: the job hangs or fails at its first collective. Other differences are
warnings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from chipdoctor.components import FLEET_EQUAL, display_order
from chipdoctor.fleet.inputs import Inputs, NodeReport, Unreadable
from chipdoctor.i18n import T
from chipdoctor.model import Severity

FLEET_FORMAT = "chipdoctor-fleet/1"


@dataclass(frozen=True)
class Versions:
    """One component across the fleet."""

    id: str
    must_match: bool
    #: The version most nodes have (None: the component is absent on most, or no version leads).
    majority: str | None
    #: Each version seen (None: the component is absent) and the nodes that have it, most first.
    seen: tuple[tuple[str | None, tuple[str, ...]], ...]
    #: The nodes that differ from the majority (all of them when no version leads).
    odd: frozenset[str]


@dataclass(frozen=True)
class FleetFinding:
    id: str
    severity: Severity
    nodes: tuple[str, ...]
    message: str
    component: str | None = None


@dataclass
class Fleet:
    nodes: list[NodeReport]
    components: list[Versions]
    findings: list[FleetFinding]
    unreadable: list[Unreadable]
    #: Nodes the expected list names that sent no report.
    missing: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        worst = max((f.severity.rank for f in self.findings), default=-1)
        if worst >= Severity.ERROR.rank:
            return "error"
        return "warning" if worst >= Severity.WARNING.rank else "ok"

    def odd_cells(self) -> set[tuple[str, str]]:
        """(node, component) pairs that differ from the majority."""
        return {(node, v.id) for v in self.components for node in v.odd}


def compare(inputs: Inputs, expected: Sequence[str] | None = None) -> Fleet:
    nodes = sorted(inputs.reports, key=lambda r: r.name)
    components = _components(nodes)
    findings: list[FleetFinding] = []
    for versions in components:
        if versions.odd:
            findings.append(_drift(versions))
    findings += _failed(nodes)
    findings += _fewer_devices(nodes)
    missing: list[str] = []
    if expected is not None:
        names = {r.name for r in nodes} | {_short(r.name) for r in nodes}
        missing = [n for n in expected if n not in names]
        if missing:
            findings.append(
                FleetFinding(
                    "fleet.node-missing",
                    Severity.ERROR,
                    tuple(missing),
                    T("{count} expected node(s) sent no report.", count=len(missing)),
                )
            )
        wanted = set(expected)
        extra = tuple(r.name for r in nodes if not {r.name, _short(r.name)} & wanted)
        if extra:
            findings.append(
                FleetFinding(
                    "fleet.node-unexpected",
                    Severity.WARNING,
                    extra,
                    T("{count} node(s) are not in the expected list.", count=len(extra)),
                )
            )
    findings.sort(key=lambda f: -f.severity.rank)
    return Fleet(nodes, components, findings, list(inputs.unreadable), missing)


def _short(name: str) -> str:
    """Slurm names nodes by their short names (slurm.conf NodeName); a host whose hostname is
    fully qualified reports `node01.example.com`, which is `node01` here."""
    return name.split(".", 1)[0]


def _components(nodes: list[NodeReport]) -> list[Versions]:
    """One pass over every node's components (a node without one counts as `None`)."""
    table: dict[str, dict[str | None, list[str]]] = {}
    for node in nodes:
        for cid, version in node.components.items():
            table.setdefault(cid, {}).setdefault(version, []).append(node.name)
    out = []
    for cid in display_order(table):
        by_version = table[cid]
        held = sum(len(names) for names in by_version.values())
        if held < len(nodes):
            by_version[None] = [n.name for n in nodes if cid not in n.components]
        ranked = sorted(by_version.items(), key=lambda kv: (-len(kv[1]), kv[0] or ""))
        leads = len(ranked) == 1 or len(ranked[0][1]) > len(ranked[1][1])
        majority = ranked[0][0] if leads else None
        odd = frozenset(n for _, names in (ranked[1:] if leads else ranked) for n in names)
        seen = tuple((version, tuple(names)) for version, names in ranked)
        out.append(Versions(cid, cid in FLEET_EQUAL, majority, seen, odd))
    return out


def _drift(versions: Versions) -> FleetFinding:
    severity = Severity.ERROR if versions.must_match else Severity.WARNING
    nodes = tuple(sorted(versions.odd))
    if versions.majority is None:
        message = T(
            "{component}: no version is on most nodes ({seen}).",
            component=versions.id,
            seen=_seen_text(versions),
        )
    else:
        message = T(
            "{component}: {count} node(s) differ from the {majority} most nodes have ({seen}).",
            component=versions.id,
            count=len(nodes),
            majority=versions.majority,
            seen=_seen_text(versions),
        )
    return FleetFinding("fleet.drift", severity, nodes, message, versions.id)


def _seen_text(versions: Versions) -> str:
    parts = [f"{version or 'absent'} on {len(names)}" for version, names in versions.seen]
    return "; ".join(parts)


def _failed(nodes: Iterable[NodeReport]) -> list[FleetFinding]:
    out = []
    for node in nodes:
        if node.status == "error" or node.incomplete:
            why = ", ".join(node.errors) or ("incomplete" if node.incomplete else node.status)
            out.append(
                FleetFinding(
                    "fleet.node-failed",
                    Severity.ERROR,
                    (node.name,),
                    T("{node}: its own check failed ({why}).", node=node.name, why=why),
                )
            )
    return out


def _fewer_devices(nodes: list[NodeReport]) -> list[FleetFinding]:
    """Nodes with fewer healthy devices than most nodes (the larger count on a tie)."""
    counts = Counter(node.healthy for node in nodes)
    if len(counts) < 2:
        return []
    usual = max(counts, key=lambda healthy: (counts[healthy], healthy))
    fewer = tuple(node.name for node in nodes if node.healthy < usual)
    if not fewer:
        return []
    message = T(
        "{count} node(s) have fewer healthy devices than the {usual} most nodes have.",
        count=len(fewer),
        usual=usual,
    )
    return [FleetFinding("fleet.fewer-devices", Severity.ERROR, fewer, message)]
