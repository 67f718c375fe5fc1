"""Free text in a recipe, one escaping function per recipe language.

Grammar values (versions, image references, paths, URLs, package names) are refused by
`recipes.safety` when they do not match; free text (the summary, notes, sources) cannot be
refused, so it is rendered so that it can never end its line or open a section:

- Dockerfile: free text only ever goes into `# ` comment lines. The parser
  (moby/buildkit frontend/dockerfile/parser) splits lines on `\\n` only and drops a comment
  line whole, continuation backslash included; so a comment stays one comment as long as it
  holds no line break. Other line breaks (`\\r`, U+0085, U+2028, U+2029) are escaped too, for
  the editors and linters that honour them. A comment that reads as a parser directive
  (`# syntax=…`, `# escape=…`, `# check=…`: `# key=value` before any other line) or a
  hadolint pragma (`# hadolint ignore=…`) has its first character escaped.
- Apptainer: free text only goes into `%help`. The definition parser (apptainer
  pkg/build/types/parser/deffile.go) opens a section on any line whose first word, after
  Unicode white space, starts with `%`, and a new stage on a line starting `Bootstrap:`; so
  besides the line breaks, every non-printable space is escaped and a leading `%` is written
  as `\\x25`.
"""

from __future__ import annotations

import re

from chipdoctor.printable import visible

#: What a comment must not look like: a parser directive (moby/buildkit
#: frontend/dockerfile/parser/directives.go: `^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=`) or a
#: hadolint pragma (hadolint README "Ignoring rules": `# hadolint ignore=…`, `global ignore`).
_DIRECTIVE = re.compile(r"^[ \t]*(?:[A-Za-z][A-Za-z0-9]*[ \t]*=|hadolint\b)", re.IGNORECASE)


def dockerfile_comment(text: str) -> str:
    """One `# ` comment line holding `text`."""
    shown = visible(text)
    if _DIRECTIVE.match(shown):
        stripped = shown.lstrip(" \t")
        shown = shown[: len(shown) - len(stripped)] + f"\\x{ord(stripped[0]):02x}" + stripped[1:]
    return f"# {shown}".rstrip()


def apptainer_text(text: str, *, indent: str = "    ") -> str:
    """One indented line of a text section (`%help`) holding `text`."""
    shown = visible(text)
    stripped = shown.lstrip(" ")
    if stripped.startswith("%"):
        shown = shown[: len(shown) - len(stripped)] + "\\x25" + stripped[1:]
    return f"{indent}{shown}".rstrip()
