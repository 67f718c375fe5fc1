"""Parser for ``amd-smi version``: one line of ``Field: value`` pairs separated by ``|``.

NOTE: the field set grew over time (samples: ``tests/fixtures/amd_smi/SOURCES.md``): ROCm 6.1
prints ``AMDSMI Tool | AMDSMI Library version | ROCm version``; later releases append
``amdgpu version`` and ``amd_hsmp version`` (``hsmp version`` in 7.2). ``ROCm version: N/A``
means ROCm is not installed (ROCm/amdsmi CHANGELOG). When the driver is not loaded the tool
first logs ``ERROR:root:Unable to get devices, driver not initialized ...`` lines, and may still
print the version line after them (ROCm/amdsmi#75).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

__all__ = ["AmdSmiVersion", "parse_amd_smi_version"]

_ERROR_MAX_CHARS = 200
_FIELD_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*:\s*(.*?)\s*$")
_ERROR_RE = re.compile(r"^\s*ERROR\b", re.I)


@dataclass(frozen=True)
class AmdSmiVersion:
    tool: Optional[str]  # "26.0.2+39589fda"
    library: Optional[str]  # "26.0.2"
    rocm: Optional[str]  # "7.0.2"; None when the tool prints N/A
    amdgpu: Optional[str]  # the kernel driver module version, "6.14.14"
    error: Optional[str]  # the first ERROR line, e.g. the driver is not initialized


def _value(fields: dict[str, str], name: str) -> Optional[str]:
    value = fields.get(name)
    if not value or value.upper() == "N/A":
        return None
    return value


def parse_amd_smi_version(text: str) -> AmdSmiVersion:
    """Read the version line and any ERROR line; never raises.

    Field names compare case-insensitively. A line counts as the version line when one of its
    ``|``-separated parts starts with ``AMDSMI Tool:``.
    """
    fields: dict[str, str] = {}
    error: Optional[str] = None
    for line in text.splitlines():
        if error is None and _ERROR_RE.match(line):
            error = line.strip()[:_ERROR_MAX_CHARS]
            continue
        if fields or "amdsmi tool" not in line.lower():
            continue
        for part in line.split("|"):
            match = _FIELD_RE.match(part)
            if match:
                fields[match.group(1).lower()] = match.group(2)
    return AmdSmiVersion(
        tool=_value(fields, "amdsmi tool"),
        library=_value(fields, "amdsmi library version"),
        rocm=_value(fields, "rocm version"),
        amdgpu=_value(fields, "amdgpu version"),
        error=error,
    )
