"""Which build a plain torch version is: `pip install torch==1.7.1` on Linux x86_64 installs
PyPI's wheel, which has no `+cu102` tag but is a CUDA build (the release's default CUDA), while
the aarch64 wheel of the same release is CPU-only.

In order of authority (torch/version.py, read by the host probe, comes before both):
1. the wheel's own `Requires-Dist` (recorded per distribution): PyPI's CUDA wheels depend on the
   CUDA runtime of their build, e.g. `nvidia-cuda-runtime-cu12==12.4.127` (pytorch/pytorch#146679,
   astral-sh/uv#10119);
2. the table below, each row cited: the untagged Linux install commands of PyTorch's "previous
   versions" page, and PyTorch release engineering's PyPI promotion script (which download-index
   variant of each platform is uploaded to PyPI, as the release's own commit sets it).
   For 1.9.0 to 1.11.0 the quick-start selector's data of that time (published_versions.json:
   the "Linux, Pip, CUDA 10.2" command without an index URL is PyPI's wheel); for 2.8 onwards
   test-infra's build matrix, whose release channel prints the stable CUDA's Linux command (and
   Windows' CPU one) without an index URL, i.e. from PyPI (the promotion script was not changed
   for 2.8 to 2.10, so it is not the source there).
For 1.3.0 and 1.3.1, which no page or script read here states, the wheels PyPI serves were read:
their torch/version.py says `cuda = '10.1.243'`.
Windows' PyPI wheel is the CPU build (the promotion scripts upload `win_amd64` `+cpu`); macOS has
no CUDA. Before 1.8.0 PyPI has no Linux wheel for another machine than x86_64 (pip, asked for
torch==1.3.0 for manylinux2014_aarch64, lists 1.8.0 as the first release it can install there;
none for ppc64le), so a Linux machine that was not recorded is x86_64 for those releases.
Releases no source read here states are not guessed (1.0.x, 1.1.0, 1.8.1, 1.9.1
on x86_64; aarch64 before 2.6 and 2.8-2.10, 2.12 onwards; 2.14 onwards): a plain version of
those stays unknown unless its Requires-Dist says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PREVIOUS_VERSIONS = (
    "https://github.com/pytorch/pytorch.github.io/blob/e3f009bbc0d7509ed5c85b633313ec72aa2d1a40/"
    "_get_started/previous-versions.md"
)
_PREVIOUS_1_13 = (
    "https://github.com/pytorch/pytorch.github.io/blob/04862e376ea686ba351674864400db1d93113979/"
    "_get_started/previous-versions.md ('Linux CUDA 11.7: pip install torch==1.13.x')"
)


def _promotion(repo: str, commit: str, title: str) -> str:
    return (
        f"{repo} release/pypi/promote_pypi_to_staging.sh @ {commit[:10]} ({title}): "
        f"https://github.com/{repo}/blob/{commit}/release/pypi/promote_pypi_to_staging.sh"
    )


def _matrix(commit: str, title: str) -> str:
    """test-infra's build matrix at a release's go-live commit: its release channel prints the
    Linux command of STABLE_CUDA_VERSIONS["release"] without an index URL (PyPI's wheel)."""
    return (
        f"pytorch/test-infra tools/scripts/generate_binary_build_matrix.py @ {commit[:10]} "
        f"({title}): https://github.com/pytorch/test-infra/blob/{commit}/"
        "tools/scripts/generate_binary_build_matrix.py"
    )


def _wheel(version: str, sha256: str) -> str:
    """A PyPI wheel's own torch/version.py, read from the file PyPI serves."""
    return (
        f"torch/version.py of PyPI's torch-{version}-cp37-cp37m-manylinux1_x86_64.whl "
        f"(sha256 {sha256}…): cuda = '10.1.243', https://pypi.org/project/torch/{version}/"
    )


_BUILDER = "pytorch/builder"
_TEST_INFRA = "pytorch/test-infra"
_PUBLISHED_1_11 = (
    "https://github.com/pytorch/pytorch.github.io/blob/0142fe6d2a8ee156db908c9097f9868cd0a68113/"
    "published_versions.json ('linux' 'pip' 'cuda10.2' and 'windows' 'pip' 'accnone': "
    "pip3 install torch torchvision torchaudio, no index URL)"
)
_P_1_12 = _promotion(_BUILDER, "5c4d2fa1edf2ec81b43c855862fef07aeee6d837", "1.12.0: +cu102")
_P_2_1 = _promotion(_BUILDER, "b39cccf546f54c95f15001d0cc5f2ce222d35fdd", "2.1.0: +cu121")
_P_2_2 = _promotion(_BUILDER, "b8539eb5202b27eabc6ca3dc632663bf9f13f71f", "2.2.0: +cu121")
_P_2_3 = _promotion(_BUILDER, "2a8481b4f6e08bb8b842b47ba07cbb7be575370e", "2.3.0: +cu121")
_P_2_4 = _promotion(
    _BUILDER, "0e96ab133badf2d5596729005459f45746a25d0a", "2024-08-12, after 2.4.0: +cu121"
)
_P_2_5 = _promotion(
    _BUILDER, "d85ff6072c8c11a1ae992327cfad3a356c55a6d3", "2024-10-17, 2.5.0 day: +cu124"
)
_P_2_6 = _promotion(
    _TEST_INFRA, "614125ae91fe1f3868f34c8088d7a4d58f2225f1", "2.6: +cu124, aarch64 +cpu"
)
_P_2_7 = _promotion(
    _TEST_INFRA, "d0e960f2e16f063377744672abd0cabc2c9a0167", "2.7: +cu126, aarch64 +cpu"
)
_P_2_11 = _promotion(
    _TEST_INFRA, "0cd5e78a1246e7842aa9c2f8d0c8c39ef139332e", "2.11: +cu130 on x86_64 and aarch64"
)
_M_2_8 = _matrix("21480431af19ade432709cad640178556246ced4", "2.8.0 go-live: stable CUDA 12.8")
_M_2_9 = _matrix("f563b660a36d6730ecab6ac1f3f691955e62223b", "2.9.0 go-live: stable CUDA 12.8")
_M_2_10 = _matrix("e8208cf27137d9e5f8f5c48e8c01749f32b6f261", "2.10.0 go-live: stable CUDA 12.8")
_M_2_12 = _matrix("626d4e7081564c2af7b8ec0216b808371bc4e970", "2.12.0 go-live: stable CUDA 13.0")
_M_2_13 = _matrix("6d36e31f45e831e85d4cc8a7a112fa4a02fd4dd8", "2.13.0 go-live: stable CUDA 13.0")

_X86 = "linux-x86_64"
_ARM = "linux-aarch64"
_WIN = "windows-amd64"

#: (release prefix, platform, CUDA or None for a CPU-only wheel, source). A prefix `2.1.` holds
#: for every patch release of 2.1 (the promotion script is set once per release). The first
#: release whose PyPI aarch64 wheel is a CUDA build is 2.11 (_P_2_11, "Make CUDA 13.0 as
#: stable"); before it the script uploads the aarch64 `+cpu` build (_P_2_6, _P_2_7).
TABLE: tuple[tuple[str, str, str | None, str], ...] = (
    ("1.2.0", _X86, "10.0", PREVIOUS_VERSIONS),
    ("1.3.0", _X86, "10.1", _wheel("1.3.0", "d460039d0d6c9e3e")),
    ("1.3.1", _X86, "10.1", _wheel("1.3.1", "72a1c85bffd2154f")),
    ("1.4.0", _X86, "10.1", PREVIOUS_VERSIONS),
    ("1.5.0", _X86, "10.2", PREVIOUS_VERSIONS),
    ("1.5.1", _X86, "10.2", PREVIOUS_VERSIONS),
    ("1.6.0", _X86, "10.2", PREVIOUS_VERSIONS),
    ("1.7.0", _X86, "10.2", PREVIOUS_VERSIONS),
    ("1.7.1", _X86, "10.2", PREVIOUS_VERSIONS),
    ("1.8.0", _X86, "10.2", PREVIOUS_VERSIONS),
    ("1.9.0", _X86, "10.2", _PUBLISHED_1_11),
    ("1.9.0", _WIN, None, _PUBLISHED_1_11),
    ("1.10.", _X86, "10.2", _PUBLISHED_1_11),
    ("1.10.", _WIN, None, _PUBLISHED_1_11),
    ("1.11.0", _X86, "10.2", _PUBLISHED_1_11),
    ("1.11.0", _WIN, None, _PUBLISHED_1_11),
    ("1.12.", _X86, "10.2", _P_1_12),
    ("1.12.", _WIN, None, _P_1_12),
    ("1.13.", _X86, "11.7", _PREVIOUS_1_13),
    ("2.0.0", _X86, "11.7", PREVIOUS_VERSIONS),
    ("2.0.1", _X86, "11.7", PREVIOUS_VERSIONS),
    ("2.1.", _X86, "12.1", _P_2_1),
    ("2.1.", _WIN, None, _P_2_1),
    ("2.2.", _X86, "12.1", _P_2_2),
    ("2.2.", _WIN, None, _P_2_2),
    ("2.3.", _X86, "12.1", _P_2_3),
    ("2.3.", _WIN, None, _P_2_3),
    ("2.4.", _X86, "12.1", _P_2_4),
    ("2.4.", _WIN, None, _P_2_4),
    ("2.5.", _X86, "12.4", _P_2_5),
    ("2.5.", _WIN, None, _P_2_5),
    ("2.6.", _X86, "12.4", _P_2_6),
    ("2.6.", _ARM, None, _P_2_6),
    ("2.6.", _WIN, None, _P_2_6),
    ("2.7.", _X86, "12.6", _P_2_7),
    ("2.7.", _ARM, None, _P_2_7),
    ("2.7.", _WIN, None, _P_2_7),
    ("2.8.", _X86, "12.8", _M_2_8),
    ("2.8.", _WIN, None, _M_2_8),
    ("2.9.", _X86, "12.8", _M_2_9),
    ("2.9.", _WIN, None, _M_2_9),
    ("2.10.", _X86, "12.8", _M_2_10),
    ("2.10.", _WIN, None, _M_2_10),
    ("2.11.", _X86, "13.0", _P_2_11),
    ("2.11.", _ARM, "13.0", _P_2_11),
    ("2.11.", _WIN, None, _P_2_11),
    ("2.12.", _X86, "13.0", _M_2_12),
    ("2.12.", _WIN, None, _M_2_12),
    ("2.13.", _X86, "13.0", _M_2_13),
    ("2.13.", _WIN, None, _M_2_13),
)

_MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}

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


#: The first torch release PyPI has a Linux wheel of another machine than x86_64 for (aarch64).
_FIRST_OTHER_LINUX_MACHINE = (1, 8)


def _release(version: str) -> tuple[int, ...]:
    """The leading major and minor of a version (`1.3.0` -> (1, 3)); () where it has none."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2])) if match else ()


def _platform(system: str, machine: str) -> str | None:
    """The table's platform key; a snapshot that recorded no system is taken as Linux, as the
    table was read before it knew systems (macOS wheels are never CUDA builds: no key)."""
    arch = _MACHINES.get(machine.lower())
    name = system.lower() or "linux"
    if arch is None or name not in {"linux", "windows"}:
        return None
    if name == "windows":
        return _WIN if arch == "x86_64" else None
    return f"linux-{arch}"


def default_build(
    version: str, machine: str, requires: Iterable[str], system: str = ""
) -> tuple[str | None, str] | None:
    """(CUDA or None for a CPU-only wheel, where that comes from) for a plain (untagged) torch
    version on this system and machine; None where no source says."""
    if "+" in version:
        return None
    pinned = cuda_of_requirements(requires)
    if pinned:
        return pinned, "Requires-Dist of torch"
    release = _release(version)
    linux = system.lower() in {"", "linux"}
    if not machine and linux and release and release < _FIRST_OTHER_LINUX_MACHINE:
        machine = "x86_64"  # NOTE: PyPI's only Linux wheels of that release (module docstring)
    wanted = _platform(system, machine)
    for prefix, on, cuda, source in TABLE:
        matches = version.startswith(prefix) if prefix.endswith(".") else version == prefix
        if on == wanted and matches:
            return cuda, source
    return None
