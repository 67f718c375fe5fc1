"""Strict patterns for every value a recipe contains.

A recipe is a program (Dockerfile lines run in a shell), and its values come from data a user
can change (a `--matrix` site file, a snapshot, an image's metadata, options). A value that
does not match its pattern is refused (exit 2) before anything is written, so a matrix entry
such as "2.5.1\\nRUN curl … | sh" can never become a recipe line.
"""

from __future__ import annotations

import re

from chipdoctor.errors import BadInput

#: A version as vendors write them: 8.2.RC1, 2.1.0.post10, 2.5.1+cpu, 9.0.0-beta.2, 25.0.rc1.1.
VERSION = re.compile(r"^[0-9][A-Za-z0-9.+_-]{0,63}$")
#: A docker image reference: [host[:port]/]path[:tag] (lower-case path, as the registry API
#: requires; docs.docker.com "image name" grammar, without digests).
IMAGE = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?/)?"
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$"
)
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
#: An absolute path: letters, digits and . _ - / only (no spaces, quotes, `$` or `..`).
PATH = re.compile(r"^/(?:[A-Za-z0-9._-]+/?)*$")
#: An https URL without spaces, quotes or shell characters.
URL = re.compile(r"^https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%/+-]*)?$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
#: An environment value: paths joined by `:` and `${VAR}` references, nothing a shell would run.
ENV_VALUE = re.compile(r"^(?:[A-Za-z0-9._/:,=+-]|\$\{[A-Z_][A-Z0-9_]*\})*$")
#: A file name in the build context (a wheel).
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,200}$")
#: A docker run option from the mounts data: `--name value` with plain words.
RUN_OPTION = re.compile(r"^--[a-z][a-z-]*(?:[ =][A-Za-z0-9_.:=/-]+)?$")
#: A device node, with `{index}` for one per device.
DEVICE = re.compile(r"^/dev/[A-Za-z0-9_-]+(?:\{index\})?(?:/[A-Za-z0-9_-]+)*$")
#: host:container bind mount.
VOLUME = re.compile(r"^/[A-Za-z0-9._/-]*:/[A-Za-z0-9._/-]*$")
#: A finding id (the report schema's pattern).
FINDING_ID = re.compile(r"^[a-z0-9_]+\.[a-z0-9_.-]+$")
#: A pip distribution name (PEP 508 names).
PACKAGE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
#: What a recipe hands pip: `name==version` (both as above), or a wheel's https URL.
REQUIREMENT = re.compile(
    f"^(?:{PACKAGE.pattern[1:-1]}=={VERSION.pattern[1:-1]}|{URL.pattern[1:-1]})$"
)
#: A path relative to the build context (the wheelhouse), or `.`.
RELATIVE_PATH = re.compile(r"^(?:\.|[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*)$")
#: One word of the pre-flight command line: an option, a plain word, or an absolute path.
WORD = re.compile(r"^(?:--?[a-z][a-z-]*|[A-Za-z0-9._-]+|/[A-Za-z0-9._/-]+)$")

_KINDS = {
    "version": VERSION,
    "image reference": IMAGE,
    "image tag": TAG,
    "path": PATH,
    "URL": URL,
    "environment variable name": ENV_NAME,
    "environment value": ENV_VALUE,
    "file name": FILE_NAME,
    "docker run option": RUN_OPTION,
    "device": DEVICE,
    "volume": VOLUME,
    "package name": PACKAGE,
    "requirement": REQUIREMENT,
    "relative path": RELATIVE_PATH,
    "command word": WORD,
    "finding id": FINDING_ID,
}


def checked(kind: str, value: str, where: str) -> str:
    """`value` when it matches the pattern of `kind`; otherwise refuse the whole recipe."""
    pattern = _KINDS[kind]
    if not isinstance(value, str) or not pattern.fullmatch(value) or ".." in value.split("/"):
        raise BadInput(
            f"refusing to write a recipe: {kind} {value!r} from {where} is not a plain "
            f"{kind} (allowed: {pattern.pattern})"
        )
    return value
