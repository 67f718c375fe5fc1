"""What the table for people says, as data: the heading, the tables, each finding with its fix,
the notes and the summary, in order, each piece with its style name.

Two drawers read it: report/text.py with rich (a terminal, colours, columns that must shrink)
and report/plain.py without rich (a pipe or a file: the same characters, at a fraction of the
start-up cost). Kept free of rich.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

from chipdoctor.i18n import T
from chipdoctor.model import HEALTHY, NOTE_PREFIX, Report, Severity
from chipdoctor.printable import columns, visible
from chipdoctor.report.common import SEVERITY, component_group, data_line, groups, headline

#: A run of text and its rich style name ("" for none).
Span = tuple[str, str]

_MARK = {
    Severity.ERROR: ("✗", "bold red"),
    Severity.WARNING: ("!", "yellow"),
    Severity.INFO: ("•", "cyan"),
}

_SMOKE_RESULT = {
    "passed": ("✓", "green", T("passed")),
    "failed": ("✗", "bold red", T("failed")),
    "timed out": ("✗", "bold red", T("timed out")),
    "crashed": ("✗", "bold red", T("crashed")),
    "skipped": ("•", "cyan", T("skipped")),
}


@dataclass(frozen=True)
class Line:
    """A paragraph, wrapped at the page width less `indent` (then indented by it); a `whole`
    line (a command) is never wrapped: printed as it is, past the width, so it pastes."""

    spans: tuple[Span, ...]
    indent: int = 0
    whole: bool = False

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.spans)


@dataclass(frozen=True)
class Grid:
    """A table: a header row over rows of cells, each cell a span; `styles` per column."""

    headers: tuple[str, ...]
    styles: tuple[str, ...]
    rows: tuple[tuple[Span, ...], ...]
    #: the last column folds (breaks inside a word) when the table must shrink
    fold_last: bool = False


Piece = Union[Line, Grid]
#: An empty line between pieces.
BLANK = Line(())


def page(report: Report) -> list[Piece]:
    inventory = report.inventory
    say = report.localized
    stacks = visible(", ".join(inventory.stacks)) or say(T("none found"))
    heading = T(
        "chipdoctor {version} · accelerator stacks: {stacks}",
        version=report.tool_version,
        stacks=stacks,
    )
    pieces: list[Piece] = [Line(((say(heading), "bold"),))]
    data = data_line(report)
    if data is not None:
        pieces.append(Line(((visible(data), "dim"),)))
    pieces.append(_components(report))
    if inventory.devices:
        pieces += [BLANK, _devices(report)]
    if report.smoke:
        pieces += [BLANK, Line(((say(T("Smoke test (--deep)")), "bold"),)), _smoke(report)]
    pieces.append(BLANK)
    pieces += _findings(report)
    for key, note in sorted(inventory.facts.items()):
        if key.startswith(NOTE_PREFIX):
            pieces.append(Line(((say(T("note: {note}", note=visible(note))), "dim"),)))
    summary_style = _MARK[_worst(report)][1] if report.findings else ""
    pieces.append(Line(((headline(report), summary_style),)))
    return pieces


def _components(report: Report) -> Grid:
    """Components grouped: the host's first, then each stack's, then the rest."""
    inventory = report.inventory
    say = report.localized
    rows = tuple(
        (
            (group, ""),
            (visible(component.id), ""),
            (visible(component.version), ""),
            (visible(component.source), ""),
        )
        for group in groups(report)
        for component in inventory.components
        if component_group(component.id) == group
    )
    headers = tuple(say(name) for name in (T("stack"), T("component"), T("version"), T("source")))
    return Grid(headers, ("dim", "", "bold", "dim"), rows, fold_last=True)


def _devices(report: Report) -> Grid:
    say = report.localized
    rows = tuple(
        (
            (visible(device.stack), ""),
            (str(device.index), ""),
            (visible(device.name), ""),
            (
                visible(device.health),
                "" if device.health.upper() in HEALTHY else "yellow",
            ),
        )
        for device in report.inventory.devices
    )
    headers = tuple(say(name) for name in (T("stack"), T("device"), T("name"), T("health")))
    return Grid(headers, ("", "", "", ""), rows)


def _smoke(report: Report) -> Grid:
    say = report.localized
    rows = []
    for step in report.smoke:
        mark, style, result = _SMOKE_RESULT.get(step.result, ("•", "", step.result))
        seconds = "" if step.seconds is None else f"{step.seconds:.2f} s"
        rows.append(
            (
                (visible(step.step), ""),
                (f"{mark} {visible(say(result))}", style),
                (seconds, ""),
                (visible(say(step.detail), keep="\n"), ""),
            )
        )
    headers = tuple(say(name) for name in (T("step"), T("result"), T("time"), T("detail")))
    return Grid(headers, ("", "", "", ""), tuple(rows))


def _findings(report: Report) -> list[Piece]:
    """Each finding with its fix, less the passed smoke-test steps the smoke table shows."""
    say = report.localized
    # A passed smoke-test step is already a row of its table.
    tabled = {f"deep.{step.step}" for step in report.smoke if step.result == "passed"}
    pieces: list[Piece] = []
    for finding in report.findings:
        if finding.id in tabled and finding.severity is Severity.INFO:
            continue
        mark, style = _MARK[finding.severity]
        severity = f"{mark} {say(SEVERITY[finding.severity])}"
        pieces.append(Line(((severity, style), (f"  {visible(finding.id)}", "bold"))))
        pieces.append(Line(((visible(say(finding.message), keep="\n"), ""),), indent=4))
        for line in say(finding.fix).splitlines():
            pieces += fix_lines(say, visible(line))
    return pieces


#: Where a command starts in a fix line: at its start, or after the prose that introduces it
#: (`…: pip install …`, `…：pip install …` in Chinese, `… && pip install …`).
_COMMAND = re.compile(
    r"(?:^|(?<=: )|(?<=\uff1a)|(?<=&& ))(?:sudo )?(?:pip3? install|python3? -m|source |export |"
    r"conda |docker |apt-get |yum |dnf |wget |curl |chmod |chipdoctor fix |\./)"
)


def fix_lines(say: Callable[[str], str], line: str, indent: int = 4) -> list[Line]:
    """`fix: …`: the prose wraps; a command in it is a whole line of its own."""
    found = _COMMAND.search(line)
    prose, command = (line, "") if found is None else (line[: found.start()], line[found.start() :])
    if not prose.strip():
        return [Line(((say(T("fix: {line}", line=command)), "green"),), indent, whole=True)]
    out = [Line(((say(T("fix: {line}", line=prose.rstrip())), "green"),), indent)]
    if command:
        out.append(Line(((command, "green"),), indent + 2, whole=True))
    return out


#: Chinese, Japanese and Korean text and full-width forms: two columns a character, and a line
#: may break between any two of them (no spaces mark the words).
_WIDE = (
    "\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
)
#: Punctuation a line never starts with (it stays with what it closes), and never ends with.
_CLOSING = "，。、；：！？）」』》〉】"
_OPENING = "（「『《〈【"
#: A word: spaces before it (at the start only), an opening mark, one wide character or a run
#: of others (a URL, a command stays one word), its closing marks, the spaces after it.
_WORD = re.compile(
    rf"\s*[{_OPENING}]*(?:[{_WIDE}]|[^\s{_WIDE}]+)[{_CLOSING}]*\s*|\s*[{_OPENING}]+\s*"
)


def wrapped(text: str, width: int) -> list[str]:
    """Break before a word that does not fit, counting terminal columns; a word longer than the
    width (a URL) is kept whole on a line of its own, never folded. Both drawers wrap with
    this."""
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        length = columns(word.rstrip())
        if width - offset >= length:
            offset += columns(word)
        elif offset and start:
            breaks.append(start)
            offset = columns(word)
        else:
            offset += columns(word)
    edges = [0, *breaks, len(text)]
    return [text[a:b] for a, b in zip(edges, edges[1:])]


def _worst(report: Report) -> Severity:
    return max((f.severity for f in report.findings), key=lambda s: s.rank, default=Severity.INFO)
