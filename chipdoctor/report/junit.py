"""`--format junit`: JUnit XML for Jenkins and GitLab test reports.

One testcase per component checked (passing, so a clean run still has testcases) and one per
finding id: errors carry a `<failure>` with the message and fix, warnings and info pass with
the text in `<system-out>` (under `--strict` a warning is a failure too, as the exit code says).

NOTE: there is no single JUnit standard. The output validates against Jenkins' schema
(jenkinsci/xunit-plugin junit-10.xsd, tested) and uses only what GitLab parses
(https://docs.gitlab.com/ci/testing/unit_test_reports/): testcase classname (shown as the
suite) and name, which GitLab also uses to drop duplicates, so every pair is unique here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from chipdoctor.i18n import T
from chipdoctor.model import Finding, Report, Severity
from chipdoctor.report.common import SEVERITY, component_group

# XML 1.0 allows tab, newline, carriage return and these ranges; anything else (ANSI escapes,
# NUL, lone surrogates from undecodable bytes) is written as a visible \xNN / \uNNNN escape.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(report: Report, *, strict: bool = False) -> str:
    suite = ET.Element("testsuite", name="chipdoctor")
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("chipdoctor.version", report.tool_version),
        ("chipdoctor.status", report.status),
        ("chipdoctor.stacks", ",".join(report.inventory.stacks)),
        *(
            (f"chipdoctor.data.{key}", value)
            for key, value in (report.data.to_dict() if report.data else {}).items()
        ),
    ):
        ET.SubElement(properties, "property", name=name, value=xml_text(value))
    seen: set[tuple[str, str]] = set()
    tests = failures = 0
    for component in report.inventory.components:
        classname = f"chipdoctor.{component_group(component.id)}"
        case = _testcase(suite, classname, f"{component.id} {component.version}", seen)
        source = report.localized(T("source: {source}", source=component.source))
        ET.SubElement(case, "system-out").text = xml_text(source)
        tests += 1
    for finding_id, group in _by_id(report.findings).items():
        worst = max((f.severity for f in group), key=lambda s: s.rank)
        case = _testcase(suite, f"chipdoctor.{group[0].stack}", finding_id, seen)
        tests += 1
        body = xml_text("\n\n".join(_describe(report, f) for f in group))
        if worst is Severity.ERROR or (strict and worst is Severity.WARNING):
            failing = [report.localized(f.message) for f in group if f.severity is worst]
            failure = ET.SubElement(
                case, "failure", message=xml_text(" | ".join(failing)), type=worst.value
            )
            failure.text = body
            failures += 1
        else:
            ET.SubElement(case, "system-out").text = body
    counts = {"tests": str(tests), "failures": str(failures), "errors": "0"}
    suite.attrib.update({**counts, "skipped": "0"})
    root = ET.Element("testsuites", {"name": "chipdoctor", **counts})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _by_id(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by id (one check, one testcase), in report order."""
    out: dict[str, list[Finding]] = {}
    for finding in findings:
        out.setdefault(finding.id, []).append(finding)
    return out


def _testcase(
    suite: ET.Element, classname: str, name: str, seen: set[tuple[str, str]]
) -> ET.Element:
    unique, n = name, 1
    while (classname, unique) in seen:
        n += 1
        unique = f"{name} ({n})"
    seen.add((classname, unique))
    return ET.SubElement(suite, "testcase", classname=classname, name=xml_text(unique))


def _describe(report: Report, finding: Finding) -> str:
    say = report.localized
    text = f"{say(SEVERITY[finding.severity])}: {say(finding.message)}"
    fix = say(finding.fix)
    if not fix:
        return text
    return text + "\n" + say(T("fix: {line}", line=fix))


def xml_text(text: str) -> str:
    """Text XML 1.0 can carry: characters it forbids become visible escapes, not a broken file."""
    return _NOT_XML.sub(_escape_char, text)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
