"""The nodes a fleet should have: `--expect-nodes` is a file of names / hostlist expressions
(one or more a line, `#` starts a comment) or, when no such file exists, a Slurm hostlist
expression itself (`node[01-64]`)."""

from __future__ import annotations

import os

from chipdoctor.boundedio import RefusedFile, read_regular
from chipdoctor.errors import BadInput
from chipdoctor.fleet.hostlist import MAX_NAMES, expand

#: A node list file: a million names of 40 bytes is 40 MiB; a real one is far smaller.
MAX_LIST_BYTES = 16 << 20


def expected_nodes(value: str) -> list[str]:
    if not os.path.lexists(value):
        return expand(value)
    try:
        raw = read_regular(value, MAX_LIST_BYTES)
    except RefusedFile as exc:
        raise BadInput(f"--expect-nodes {value}: {exc}") from None
    except OSError as exc:
        raise BadInput(f"--expect-nodes {value}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"--expect-nodes {value}: not UTF-8 text") from None
    names: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), 1):
        expression = line.split("#", 1)[0].strip()
        if not expression:
            continue
        try:
            found = expand(expression, limit=MAX_NAMES - len(names))
        except BadInput as exc:
            raise BadInput(exc.message, path=value, line=number) from None
        names.update(dict.fromkeys(found))
    return list(names)
