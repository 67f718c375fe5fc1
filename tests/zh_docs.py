"""Read the English and Chinese docs side by side and say where they drift apart.

Pure functions from text to lists of problems, so the sync test can run them on the real files
and on deliberately broken copies. The rules they enforce are written in
tests/docs/test_zh_sync.py's docstring.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "zh" / "glossary.yaml"
PO_FILE = ROOT / "chipdoctor" / "locale" / "zh_CN" / "LC_MESSAGES" / "chipdoctor.po"

CJK = re.compile(r"[\u3400-\u9fff]")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")  # indented too: a fence inside a list item
HEADING = re.compile(r"^#{1,6} ")
ELISION = "…"
# A run of this many English words in a row, outside code and links, is an untranslated sentence.
ENGLISH_RUN = re.compile(r"(?:\b[A-Za-z][A-Za-z'’]*\b[ ,;:]+){10,}[A-Za-z]")
EXIT_CODES = ("0", "1", "2", "3", "130", "143")


@dataclass
class Block:
    """A fenced code block: its info string (```text zh -> ["text", "zh"]) and its exact text."""

    info: list[str]
    text: str

    @property
    def compared(self) -> bool:
        """Blocks tagged `zh` hold Chinese-only `--lang zh` output; every other block is shared."""
        return "zh" not in self.info


@dataclass
class Section:
    heading: str
    prose: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.prose)


def sections(markdown: str) -> list[Section]:
    """Split a page at its headings (outside code); the text before the first is section 0."""
    found = [Section(heading="")]
    fence: str | None = None
    lines: list[str] = []
    for line in markdown.splitlines():
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip()[len(fence) :]:
                found[-1].blocks[-1].text = "\n".join(lines) + "\n"
                fence, lines = None, []
            else:
                lines.append(line)
            continue
        opening = FENCE.match(line)
        if opening:
            fence = opening.group(1)
            found[-1].blocks.append(Block(info=opening.group(2).split(), text=""))
        elif HEADING.match(line):
            found.append(Section(heading=line))
        else:
            found[-1].prose.append(line)
    return found


def blocks(markdown: str) -> list[Block]:
    return [block for section in sections(markdown) for block in section.blocks]


def prose(markdown: str) -> str:
    return "\n".join(s.heading + "\n" + s.text for s in sections(markdown))


def words_outside_code(text: str) -> str:
    """Prose with inline code, link targets, URLs and HTML comments removed."""
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "] ", text)
    return re.sub(r"https?://\S+", " ", text)


def command_names() -> set[str]:
    """Every command the CLI really has: `check`, `fix`, `matrix show`, `fleet compare`, …"""
    import importlib

    from chipdoctor.cli import _ONE_COMMAND
    from chipdoctor.cli.app import app
    from chipdoctor.cli.options import Group

    # NOTE: importing chipdoctor.cli registers no command (main() imports the one argv names).
    for module in _ONE_COMMAND:
        importlib.import_module(f"chipdoctor.cli.{module}")
    names: set[str] = set()
    for name, command in app.commands.items():
        names.add(name)
        if isinstance(command, Group):
            names.update(f"{name} {sub}" for sub in command.commands)
    return names


def commands_in(text: str, known: set[str]) -> set[str]:
    found = set()
    for match in re.finditer(r"chipdoctor ([a-z]+)(?: ([a-z]+))?", text):
        first, second = match.group(1), match.group(2)
        if second and f"{first} {second}" in known:
            found.add(f"{first} {second}")
        elif first in known:
            found.add(first)
    return found


def options_in(text: str) -> set[str]:
    return set(OPTION.findall(text))


def code_spans(text: str) -> set[str]:
    """Inline code (`...`), whitespace normalised: a span may wrap over a line break."""
    return {" ".join(span.split()) for span in re.findall(r"`([^`]+)`", text)}


def page_problems(english: str, chinese: str, known: set[str], name: str) -> list[str]:
    """A Chinese page against its English original: structure, names, prose, shared code."""
    problems: list[str] = []
    en_sections, zh_sections = sections(english), sections(chinese)
    if len(en_sections) != len(zh_sections):
        problems.append(
            f"{name}: {len(zh_sections) - 1} headings, the English page has {len(en_sections) - 1}"
        )
    for en, zh in zip(en_sections, zh_sections):
        where = f"{name}: section {zh.heading or '(top)'!r}"
        if words_outside_code(en.text).strip() and not CJK.search(zh.heading + zh.text):
            problems.append(f"{where} has no Chinese prose")
        leftover = ENGLISH_RUN.search(words_outside_code(zh.text))
        if leftover:
            problems.append(f"{where} keeps an English sentence: {leftover.group(0)[:60]!r}")
    en_text, zh_text = prose(english), prose(chinese)
    for missing in sorted(commands_in(en_text, known) - commands_in(zh_text, known)):
        problems.append(f"{name}: command `chipdoctor {missing}` is not named")
    for missing in sorted(options_in(en_text) - options_in(zh_text)):
        problems.append(f"{name}: option {missing} is not named")
    for missing in sorted(code_spans(en_text) - code_spans(zh_text)):
        problems.append(f"{name}: the inline code `{missing}` is missing")
    en_blocks = [b.text for b in blocks(english) if b.compared]
    zh_blocks = [b.text for b in blocks(chinese) if b.compared]
    if en_blocks != zh_blocks:
        problems.append(f"{name}: {_first_block_difference(en_blocks, zh_blocks)}")
    return problems


def _first_block_difference(english: list[str], chinese: list[str]) -> str:
    for index, (en, zh) in enumerate(zip(english, chinese), start=1):
        if en != zh:
            first = next(
                (f"{a!r} != {b!r}" for a, b in zip(en.splitlines(), zh.splitlines()) if a != b),
                "lengths differ",
            )
            return f"code block {index} differs from the English one: {first}"
    return f"{len(chinese)} shared code blocks, the English page has {len(english)}"


def table_rows(markdown: str) -> dict[str, str]:
    """Every table row of a page (outside code), keyed by its first cell."""
    rows: dict[str, str] = {}
    for section in sections(markdown):
        for line in section.prose:
            if not line.startswith("|") or re.fullmatch(r"[|\s:-]+", line):
                continue
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            rows[cells[0]] = line
    return rows


def exit_codes_in(row: str) -> set[str]:
    """Exit codes a table row states: the numbers that follow the word "exit" (or 退出码)."""
    codes: set[str] = set()
    for match in re.finditer(r"(?:exit|退出码)[^|]*", row, flags=re.I):
        for number in re.findall(r"(?<![\w.])(\d+)(?![\w.])", match.group(0)):
            if number in EXIT_CODES:
                codes.add(number)
    return codes


def readme_table_problems(english: str, chinese: str, known: set[str]) -> list[str]:
    problems: list[str] = []
    en_rows, zh_rows = table_rows(english), table_rows(chinese)
    for key, en_row in en_rows.items():
        if key in ("command", "---") or not key:
            continue
        zh_row = zh_rows.get(key)
        if zh_row is None:
            problems.append(f"README.zh.md: the table row {key} is missing")
            continue
        for missing in sorted(commands_in(en_row, known) - commands_in(zh_row, known)):
            problems.append(f"README.zh.md: row {key} does not name `chipdoctor {missing}`")
        for missing in sorted(options_in(en_row) - options_in(zh_row)):
            problems.append(f"README.zh.md: row {key} does not name {missing}")
        for missing in sorted(exit_codes_in(en_row) - exit_codes_in(zh_row)):
            problems.append(f"README.zh.md: row {key} does not state exit code {missing}")
    return problems


@dataclass
class Example:
    """A command run on a fixture snapshot, with the output lines shown under it."""

    argv: list[str]
    shown: list[str]
    where: str


def examples(markdown: str, name: str) -> Iterator[Example]:
    """`$ chipdoctor … --snapshot tests/fixtures/…` blocks, and the same as inline code."""
    for block in blocks(markdown):
        lines = block.text.splitlines()
        first = lines[0] if lines else ""
        if first.startswith("$ chipdoctor ") and "--snapshot tests/fixtures/" in first:
            yield Example(shlex.split(lines[0][2:]), lines[1:], f"{name}: {lines[0]}")
    for span in re.findall(r"`(chipdoctor [^`]*--snapshot tests/fixtures/[^`]*)`", prose(markdown)):
        yield Example(shlex.split(span), [], f"{name}: `{span}`")


def run_example(argv: list[str]) -> tuple[int, list[str]]:
    """Run it the way a reader's terminal would show it: 160 columns, no colour, no locale."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(COLUMNS="160", NO_COLOR="1", LANG="C.UTF-8")
    program = [sys.executable, "-m", "chipdoctor", *argv[1:]]
    done = subprocess.run(
        program, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, [line.rstrip() for line in done.stdout.splitlines()]


def output_problems(example: Example, code: int, output: list[str]) -> list[str]:
    """Shown lines are real output lines, in order; a lone `…` elides, one in a line is any text."""
    if code not in (0, 1):
        return [f"{example.where}: exit {code}, not a verdict (0 or 1)"]
    position = 0
    for shown in example.shown:
        if shown.strip() == ELISION:
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in shown.rstrip().split(ELISION)))
        while position < len(output) and not pattern.fullmatch(output[position]):
            position += 1
        if position == len(output):
            return [f"{example.where}: the shown line {shown!r} is not in the output (in order)"]
        position += 1
    return []


@dataclass
class Term:
    en: str
    zh: str
    keep: list[str]
    source: str


def glossary(path: Path = GLOSSARY) -> list[Term]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Term(en=t["en"], zh=t["zh"], keep=list(t.get("keep", [])), source=t["source"])
        for t in data["terms"]
    ]


def catalog(path: Path = PO_FILE) -> list[tuple[str, str]]:
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        entries = read_po(handle)
    pairs = []
    for message in entries:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs.append((str(ids[0]), str(strings[0] or "")))
    return pairs


def _plain(msgid: str, term: Term) -> str:
    """A msgid less what both languages write alike: code, placeholders, paths, kept names."""
    text = re.sub(r"`[^`]*`|'[^']*'|\{[^}]*\}|--\S+|https?://\S+", " ", msgid)
    for phrase in term.keep:
        text = text.replace(phrase, " ")
    return " ".join(
        word
        for word in text.split()
        if not re.search(r"[/_=$]", word) or any(p in word for p in term.en.split() if "/" in p)
    )


def po_problems(terms: Iterable[Term], pairs: Iterable[tuple[str, str]]) -> list[str]:
    """Where a msgid uses a glossary term, its translation must use the glossary's Chinese."""
    problems = []
    pairs = list(pairs)
    for term in terms:
        pattern = re.compile(rf"(?<![\w-]){re.escape(term.en)}(?![\w-])")
        for msgid, msgstr in pairs:
            if msgstr and pattern.search(_plain(msgid, term)) and term.zh not in msgstr:
                problems.append(f"{term.en} -> {term.zh}: {msgid!r} is translated {msgstr!r}")
    return problems


SUMMARY = "<!-- zh: summary -->"


def doc_pairs() -> list[tuple[Path, Path]]:
    """(English page, Chinese page) for each translated page under docs/zh/ (summaries aside)."""
    pairs = []
    for chinese in sorted((ROOT / "docs" / "zh").rglob("*.md")):
        english = ROOT / "docs" / chinese.relative_to(ROOT / "docs" / "zh")
        if english.exists() and SUMMARY not in chinese.read_text(encoding="utf-8"):
            pairs.append((english, chinese))
    return pairs


def summary_problems(english_name: str, chinese: str, name: str) -> list[str]:
    """A summary page is Chinese, says it is a summary, and links the English page it summarises."""
    problems = []
    if SUMMARY not in chinese:
        problems.append(f"{name}: no {SUMMARY} marker")
    if not CJK.search(words_outside_code(chinese)):
        problems.append(f"{name}: no Chinese prose")
    if f"](../{english_name}" not in chinese:
        problems.append(f"{name}: does not link ../{english_name}")
    return problems


def broken_links(page: Path) -> list[str]:
    """Relative links (outside code) whose target file does not exist, from the page's folder."""
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", prose(page.read_text(encoding="utf-8"))):
        path = target.split("#", 1)[0]
        if path and not re.match(r"[a-z]+:", path) and not (page.parent / path).exists():
            broken.append(f"{page.relative_to(ROOT)}: {target}")
    return broken
