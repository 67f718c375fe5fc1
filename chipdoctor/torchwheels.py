"""Where PyTorch serves the wheels of a release's build variant (`+cu111`, `+cpu`,
`+rocm6.2`), and the pip option that reads that place: one answer for every pip line that
`check` prints and `fix` plans, so a pasted line finds the build it names.

PyTorch's own install commands (pytorch/pytorch.github.io `_get_started/previous-versions.md`
at 04862e3, cited in matrices/cuda.yaml as `pt-previous-versions-04862e3`) fetch the builds of
1.2.0 … 1.10.x with `-f https://download.pytorch.org/whl/torch_stable.html`, a flat page of
links; from 1.11.0 on each variant has a package index (`…/whl/cu113`).
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from chipdoctor.versions import public_version

WHEEL_INDEX = "https://download.pytorch.org/whl"
#: The flat link page of the releases before the per-variant indexes.
FLAT_PAGE = f"{WHEEL_INDEX}/torch_stable.html"
_FIRST_INDEXED = (1, 11)


def wheel_source(torch: str, variant: str) -> str:
    """The URL where pip finds the `+variant` builds of torch `torch` (and the torchvision and
    torchaudio made with them); a nightly's is `…/whl/nightly/<variant>`."""
    try:
        version = Version(public_version(torch))
    except InvalidVersion:
        return f"{WHEEL_INDEX}/{variant}"
    if version.is_prerelease:
        return f"{WHEEL_INDEX}/nightly/{variant}"
    if version.release[:2] < _FIRST_INDEXED:
        return FLAT_PAGE
    return f"{WHEEL_INDEX}/{variant}"


def source_option(url: str) -> str:
    """pip's option for `url`: a page of links is read with `--find-links`, an index replaces
    PyPI with `--index-url`."""
    return "-f" if url.endswith(".html") else "--index-url"
