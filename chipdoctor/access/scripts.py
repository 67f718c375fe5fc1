"""Which directories sourcing a vendor environment script would add to `LD_LIBRARY_PATH`.

Only plain assignments are followed (`[export] NAME=value`, one per line, `$NAME` and
`${NAME}` from earlier lines of the same script); an entry built from a command substitution or
an unknown variable is skipped, as is anything inside functions or conditions: the script is
read as text, never run.
"""

from __future__ import annotations

import re

_ASSIGNMENT = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
LIBRARY_PATH = "LD_LIBRARY_PATH"


def library_dirs(script: str) -> list[str]:
    """The absolute directories the script puts on LD_LIBRARY_PATH, in the order it adds them."""
    values: dict[str, str] = {}
    found: list[str] = []
    for raw in script.splitlines():
        match = _ASSIGNMENT.match(raw.strip())
        if match is None:
            continue
        name, value = match.group(1), _unquote(match.group(2).strip())
        entries = []
        for entry in value.split(":"):
            expanded = _expand(entry, values, name)
            if expanded is not None:
                entries.append(expanded)
        if name == LIBRARY_PATH:
            found.extend(entry.rstrip("/") for entry in entries if entry.startswith("/"))
        else:
            values[name] = ":".join(entries)
    return list(dict.fromkeys(found))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.split("#", 1)[0].strip() if " #" in value else value


def _expand(entry: str, values: dict[str, str], assigned: str) -> str | None:
    """`entry` with known variables filled in; None when it cannot be known from the text."""
    if "$(" in entry or "`" in entry:
        return None
    unknown = False

    def fill(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1) or match.group(2)
        if name == assigned or name not in values:
            unknown = True
            return ""
        return values[name]

    expanded = _VARIABLE.sub(fill, entry)
    return None if unknown or not expanded else expanded
