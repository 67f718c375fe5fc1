"""The CUDA toolkit's and cuDNN's own version files, read as text.

NOTE: CUDA 11.1 replaced ``version.txt`` (``CUDA Version 10.2.89``) with ``version.json``
(mlverse/torch#638), whose ``"cuda"`` entry is either a release (``11.5.2``, ``13.3.1``) or a
release with a date stamp (``11.8.20220929``, ``12.6.20241114``). cuDNN 8+ keeps its version
macros in ``cudnn_version.h``; cuDNN 7 and older in ``cudnn.h``. Samples and sources:
``tests/fixtures/snapshots/SOURCES.md``.
"""

from __future__ import annotations

import re
from typing import Optional

__all__ = ["parse_cudnn_header", "parse_version_json", "parse_version_txt", "torch_cuda_tag"]

_VERSION_TXT_RE = re.compile(r"^CUDA Version\s+([0-9][0-9.]*[0-9])\s*$", re.MULTILINE)
_CUDNN_DEFINE_RE = re.compile(
    r"^\s*#\s*define\s+CUDNN_(MAJOR|MINOR|PATCHLEVEL)\s+([0-9]+)\s*$", re.MULTILINE
)
_VERSION_RE = re.compile(r"[0-9]+(?:\.[0-9]+)*")
# NOTE: PyTorch names its CUDA wheels `+cu<major><minor>`: cu92, cu102, cu118, cu121, cu130.
_CU_TAG_RE = re.compile(r"\+cu([0-9]{2,3})(?:$|[.\-_])")


def parse_version_json(text: str) -> Optional[str]:
    """The toolkit release from ``version.json``; None when the file is not that JSON."""
    import json  # only where a toolkit is installed (start-up of a host without one)

    try:
        data = json.loads(text)
    except ValueError:
        return None
    cuda = data.get("cuda") if isinstance(data, dict) else None
    version = cuda.get("version") if isinstance(cuda, dict) else None
    if isinstance(version, str) and _VERSION_RE.fullmatch(version.strip()):
        return version.strip()
    return None


def parse_version_txt(text: str) -> Optional[str]:
    """The toolkit release from the pre-11.1 ``version.txt``."""
    match = _VERSION_TXT_RE.search(text)
    return match.group(1) if match else None


def parse_cudnn_header(text: str) -> Optional[str]:
    """``MAJOR.MINOR.PATCHLEVEL`` from ``cudnn_version.h`` (or ``cudnn.h`` before cuDNN 8)."""
    values: dict[str, str] = {}
    for match in _CUDNN_DEFINE_RE.finditer(text):
        values.setdefault(match.group(1), match.group(2))
    if "MAJOR" not in values or "MINOR" not in values:
        return None
    return ".".join(values[k] for k in ("MAJOR", "MINOR", "PATCHLEVEL") if k in values)


def torch_cuda_tag(torch_version: str) -> Optional[str]:
    """The CUDA release a ``+cuXYZ`` wheel was built for: ``2.3.0+cu121`` -> ``12.1``."""
    match = _CU_TAG_RE.search(torch_version)
    if match is None:
        return None
    digits = match.group(1)
    return f"{digits[:-1]}.{digits[-1]}"
