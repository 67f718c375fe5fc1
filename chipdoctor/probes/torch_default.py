"""Which build a plain torch version is: `pip install torch==1.7.1` on Linux x86_64 installs
PyPI's wheel, which has no `+cu102` tag but is a CUDA build (the release's default CUDA).

In order of authority (torch/version.py, read by the host probe, comes before both):
1. the wheel's own `Requires-Dist` (recorded per distribution): PyPI's CUDA wheels depend on the
   CUDA runtime of their build, e.g. `nvidia-cuda-runtime-cu12==12.4.127` (pytorch/pytorch#146679,
   astral-sh/uv#10119);
2. the table below: releases whose Linux install command on PyTorch's "previous versions" page
   names a CUDA without an index URL or build tag (the PyPI wheel is that build).
Releases the page gives only tagged commands for (1.8.1 to 1.13.1, 2.1 and later) are not
guessed: a plain version of those stays unknown unless its Requires-Dist says.
aarch64 and other machines: no published default is used (no source read here says which
releases' aarch64 wheels are CUDA builds).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PREVIOUS_VERSIONS = (
    "https://github.com/pytorch/pytorch.github.io/blob/e3f009bbc0d7509ed5c85b633313ec72aa2d1a40/"
    "_get_started/previous-versions.md"
)

#: Release -> the CUDA of its PyPI wheel on Linux x86_64, from PREVIOUS_VERSIONS (the
#: untagged `pip install torch==X` listed under "# CUDA Y" for "Linux and Windows").
DEFAULT_CUDA: dict[str, str] = {
    "1.2.0": "10.0",
    "1.4.0": "10.1",
    "1.5.0": "10.2",
    "1.5.1": "10.2",
    "1.6.0": "10.2",
    "1.7.0": "10.2",
    "1.7.1": "10.2",
    "1.8.0": "10.2",
    "2.0.0": "11.7",
    "2.0.1": "11.7",
}

_RUNTIME = re.compile(r"^nvidia-cuda-runtime-cu\d+\s*\(?\s*==\s*(\d+)\.(\d+)", re.IGNORECASE)
_TOOLKIT = re.compile(r"^cuda-toolkit\s*\[[^\]]*\]\s*\(?\s*==\s*(\d+)\.(\d+)", re.IGNORECASE)


def cuda_of_requirements(requires: Iterable[str]) -> str | None:
    """The CUDA a wheel's Requires-Dist pins its runtime to (`12.4`), if any."""
    for line in requires:
        text = line.strip()
        match = _RUNTIME.match(text) or _TOOLKIT.match(text)
        if match:
            return f"{match.group(1)}.{match.group(2)}"
    return None


def default_cuda(version: str, machine: str, requires: Iterable[str]) -> tuple[str, str] | None:
    """(CUDA, where that comes from) for a plain (untagged) torch version on this machine."""
    if "+" in version or machine.lower() not in ("x86_64", "amd64"):
        return None
    pinned = cuda_of_requirements(requires)
    if pinned:
        return pinned, "Requires-Dist of torch"
    if version in DEFAULT_CUDA:
        return DEFAULT_CUDA[version], PREVIOUS_VERSIONS
    return None
