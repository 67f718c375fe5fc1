"""What the recipe tests of this folder share: hostile text, and the two recipe languages read
the way their real parsers read them, so a test can count what a recipe would do."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import strategies as st

#: Pieces that end a line, open a section, quote, substitute or escape in a shell, a
#: Dockerfile, an Apptainer definition or a terminal. Each holds a character no grammar
#: (version, path, URL, image reference) allows.
FRAGMENTS = (
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\u2029",
    "\u0085",
    "\x0b",
    "\x0c",
    "\x00",
    "\x1b]0;owned\x07",
    "\x1b[2J",
    "\u202e",
    '"',
    "'",
    "$(id)",
    "`id`",
    "\\",
    " \\",
    "\nRUN echo injected >> /var/log/chipdoctor-steps.log",
    "\nFROM scratch",
    "\n%post\n    echo injected",
    "\n%runscript",
    "\nBootstrap: docker",
    "%post",
    "syntax=docker.io/evil/frontend",
    "escape=`",
    "hadolint ignore=DL3006,DL3013",
    "\n# syntax=evil",
    ";id",
    "|sh",
    "&&id",
    " ",
)

#: Text with at least one hostile piece, and any other characters around it.
hostile = st.builds(
    lambda before, piece, rest: before + piece + "".join(rest),
    st.text(max_size=6),
    st.sampled_from(FRAGMENTS),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(min_size=1, max_size=4), max_size=4),
)

#: A parser directive as buildkit reads it (frontend/dockerfile/parser/directives.go).
_DIRECTIVE = re.compile(r"^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")


@dataclass(frozen=True)
class Dockerfile:
    directives: list[str]
    instructions: list[str]
    comments: list[str]


def parse_dockerfile(text: str) -> Dockerfile:
    """Lines as buildkit splits them (`\\n`, a trailing `\\r` dropped); directives at the top;
    comment lines dropped whole; `\\` continues an instruction."""
    directives: list[str] = []
    instructions: list[str] = []
    comments: list[str] = []
    at_top = True
    pending = ""
    for raw in text.split("\n"):
        line = raw.removesuffix("\r")
        stripped = line.lstrip(" \t")
        if at_top and _DIRECTIVE.match(stripped):
            directives.append(stripped)
            continue
        at_top = False
        if stripped.startswith("#"):
            comments.append(stripped)
            continue
        if not stripped and not pending:
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1]
            continue
        instructions.append(pending + stripped)
        pending = ""
    if pending:
        instructions.append(pending)
    return Dockerfile(directives, instructions, comments)


@dataclass(frozen=True)
class Definition:
    stages: int
    sections: list[str]
    bodies: dict[str, list[str]]


def parse_definition(text: str) -> Definition:
    """Stages and sections as apptainer's deffile parser finds them: a stage per line starting
    `Bootstrap:`, a section per line whose first word (after white space) starts with `%`."""
    stages = len(re.findall(r"(?mi)^bootstrap:", text))
    sections: list[str] = []
    bodies: dict[str, list[str]] = {}
    current = ""
    for raw in text.split("\n"):
        line = raw.removesuffix("\r")
        words = "".join(" " if c.isspace() else c for c in line).split()
        if words and words[0].startswith("%"):
            current = words[0]
            sections.append(current)
            bodies[current] = []
        elif current:
            bodies[current].append(line)
    return Definition(stages, sections, bodies)
