"""GPU architectures: a GPU's compute capability, the architectures a torch build carries, and
whether the one runs the other.

NOTE: the rule is NVIDIA's binary compatibility (CUDA C++ Programming Guide, "Binary
Compatibility" and "PTX Compatibility"): a cubin for X.y runs on X.z with z >= y; an
arch-specific cubin (`sm_90a`) only on X.y itself; PTX for X.y is compiled by the driver for any
GPU of capability X.y or higher.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chipdoctor.versions import PEP440, InvalidVersion

Capability = tuple[int, int]

CUDA_GPUS_URL = "https://developer.nvidia.com/cuda-gpus"
LEGACY_GPUS_URL = "https://developer.nvidia.com/cuda-legacy-gpus"

#: GPU product name (as nvidia-smi prints it) -> compute capability, first match wins, from
#: NVIDIA's "CUDA GPU Compute Capability" tables (CUDA_GPUS_URL, LEGACY_GPUS_URL, read
#: 2026-12-06 from a stored copy). Used only where nvidia-smi has no `compute_cap` field (drivers
#: before it: NVIDIA System Management Interface v470 answers `Field "compute_cap" is not a valid
#: field to query.`, huggingface/candle#733).
_BY_NAME: tuple[tuple[str, Capability], ...] = (
    (r"\bGB10\b", (12, 1)),
    (r"RTX PRO \d+ Blackwell|RTX 50[5-9]0", (12, 0)),
    (r"\bG?B300\b", (10, 3)),
    (r"\bG?B200\b", (10, 0)),
    (r"\bG?H100\b|\bG?H200\b|\bGH200\b", (9, 0)),
    (r"\bL40S?\b|\bL4\b|RTX [2456]000 (SFF )?Ada|RTX 40[5-9]0", (8, 9)),
    (r"\bA40\b|\bA10\b|\bA16\b|\bA2\b|RTX A[2-6]000|RTX 30[5-9]0", (8, 6)),
    (r"\bA100\b|\bA30\b", (8, 0)),
    (r"\bT4\b|Quadro RTX [4-8]000|TITAN RTX|RTX 20[6-8]0|GTX 16[5-6]0", (7, 5)),
    (r"\bV100\b|TITAN V\b|Quadro GV100", (7, 0)),
    (r"\bP40\b|\bP4\b|TITAN Xp|GTX 10[5-8]0|Quadro P\d+", (6, 1)),
    (r"\bP100\b|Quadro GP100", (6, 0)),
    (r"\bM60\b|\bM40\b|GTX 9[5-8]0|GTX TITAN X\b", (5, 2)),
    (r"GTX 750|Quadro K[126]200|Quadro K620\b", (5, 0)),
    (r"\bK80\b", (3, 7)),
)


def capability_of_name(name: str) -> Capability | None:
    """The compute capability NVIDIA lists for a product name, None for a name not listed."""
    for pattern, capability in _BY_NAME:
        if re.search(pattern, name):
            return capability
    return None


def parse_capability(text: str) -> Capability | None:
    """`8.6` -> (8, 6); `12.0` -> (12, 0); anything else None."""
    match = re.fullmatch(r"\s*(\d{1,3})\.(\d{1,3})\s*", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def capability_text(capability: Capability) -> str:
    return f"{capability[0]}.{capability[1]}"


def sm_name(capability: Capability) -> str:
    return f"sm_{capability[0]}{capability[1]}"


def _split(name: str, prefix: str) -> tuple[Capability, bool] | None:
    """`sm_86` -> ((8, 6), False); `sm_90a` -> ((9, 0), True); `compute_120` -> ((12, 0), False)."""
    match = re.fullmatch(prefix + r"(\d+?)(\d)([af]?)", name)
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2))), match.group(3) == "a"


def runs(capability: Capability, native: tuple[str, ...], portable: tuple[str, ...]) -> bool:
    """Whether code with these cubins (`sm_XY`) and PTX (`compute_XY`) runs on the GPU."""
    for name in native:
        parsed = _split(name, "sm_")
        if parsed is None:
            continue
        (major, minor), specific = parsed
        if specific and (major, minor) == capability:
            return True
        if not specific and major == capability[0] and minor <= capability[1]:
            return True
    for name in portable:
        parsed = _split(name, "compute_")
        if parsed is not None and parsed[0] <= capability:
            return True
    return False


@dataclass(frozen=True)
class PublishedArchs:
    """The architectures PyTorch builds one CUDA variant of its wheels for
    (TORCH_CUDA_ARCH_LIST of its wheel build script), for the torch releases in `releases`."""

    cuda: str
    releases: str  # a PEP 440 range, "" for every release built for this CUDA
    native: tuple[str, ...]
    portable: tuple[str, ...]
    source: str


_BUILDER = (
    "pytorch/builder manywheel/build_cuda.sh @ 2432b6c57f614aff3c3ba2154ce09ee57c1ba354 "
    "(https://github.com/pytorch/builder/blob/2432b6c57f614aff3c3ba2154ce09ee57c1ba354/"
    "manywheel/build_cuda.sh)"
)
_BUILDER_1_7 = (
    "pytorch/builder manywheel/build.sh @ 3c1d19157273bbd28c7428523c455d6e7aa4453f "
    "(2020-12-09, the day before torch 1.7.1; "
    "https://github.com/pytorch/builder/blob/3c1d19157273bbd28c7428523c455d6e7aa4453f/"
    "manywheel/build.sh)"
)
_BUILDER_1_8 = (
    "pytorch/builder manywheel/build.sh @ 611daf050ae93b9cf2774716335041f9de32c993 "
    "(the list is unchanged from 2021-03-04, before torch 1.8.1, to 2021-11-17; "
    "https://github.com/pytorch/builder/blob/611daf050ae93b9cf2774716335041f9de32c993/"
    "manywheel/build.sh)"
)
_BUILDER_1_0 = (
    "pytorch/builder manywheel/build.sh @ 68c413e0e3c5f9c2d8ec647bc922a38867b9a141 "
    "(2018-12-06; the lists are unchanged until 2019-05-26: torch 1.0.0, 1.0.1, 1.1.0; "
    "https://github.com/pytorch/builder/blob/68c413e0e3c5f9c2d8ec647bc922a38867b9a141/"
    "manywheel/build.sh)"
)
_BUILDER_1_2 = (
    "pytorch/builder manywheel/build.sh @ d56f6d4de710d0be08c3e1c3f9992c2ffc928580 "
    "(the lists are unchanged from 2019-08-04, when CUDA 10.1 was added, to 2019-10-29: "
    "torch 1.2.0, 1.3.0; "
    "https://github.com/pytorch/builder/blob/d56f6d4de710d0be08c3e1c3f9992c2ffc928580/"
    "manywheel/build.sh)"
)
_BUILDER_1_4 = (
    "pytorch/builder manywheel/build.sh @ a8c085bb4b4901c9d3e9a2b67dc1c539cd24ae11 "
    "(the lists are unchanged from 2019-11-01 to 2020-07-09, CUDA 10.2 added 2020-02-26: "
    "torch 1.4.0, 1.5.0, 1.5.1; "
    "https://github.com/pytorch/builder/blob/a8c085bb4b4901c9d3e9a2b67dc1c539cd24ae11/"
    "manywheel/build.sh)"
)
_BUILDER_1_6 = (
    "pytorch/builder manywheel/build.sh @ 8d064bfcfe2e73d89a067dd5f9311828c1792f90 "
    "(2020-07-09 to 2020-07-30, torch 1.6.0 of 2020-07-28; "
    "https://github.com/pytorch/builder/blob/8d064bfcfe2e73d89a067dd5f9311828c1792f90/"
    "manywheel/build.sh)"
)
_MANYWHEEL = (
    "pytorch/pytorch .ci/manywheel/build_cuda.sh @ 00c7a380b8369d08e02dd400aa76dc6c0738b589 "
    "(https://github.com/pytorch/pytorch/blob/00c7a380b8369d08e02dd400aa76dc6c0738b589/"
    ".ci/manywheel/build_cuda.sh)"
)
_RELEASE_MD = (
    "pytorch/pytorch RELEASE.md, CUDA architectures of releases 2.12-2.14 "
    "(https://github.com/pytorch/pytorch/blob/main/RELEASE.md)"
)


def _sm(*versions: str) -> tuple[str, ...]:
    return tuple("sm_" + v.replace(".", "") for v in versions)


_OLD = _sm("3.5", "5.0")  # "3.5;5.0+PTX": compute_50 is the PTX
_KEPLER_37 = _sm("3.7", "5.0")  # "3.7+PTX;5.0": compute_37 is the PTX

#: Published lists, by CUDA variant. Where none is published here (cu121, cu124, cu129 before
#: 2.8, cu130 before 2.12, the 1.x variants outside the ranges below: 1.3.1, whose wheels were
#: built while the list changed twice (2019-10-29 and 2019-11-01), and cu101 of 1.6.0, whose
#: list changed two days after the release) the library itself must be read; no list is
#: guessed. The 1.x lists are builder's at the time each release's wheels were built (no
#: release branch of pytorch/builder exists before 1.8: the binaries used its master).
PUBLISHED: tuple[PublishedArchs, ...] = (
    PublishedArchs("8.0", ">=1.0,<1.2", _OLD + _sm("6.0", "6.1"), ("compute_50",), _BUILDER_1_0),
    PublishedArchs("9.0", ">=1.0,<1.2", _OLD + _sm("6.0", "7.0"), ("compute_50",), _BUILDER_1_0),
    PublishedArchs(
        "9.2", ">=1.0,<1.2", _OLD + _sm("6.0", "6.1", "7.0"), ("compute_50",), _BUILDER_1_0
    ),
    PublishedArchs(
        "10.0", ">=1.0,<1.2", _OLD + _sm("6.0", "6.1", "7.0", "7.5"), ("compute_50",), _BUILDER_1_0
    ),
    PublishedArchs(
        "9.2", ">=1.2,<1.3.1", _OLD + _sm("6.0", "6.1", "7.0"), ("compute_50",), _BUILDER_1_2
    ),
    PublishedArchs(
        "10.0",
        ">=1.2,<1.3.1",
        _OLD + _sm("6.0", "6.1", "7.0", "7.5"),
        ("compute_50",),
        _BUILDER_1_2,
    ),
    PublishedArchs(
        "10.1",
        ">=1.2,<1.3.1",
        _OLD + _sm("6.0", "6.1", "7.0", "7.5"),
        ("compute_50",),
        _BUILDER_1_2,
    ),
    PublishedArchs(
        "9.2", ">=1.4,<1.6", _KEPLER_37 + _sm("6.0", "6.1", "7.0"), ("compute_37",), _BUILDER_1_4
    ),
    PublishedArchs(
        "10.0",
        ">=1.4,<1.6",
        _KEPLER_37 + _sm("6.0", "6.1", "7.0", "7.5"),
        ("compute_37",),
        _BUILDER_1_4,
    ),
    PublishedArchs(
        "10.1",
        ">=1.4,<1.6",
        _KEPLER_37 + _sm("6.0", "6.1", "7.0", "7.5"),
        ("compute_37",),
        _BUILDER_1_4,
    ),
    PublishedArchs(
        "10.2",
        ">=1.5,<1.6",
        _KEPLER_37 + _sm("6.0", "6.1", "7.0", "7.5"),
        ("compute_37",),
        _BUILDER_1_4,
    ),
    PublishedArchs("9.2", ">=1.6,<1.7", _sm("3.7", "5.0", "6.0", "7.0"), (), _BUILDER_1_6),
    PublishedArchs("10.2", ">=1.6,<1.7", _sm("3.7", "5.0", "6.0", "7.0", "7.5"), (), _BUILDER_1_6),
    PublishedArchs("9.2", ">=1.7,<1.8", _sm("3.7", "5.0", "6.0", "7.0"), (), _BUILDER_1_7),
    PublishedArchs("10.1", ">=1.7,<1.8", _sm("3.7", "5.0", "6.0", "7.0", "7.5"), (), _BUILDER_1_7),
    PublishedArchs("10.2", ">=1.7,<1.8", _sm("3.7", "5.0", "6.0", "7.0", "7.5"), (), _BUILDER_1_7),
    PublishedArchs(
        "11.0", ">=1.7,<1.8", _sm("3.7", "5.0", "6.0", "7.0", "7.5", "8.0"), (), _BUILDER_1_7
    ),
    PublishedArchs("10.1", ">=1.8.1,<1.11", _sm("3.7", "5.0", "6.0", "7.0"), (), _BUILDER_1_8),
    PublishedArchs("10.2", ">=1.8.1,<1.11", _sm("3.7", "5.0", "6.0", "7.0"), (), _BUILDER_1_8),
    PublishedArchs(
        "11.1",
        ">=1.8.1,<1.11",
        _sm("3.7", "5.0", "6.0", "7.0", "7.5", "8.0", "8.6"),
        (),
        _BUILDER_1_8,
    ),
    PublishedArchs("11.6", "", _sm("3.7", "5.0", "6.0", "7.0", "7.5", "8.0", "8.6"), (), _BUILDER),
    PublishedArchs("11.7", "", _sm("3.7", "5.0", "6.0", "7.0", "7.5", "8.0", "8.6"), (), _BUILDER),
    PublishedArchs(
        "11.8", "", _sm("3.7", "5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"), (), _BUILDER
    ),
    PublishedArchs(
        "12.6", ">=2.6", _sm("5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"), (), _MANYWHEEL
    ),
    PublishedArchs(
        "12.8",
        ">=2.8",
        _sm("7.0", "7.5", "8.0", "8.6", "9.0", "10.0", "12.0"),
        (),
        _MANYWHEEL,
    ),
    PublishedArchs(
        "12.9",
        ">=2.8",
        _sm("7.0", "7.5", "8.0", "8.6", "9.0", "10.0", "12.0"),
        ("compute_120",),
        _MANYWHEEL,
    ),
    PublishedArchs(
        "13.0",
        ">=2.12",
        _sm("7.5", "8.0", "8.6", "9.0", "10.0", "12.0"),
        ("compute_120",),
        _RELEASE_MD,
    ),
    PublishedArchs(
        "13.2",
        ">=2.12",
        _sm("7.5", "8.0", "8.6", "9.0", "10.0", "12.0"),
        ("compute_120",),
        _RELEASE_MD,
    ),
)


def published(release: str, cuda: str) -> PublishedArchs | None:
    """The published list of one torch release's CUDA variant (`2.7.1`, `12.8`), if any."""
    from chipdoctor.rules.common import release_of  # packaging: only when a GPU is judged

    minor = ".".join(cuda.split(".")[:2])
    base = release_of(release)
    for entry in PUBLISHED:
        if entry.cuda != minor:
            continue
        try:
            if entry.releases and not PEP440.matches(entry.releases, base):
                continue
        except InvalidVersion:
            return None
        return entry
    return None


#: (releases, the lowest compute capability any of their Linux wheels carries code for, source).
#: A GPU below it runs no CUDA variant of those releases, whatever the list of each.
_FLOORS: tuple[tuple[str, Capability, str], ...] = (
    (
        ">=1.3.1",
        (3, 7),
        "pytorch/builder 2aac90bd723dfbb3dc7728152bf0e6877ec4da16 (2019-10-29, 'moved 3.5 to "
        "3.7'; no later TORCH_CUDA_ARCH_LIST of manywheel/ on any builder branch names an "
        "architecture below 3.7: https://github.com/pytorch/builder/commit/"
        "2aac90bd723dfbb3dc7728152bf0e6877ec4da16); torch 1.3.1 on a Tesla K40c (3.5): "
        "'cudaErrorNoKernelImageForDevice', on a K80 (3.7) it runs "
        "(https://github.com/pytorch/pytorch/issues/31319)",
    ),
)

#: The CUDA variants of each release's Linux wheels (the untagged PyPI default first), from
#: PyTorch's "previous versions" page, which has no v1.3 section
#: (https://github.com/pytorch/pytorch.github.io/blob/04862e376ea686ba351674864400db1d93113979/
#: _get_started/previous-versions.md).
VARIANTS: dict[str, tuple[str, ...]] = {
    "1.0.0": ("10.0", "9.0", "8.0"),
    "1.0.1": ("10.0", "9.0"),
    "1.1.0": ("10.0", "9.0"),
    "1.2.0": ("10.0", "9.2"),
    "1.4.0": ("10.1", "9.2"),
    "1.5.0": ("10.2", "10.1", "9.2"),
    "1.5.1": ("10.2", "10.1", "9.2"),
    "1.6.0": ("10.2", "10.1", "9.2"),
}


def _floor(release: str) -> tuple[Capability, str] | None:
    for releases, lowest, source in _FLOORS:
        try:
            if PEP440.matches(releases, release):
                return lowest, source
        except InvalidVersion:
            return None
    return None


def release_lacks(release: str, capability: Capability) -> str | None:
    """Where it is known that no CUDA variant of PyTorch's Linux wheels of `release` runs on
    the GPU, the sources that say so; None otherwise. For a plain version whose variant was
    not recorded: where every variant lacks the GPU, the variant does not matter."""
    from chipdoctor.rules.common import release_of

    base = release_of(release)
    variants = VARIANTS.get(base, ())
    if variants and all(build_runs(base, cuda, capability) is False for cuda in variants):
        sources = [listed.source for cuda in variants if (listed := published(base, cuda))]
        if sources:
            return "; ".join(dict.fromkeys(sources))
    floor = _floor(base)
    return floor[1] if floor is not None and capability < floor[0] else None


#: The newest architecture each CUDA toolkit compiles cubins for, from the "New Features" of
#: NVIDIA's CUDA Toolkit release notes (https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/):
#: 10.0 Turing (7.5), 11.0 A100 (8.0), 11.1 GA10x (8.6), 11.8 Ada and Hopper (8.9, 9.0),
#: 12.8 Blackwell (10.0, 12.0). For a variant without a published list: PyTorch's wheel lists
#: for CUDA 11.6 to 12.8 above carry no PTX, so a GPU newer than its toolkit has no kernel.
_TOOLKIT_CEILING: tuple[tuple[tuple[int, int], Capability], ...] = (
    ((12, 8), (12, 0)),
    ((11, 8), (9, 0)),
    ((11, 1), (8, 6)),
    ((11, 0), (8, 0)),
    ((10, 0), (7, 5)),
)


def _cuda_pair(cuda: str) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", cuda)
    return (int(match.group(1)), int(match.group(2))) if match else None


def build_runs(release: str, cuda: str, capability: Capability) -> bool | None:
    """Whether PyTorch's wheel of `release` for CUDA `cuda` runs on the GPU, by the published
    list, else by its toolkit's newest architecture; None when neither can tell."""
    floor = _floor(release)
    if floor is not None and capability < floor[0]:
        return False
    listed = published(release, cuda)
    if listed is not None:
        return runs(capability, listed.native, listed.portable)
    pair = _cuda_pair(cuda)
    if pair is None or pair >= (12, 9):
        return None
    for since, ceiling in _TOOLKIT_CEILING:
        if pair >= since:
            return None if capability <= ceiling else False
    return None
