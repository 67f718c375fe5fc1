"""What of the environment a snapshot may keep: an allow-list of names, secrets redacted.

Snapshots travel: they are attached to vendor tickets and bug reports. So the writer records
an environment variable only when its name is on the allow-list below (the variables probes
read are all on it, and a test keeps it so), and replaces anything in a value that looks like
a credential with `<redacted>`. A name that itself says it holds a secret is never kept in
the clear, whatever its prefix.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from chipdoctor.stacks import STACKS

REDACTED = "<redacted>"

#: Variables recorded by name.
ALLOWED_NAMES = frozenset(
    {"PATH", "HOME", "LD_LIBRARY_PATH", "LD_PRELOAD", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
)
#: Variables recorded by prefix: PyTorch's, and each stack's own (its descriptor's
#: `environment`, chipdoctor/stacks/<name>/__init__.py).
ALLOWED_PREFIXES = (
    "TORCH_",  # TORCH_DEVICE_BACKEND_AUTOLOAD and friends
    "PYTORCH_",  # PYTORCH_NPU_ALLOC_CONF and friends
    *dict.fromkeys(prefix for stack in STACKS.values() for prefix in stack.environment),
)

_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL|AUTH", re.IGNORECASE)
#: `NAME=value` / `NAME: value` in text (an `env` dump, a config file, a command's output)
#: whose name says it holds a secret: the name stays, the value goes. Narrower than
#: `_SECRET_NAME`, so the `key=value` lines of version files are left alone.
_SECRET_ASSIGNMENT = re.compile(
    r"(?P<name>\b[A-Za-z0-9_.-]*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|"
    r"PRIVATE_?KEY|CREDENTIALS?)[A-Za-z0-9_.-]*[\"']?[ \t]*[=:][ \t]*)"
    r"(?P<quote>[\"']?)(?!<redacted>)[^\s\"']+",
    re.IGNORECASE,
)
#: (pattern, replacement) for credentials inside a value; the rest of the value stays.
_SECRET_VALUES: tuple[tuple[re.Pattern[str], str], ...] = (
    # A private key block (PEM, RFC 7468), or its start when the end is cut off.
    (
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY-----|.*)",
            re.DOTALL,
        ),
        REDACTED,
    ),
    # user:password@ in a URL, whatever the password holds (`/`, `@`, `:`): everything from
    # after the scheme up to the last `@` of the word goes, the scheme stays. One slash is
    # enough: a URL inside a path loses its `//` when the path is normalised.
    (
        re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*:/+)[^\s:/@]*:\S*@"),
        rf"\g<scheme>{REDACTED}@",
    ),
    # user:password@host without a scheme (pip's and git's credential lines); the host has a
    # dot, so an image's `name:tag@sha256:…` is not taken for one.
    (
        re.compile(
            r"(?<![\w:.@%+-])[A-Za-z0-9._~%+-]+:[^\s@/]+@(?=[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
        ),
        f"{REDACTED}@",
    ),
    # HTTP authorization schemes followed by a token.
    (
        re.compile(r"\b(?P<scheme>Bearer|Basic|Token)\s+(?!<redacted>)[A-Za-z0-9._~+/=-]+", re.I),
        rf"\g<scheme> {REDACTED}",
    ),
    # AWS access key ids (AKIA long-term, ASIA temporary; AWS IAM "Understanding unique ID
    # prefixes"); the secret key has no prefix and goes by its name (_SECRET_ASSIGNMENT).
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), REDACTED),
    # GitHub tokens (GitHub docs "About authentication": ghp_, gho_, ghu_, ghs_, ghr_,
    # github_pat_), Hugging Face (hf_), GitLab personal access tokens (glpat-, GitLab
    # "Personal access token prefix"), PyPI API tokens (pypi-, PyPI help "API tokens"), Slack,
    # OpenAI-style keys and JSON Web Tokens.
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b"), REDACTED),
    (re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), REDACTED),
    (re.compile(r"\bglpat-[A-Za-z0-9_.-]{20,}"), REDACTED),
    (re.compile(r"\bpypi-[A-Za-z0-9_-]{50,}"), REDACTED),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"), REDACTED),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{20,}\b"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"), REDACTED),
)
#: A secret value named by its variable is looked for elsewhere only when this long: shorter
#: ones ("1", "yes") would blank out ordinary text.
MIN_KNOWN_SECRET = 6


def is_allowed(name: str) -> bool:
    """Whether a snapshot may record the variable `name` at all."""
    return name in ALLOWED_NAMES or name.startswith(ALLOWED_PREFIXES)


def redact(name: str, value: str) -> str:
    """`value` with every credential in it replaced; all of it when the name says secret."""
    if _SECRET_NAME.search(name):
        return REDACTED
    return redact_text(value)


def known_secrets(env: Mapping[str, str | None]) -> frozenset[str]:
    """The values of the variables whose names say they hold a secret, allowed or not: they
    are looked for, verbatim, in everything else a snapshot keeps."""
    return frozenset(
        value
        for name, value in env.items()
        if value and len(value) >= MIN_KNOWN_SECRET and _SECRET_NAME.search(name)
    )


def redact_text(text: str, secrets: frozenset[str] = frozenset()) -> str:
    """`text` (a value, a path, a command's output, a file) with every credential replaced:
    the known secret values verbatim, then every pattern above."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _SECRET_VALUES:
        text = pattern.sub(replacement, text)
    return _SECRET_ASSIGNMENT.sub(rf"\g<name>\g<quote>{REDACTED}", text)


def recordable_environment(env: Mapping[str, str | None]) -> dict[str, str]:
    """The `env:` of a snapshot: allowed names only, set ones only, secrets redacted, sorted."""
    return {
        name: redact(name, value)
        for name, value in sorted(env.items())
        if value is not None and is_allowed(name)
    }


def redact_path(path: str, secrets: frozenset[str] = frozenset()) -> str:
    """A path redacted name by name first, so a token in one directory's name cannot take the
    rest of the path with it (two files would become one), then whole, for what spans names
    (a URL whose password holds a `/`)."""
    names = "/".join(redact_text(name, secrets) for name in path.split("/"))
    return redact_text(names, secrets)


def scrub(value: Any, secrets: frozenset[str] = frozenset()) -> Any:
    """`value` with `redact_text` applied to every string it holds, keys and dataclass fields
    included (a recording, its paths, outputs, stats and ELF facts); bytes only when they are
    UTF-8 text (a file copy), other bytes (the ld.so.cache) as they are."""
    if isinstance(value, str):
        return redact_path(value, secrets) if value.startswith("/") else redact_text(value, secrets)
    if isinstance(value, bytes):
        return _scrub_bytes(value, secrets)
    if isinstance(value, Mapping):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(scrub(v, secrets) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: scrub(getattr(value, f.name), secrets)
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    return value


def _scrub_bytes(value: bytes, secrets: frozenset[str]) -> bytes:
    """UTF-8 text redacted; other bytes (the ld.so.cache) as they are."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return value
    return redact_text(text, secrets).encode("utf-8")
