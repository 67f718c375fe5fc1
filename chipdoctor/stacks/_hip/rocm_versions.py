"""Version strings of the ROCm family: version files, install directories, torch build tags.

AMD ROCm and Hygon DTK (a ROCm derivative) write versions the same ways (facts and sources:
``docs/stacks/rocm.md`` and ``docs/stacks/dcu.md``):

* ``<root>/.info/version`` holds the release (``7.2.0``, DTK ``24.04.3``), ``version-dev`` the
  build (``7.2.1-43``); a DTK fixture shows ``/opt/dtk/.dtk_version`` = ``DTK-26.04-rc4``;
* versioned install roots: ``/opt/rocm-6.2.0``, ``/opt/dtk-24.04.1``;
* torch local tags: ``2.6.0+rocm6.2.4``, ``2.9.1+rocm7.2.0.git7e1940d4`` (AMD-built), and Hygon
  DAS builds ``2.5.1+das.opt1.dtk2604``, ``2.1.0+das1.0+git00661e0.abi0.dtk2404``,
  ``1.10.0a0+git450cdd1.dtk22.4.1``.

All functions are pure and never raise.
"""

from __future__ import annotations

import re
from typing import Optional

__all__ = [
    "dtk_from_torch",
    "is_dtk_build",
    "major_minor",
    "parse_version_file",
    "rocm_from_hip",
    "rocm_from_torch",
    "strip_build",
    "version_from_dir",
]

_VERSION_TOKEN_RE = re.compile(
    r"^(?:dtk[-_ ]?)?(\d+(?:\.\d+)+(?:-[0-9A-Za-z][0-9A-Za-z.]*)?)", re.IGNORECASE
)
_BUILD_SUFFIX_RE = re.compile(r"-\d+$")
_ROCM_TAG_RE = re.compile(r"(?:^|[.+])rocm(\d+(?:\.\d+)*)", re.I)
_HIP_RE = re.compile(r"^\s*(\d+)\.(\d+)")
# NOTE: DAS tags write the DTK as YYMM plus an optional patch ("dtk2604" = 26.04,
# "dtk25041" = 25.04.1, sunkeer/L4-workflow-ai version_matrix.md); pre-DAS wheels also wrote
# "dtk22.4.1" and "dtk23.10" (SourceFind previous_release directory).
_DTK_DOTTED_RE = re.compile(r"dtk[-_]?(\d{2})\.(\d{1,2})(?:\.(\d+))?", re.I)
_DTK_COMPACT_RE = re.compile(r"dtk[-_]?(\d{2})(\d{2})(\d*)(?!\d)", re.I)


def parse_version_file(text: str) -> Optional[str]:
    """The version on the first non-empty line: ``7.2.0``, ``7.2.1-43``, ``DTK-26.04-rc4`` ->
    ``26.04-rc4``; None when that line does not start with a dotted number."""
    for line in text.splitlines():
        stripped = line.strip().strip('"')
        if not stripped:
            continue
        match = _VERSION_TOKEN_RE.match(stripped)
        return match.group(1) if match else None
    return None


def strip_build(version: str) -> str:
    """``7.2.1-43`` -> ``7.2.1``: drop a numeric build suffix, keep ``-rc4``."""
    return _BUILD_SUFFIX_RE.sub("", version)


def version_from_dir(name: str, prefix: str) -> Optional[str]:
    """``rocm-6.2.0`` -> ``6.2.0`` for prefix ``rocm-``; None for other names."""
    if not name.startswith(prefix):
        return None
    match = _VERSION_TOKEN_RE.match(name[len(prefix) :])
    return match.group(1) if match else None


def _local(torch_version: str) -> str:
    return torch_version.split("+", 1)[1] if "+" in torch_version else ""


def rocm_from_torch(torch_version: str) -> Optional[str]:
    """The ROCm of a ``+rocmX.Y[.Z]`` build: ``2.6.0+rocm6.2.4`` -> ``6.2.4``."""
    match = _ROCM_TAG_RE.search(_local(torch_version))
    return match.group(1) if match else None


def rocm_from_hip(hip: str) -> Optional[str]:
    """torch/version.py ``hip`` -> its ROCm release line: ``6.2.41133-dd7f95766`` -> ``6.2``."""
    match = _HIP_RE.match(hip)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def dtk_from_torch(torch_version: str) -> Optional[str]:
    """The DTK a Hygon build targets: ``2.5.1+das.opt1.dtk2604`` -> ``26.04``,
    ``...dtk25041`` -> ``25.04.1``; None for other builds."""
    local = _local(torch_version)
    dotted = _DTK_DOTTED_RE.search(local)
    if dotted:
        year, month, patch = dotted.groups()
        return f"{year}.{int(month):02d}" + (f".{patch}" if patch else "")
    compact = _DTK_COMPACT_RE.search(local)
    if compact:
        year, month, patch = compact.groups()
        return f"{year}.{month}" + (f".{patch}" if patch else "")
    return None


def is_dtk_build(torch_version: str) -> bool:
    """Whether a torch version is a Hygon DAS/DTK build (``+das...`` or a ``dtk`` tag)."""
    local = _local(torch_version).lower()
    return local.startswith("das") or ".das" in local or dtk_from_torch(torch_version) is not None


def major_minor(version: str) -> Optional[str]:
    """``6.2.4`` -> ``6.2``, ``26.04.1`` -> ``26.04``; None without two numeric parts."""
    match = re.match(r"^\s*(\d+)\.(\d+)", version)
    return f"{match.group(1)}.{match.group(2)}" if match else None
