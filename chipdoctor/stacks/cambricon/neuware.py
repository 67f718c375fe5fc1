"""Parsers for the version records of Cambricon Neuware and torch_mlu.

* ``$NEUWARE_HOME/version.txt`` holds one line, ``Neuware Version 3.9.0``: the CNToolkit
  version (``shared/reference/other-stacks.md`` A.3).
* CNNL, CNCL and the other Neuware libraries record their version only in their file names,
  ``$NEUWARE_HOME/lib64/lib<name>.so.<version>``; the ``lib<name>.so`` and ``lib<name>.so.1``
  links beside them point at that file.
* torch_mlu names the PyTorch it is built for in its package version, ``1.33.1+torch2.11.0``.

Every function here is pure and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

__all__ = [
    "TorchMluVersion",
    "library_version",
    "parse_neuware_version",
    "parse_torch_mlu_version",
]

_DOTTED = r"[0-9]+(?:\.[0-9]+)+"
_TOKEN_RE = re.compile(r"v?(" + _DOTTED + r"(?:-[0-9A-Za-z]+)?)")
_ANY_VERSION_RE = re.compile(r"(?<![0-9.])([0-9]+\.[0-9]+\.[0-9]+)(?![0-9])")
_LIB_SUFFIX_RE = re.compile(_DOTTED)
# NOTE: setup.py writes build.property's "1.22.2-torch2.1.0" as "1.22.2+torch2.1.0" (setuptools
# >= 66 rejects the hyphen) and appends ".cxx11.abi" for CXX11-ABI torch builds
# (Cambricon/torch_mlu setup.py); older wheels said "1.17.0-torch1.13".
_TORCH_MLU_RE = re.compile(
    r"([0-9]+(?:\.[0-9]+)*)(?:[+-]torch([0-9]+(?:\.[0-9]+)*))?(\.cxx11\.abi)?(?:[-+.].*)?"
)


def parse_neuware_version(text: str) -> Optional[str]:
    """The CNToolkit version ``version.txt`` records; None when it records none.

    NOTE: Cambricon's own check takes the last word of the line holding "Neuware Version"
    (Cambricon/mlu-ops version_pre_check.py); gpustack takes the first x.y.z anywhere in the
    file (gpustack/runtime detector/cambricon.py), which is the fallback here.
    """
    for line in text.splitlines():
        if "neuware version" not in line.casefold():
            continue
        words = line.split()
        match = _TOKEN_RE.fullmatch(words[-1]) if words else None
        if match is not None:
            return match.group(1)
    match = _ANY_VERSION_RE.search(text)
    return match.group(1) if match else None


def library_version(names: Iterable[str], library: str) -> Optional[str]:
    """The version in ``lib<library>.so.<version>`` among directory entries ``names``.

    The fullest name is the library itself (``libcnnl.so.1.26.6``); the shorter ones are its
    links (``libcnnl.so.1``), whose single number is an ABI level, not a version.
    NOTE: Cambricon reads it the same way: version_pre_check.py keeps names with more than three
    dot-separated parts and strips ``libcnnl.so.``; torch_mlu's collect_env resolves the link.
    """
    prefix = f"lib{library}.so."
    best: Optional[tuple[tuple[int, ...], str]] = None
    for name in names:
        if not name.startswith(prefix):
            continue
        suffix = name[len(prefix) :]
        if not _LIB_SUFFIX_RE.fullmatch(suffix):
            continue
        key = tuple(int(part) for part in suffix.split("."))
        if best is None or (len(key), key) > (len(best[0]), best[0]):
            best = (key, suffix)
    return None if best is None else best[1]


@dataclass(frozen=True)
class TorchMluVersion:
    """A torch_mlu package version taken apart."""

    release: str  # "1.33.1"
    torch: Optional[str]  # the PyTorch release it is built for: "2.11.0" (or "1.13" on old wheels)
    cxx11_abi: bool  # built against a CXX11-ABI torch (".cxx11.abi" suffix)

    @property
    def key(self) -> str:
        """The version as the matrix lists it: ``1.33.1+torch2.11.0``, without the ABI suffix."""
        return f"{self.release}+torch{self.torch}" if self.torch else self.release


def parse_torch_mlu_version(text: str) -> Optional[TorchMluVersion]:
    """``1.25.0+torch2.4.1.cxx11.abi`` -> (1.25.0, 2.4.1, True); None for unreadable text."""
    match = _TORCH_MLU_RE.fullmatch(text.strip())
    if match is None:
        return None
    return TorchMluVersion(match.group(1), match.group(2), match.group(3) is not None)
