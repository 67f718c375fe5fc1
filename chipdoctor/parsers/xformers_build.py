"""`xformers/cpp_lib.json`: the torch, CUDA / HIP and Python an xFormers build was made for.

xFormers' setup.py writes it beside its compiled `_C` extension at build time
(`json.dumps(extensions_metadata)`, facebookresearch/xformers setup.py `get_extensions`), and
`xformers/_cpp_lib.py` reads it back to word its import warning ("xFormers was built for:
PyTorch {torch} with CUDA {cuda} (you have …)"). One format in every release from v0.0.16 to
v0.0.35 (setup.py and xformers/_cpp_lib.py at each tag):

    {"version": {"cuda": 1201, "hip": null, "torch": "2.1.2+cu121", "python": "3.10.13",
                 "flash": "v2.3.6", "use_torch_flash": false},
     "env": {"TORCH_CUDA_ARCH_LIST": "…", …}}

`cuda` is nvcc's release as major * 100 + minor (`get_cuda_version`: 12.1 -> 1201), null for a
build without CUDA; `hip` (a string from `hipcc --version`) is there from v0.0.25; `flash` from
v0.0.21; `use_torch_flash` from v0.0.27. Only `torch`, `cuda`, `hip` and `python` are read.

The file is the package's own, so on a hostile machine it may hold anything: anything but that
format reads as "cannot tell" (None), never an exception.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from chipdoctor.versions import PEP440, InvalidVersion

#: The real file is a few hundred bytes; a build-info file beyond this is not one.
MAX_BYTES = 64 * 1024
#: Longest version string taken: it goes into messages and pip lines.
_MAX_VERSION = 64

# Keys of Inventory.facts the host probe writes and the build rule reads.
FACT_SOURCE = "xformers.build.source"
FACT_TORCH = "xformers.build.torch"
FACT_CUDA = "xformers.build.cuda"
FACT_HIP = "xformers.build.hip"
FACT_PYTHON = "xformers.build.python"


@dataclass(frozen=True)
class XformersBuild:
    torch: str
    cuda: int | None = None
    hip: str | None = None
    python: str | None = None


def parse_cpp_lib_json(text: str) -> XformersBuild | None:
    """The build record, or None where the text is not that format."""
    if len(text) > MAX_BYTES:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, dict):
        return None
    torch = _version(version.get("torch"))
    cuda, hip = version.get("cuda"), version.get("hip")
    if torch is None or not _cuda_ok(cuda) or (hip is not None and _plain(hip) is None):
        return None
    # NOTE: the Python is recorded, not judged: one that is not a plain version (a CPython built
    # between releases says `3.12.0+`) is left out rather than the record refused.
    return XformersBuild(torch, cuda, hip, _version(version.get("python")))


def _cuda_ok(value: object) -> bool:
    """null, or nvcc's major * 100 + minor (`bool` is an `int` to Python: not here)."""
    if value is None:
        return True
    return type(value) is int and 100 <= value < 10000


def _version(value: object) -> str | None:
    """A PEP 440 version string (it reaches a pip line), else None."""
    text = _plain(value)
    if text is None:
        return None
    try:
        PEP440.parse(text)
    except InvalidVersion:
        return None
    return text


def _plain(value: object) -> str | None:
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_VERSION:
        return None
    if not all(c.isalnum() or c in ".+-_" for c in value) or not value.isascii():
        return None
    return value
