"""The comparison written out: JSON (chipdoctor-fleet/1, chipdoctor/schemas/fleet.schema.json),
a node × component table, Markdown, and JUnit XML with one test case per node.

Every name and version comes from reports other machines wrote: the text formats pass them
through printable.visible, Markdown escapes its own syntax, JUnit its XML.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from chipdoctor import __version__
from chipdoctor.fleet.compare import FLEET_FORMAT, Fleet, FleetFinding
from chipdoctor.fleet.inputs import Unreadable
from chipdoctor.i18n import T, translate
from chipdoctor.model import Severity
from chipdoctor.printable import MAX_CELL, clip, columns, json_visible, visible
from chipdoctor.report.common import SEVERITY
from chipdoctor.report.junit import xml_text
from chipdoctor.report.markdown import md_cell, md_inline

#: What marks a cell that differs from the majority, in the table and in Markdown.
ODD = "*"
ABSENT = "-"
#: A message in the output's language.
Say = Callable[[str], str]


def to_dict(fleet: Fleet) -> dict[str, Any]:
    return {
        "format": FLEET_FORMAT,
        "tool": {"name": "chipdoctor", "version": __version__},
        "status": fleet.status,
        "nodes": [
            {
                "name": node.name,
                "source": node.source,
                "status": node.status,
                **({"incomplete": True} if node.incomplete else {}),
                "devices": {"total": node.devices, "healthy": node.healthy},
                "components": node.components,
            }
            for node in fleet.nodes
        ],
        "components": [
            {
                "id": v.id,
                "must_match": v.must_match,
                "majority": v.majority,
                "versions": [{"version": ver, "nodes": list(names)} for ver, names in v.seen],
            }
            for v in fleet.components
        ],
        "findings": [_finding_dict(f) for f in fleet.findings],
        "missing": fleet.missing,
        "unreadable": [{"source": u.source, "reason": u.reason} for u in fleet.unreadable],
    }


def _finding_dict(finding: FleetFinding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": finding.id,
        "severity": finding.severity.value,
        "nodes": list(finding.nodes),
        "message": str(finding.message),
    }
    if finding.component is not None:
        out["component"] = finding.component
    return out


def render_json(fleet: Fleet) -> str:
    """One line: the C encoder (which `indent` turns off) writes 10,000 nodes in a tenth of
    the time; `jq .` or `python -m json.tool` print it indented."""
    return json_visible(json.dumps(to_dict(fleet), ensure_ascii=False)) + "\n"


def render_table(fleet: Fleet, lang: str = "en") -> str:
    """Nodes down, components across; a cell that differs from the majority ends in `*`."""
    say = _say(lang)
    odd = fleet.odd_cells()
    ids = [v.id for v in fleet.components]
    header = [say(T("node")), say(T("status")), say(T("devices")), *map(_cell, ids)]
    rows = [header]
    for node in fleet.nodes:
        cells = [_cell(node.name), node.status, f"{node.healthy}/{node.devices}"]
        for cid in ids:
            text = _cell(node.components.get(cid, ABSENT))
            cells.append(text + ODD if (node.name, cid) in odd else text)
        rows.append(cells)
    widths = [max(columns(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(c + " " * (w - columns(c)) for c, w in zip(row, widths)).rstrip() for row in rows
    ]
    if odd:
        lines += ["", say(T("{mark} differs from the version most nodes have", mark=ODD))]
    lines += ["", *_finding_lines(fleet, say)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _cell(text: str) -> str:
    """A table cell: escaped, and cut, as one node's megabyte name or version would otherwise
    pad every row to its width (the JSON output keeps it whole)."""
    return clip(visible(text), MAX_CELL)


def _finding_lines(fleet: Fleet, say: Say) -> list[str]:
    lines = []
    for finding in fleet.findings:
        nodes = ", ".join(finding.nodes)
        text = f"{say(SEVERITY[finding.severity])}: {say(finding.message)} [{nodes}]"
        lines.append(visible(text))
    lines += [visible(_unreadable(bad, say)) for bad in fleet.unreadable]
    lines.append(say(_summary(fleet)))
    return lines


def _unreadable(bad: Unreadable, say: Say) -> str:
    return say(T("unreadable: {source}: {reason}", source=bad.source, reason=bad.reason))


def _summary(fleet: Fleet) -> str:
    return T(
        "{nodes} node(s) compared: {status}; {unreadable} input(s) unreadable.",
        nodes=len(fleet.nodes),
        status=fleet.status,
        unreadable=len(fleet.unreadable),
    )


def render_markdown(fleet: Fleet, lang: str = "en") -> str:
    say = _say(lang)
    odd = fleet.odd_cells()
    ids = [v.id for v in fleet.components]
    lines = [f"## {say(T('chipdoctor fleet: {status}', status=fleet.status))}", ""]
    header = [say(T("node")), say(T("status")), say(T("devices")), *ids]
    lines += ["| " + " | ".join(md_cell(c) for c in header) + " |", "|" + " --- |" * len(header)]
    for node in fleet.nodes:
        cells = [md_cell(node.name), md_cell(node.status), f"{node.healthy}/{node.devices}"]
        for cid in ids:
            text = md_cell(node.components.get(cid, ABSENT))
            cells.append(f"**{text}** {ODD}" if (node.name, cid) in odd else text)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for finding in fleet.findings:
        severity = say(SEVERITY[finding.severity])
        nodes = ", ".join(finding.nodes)
        message = md_inline(say(finding.message))
        lines.append(f"- **{severity}** `{finding.id}`: {message} ({md_inline(nodes)})")
    lines += [f"- {md_inline(_unreadable(bad, say))}" for bad in fleet.unreadable]
    lines += ["", md_inline(say(_summary(fleet)))]
    return "\n".join(lines) + "\n"


def render_junit(fleet: Fleet, lang: str = "en") -> str:
    """One test case per node (failing on an error that names it), one per node expected but
    missing, one per unreadable input (an error)."""
    say = _say(lang)
    suite = ET.Element("testsuite", name="chipdoctor.fleet")
    by_node: dict[str, list[FleetFinding]] = {}
    for finding in fleet.findings:
        for node in finding.nodes:
            by_node.setdefault(node, []).append(finding)
    tests = failures = errors = 0
    names = [n.name for n in fleet.nodes] + fleet.missing
    for name in names:
        case = ET.SubElement(suite, "testcase", classname="chipdoctor.fleet", name=xml_text(name))
        tests += 1
        found = by_node.get(name, [])
        body = xml_text("\n".join(f"{say(SEVERITY[f.severity])}: {say(f.message)}" for f in found))
        failing = [f for f in found if f.severity is Severity.ERROR]
        if failing:
            message = xml_text(" | ".join(say(f.message) for f in failing))
            ET.SubElement(case, "failure", message=message, type="error").text = body
            failures += 1
        elif body:
            ET.SubElement(case, "system-out").text = body
    for bad in fleet.unreadable:
        case = ET.SubElement(
            suite, "testcase", classname="chipdoctor.fleet.input", name=xml_text(bad.source)
        )
        ET.SubElement(case, "error", message=xml_text(bad.reason), type="unreadable")
        tests += 1
        errors += 1
    counts = {"tests": str(tests), "failures": str(failures), "errors": str(errors)}
    suite.attrib.update({**counts, "skipped": "0"})
    root = ET.Element("testsuites", {"name": "chipdoctor.fleet", **counts})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _say(lang: str) -> Say:
    return lambda text: translate(text, lang)
