"""What of the environment a snapshot may keep: an allow-list of names, secrets redacted.

Snapshots travel: they are attached to vendor tickets and bug reports. So the writer records
an environment variable only when its name is on the allow-list below (the variables probes
read are all on it, and a test keeps it so), and replaces anything in a value that looks like
a credential with `<redacted>`. A name that itself says it holds a secret is never kept in
the clear, whatever its prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

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
#: (pattern, replacement) for credentials inside a value; the rest of the value stays.
_SECRET_VALUES: tuple[tuple[re.Pattern[str], str], ...] = (
    # user:password@ in a URL: keep the scheme and host, drop the credentials.
    (re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@"), rf"\g<scheme>{REDACTED}@"),
    # HTTP authorization schemes followed by a token.
    (
        re.compile(r"\b(?P<scheme>Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
        rf"\g<scheme> {REDACTED}",
    ),
    # AWS access key ids (AKIA long-term, ASIA temporary).
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), REDACTED),
    # GitHub, Hugging Face, Slack and OpenAI-style tokens, and JSON Web Tokens.
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b"), REDACTED),
    (re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), REDACTED),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"), REDACTED),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{20,}\b"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"), REDACTED),
)


def is_allowed(name: str) -> bool:
    """Whether a snapshot may record the variable `name` at all."""
    return name in ALLOWED_NAMES or name.startswith(ALLOWED_PREFIXES)


def redact(name: str, value: str) -> str:
    """`value` with every credential in it replaced; all of it when the name says secret."""
    if _SECRET_NAME.search(name):
        return REDACTED
    for pattern, replacement in _SECRET_VALUES:
        value = pattern.sub(replacement, value)
    return value


def recordable_environment(env: Mapping[str, str | None]) -> dict[str, str]:
    """The `env:` of a snapshot: allowed names only, set ones only, secrets redacted, sorted."""
    return {
        name: redact(name, value)
        for name, value in sorted(env.items())
        if value is not None and is_allowed(name)
    }
