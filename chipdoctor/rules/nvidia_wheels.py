"""NVIDIA's library wheels for two CUDA majors side by side (`nvidia-nccl-cu12` beside
`nvidia-nccl-cu13`): pip installs both, and where the library's file name does not carry the
CUDA major they ship one file to one path: the PyPI wheels of NCCL, NVSHMEM, cuDNN and
cuSPARSELt for CUDA 12 and 13 each list the same library in their RECORD (SHARED, read from the
wheels torch 2.12 pins and their CUDA 12 twins), so the one installed last overwrites the
other's file and torch loads whichever that was; removing either removes the file the other
needs. pytorch/pytorch#186591 fails so at `import torch` (`libtorch_cuda.so: undefined symbol:
ncclCommResume`), and a PyTorch maintainer's fix was to uninstall nvidia-nccl-cu12 there.

Which one to keep is the one the installed torch build requires: its own `Requires-Dist` (PyPI's
torch 2.12.0 for Linux requires `nvidia-nccl-cu13==2.29.7`), else the CUDA major of its
`+cuXYZ` tag, torch/version.py or PyPI's default build (chipdoctor/probes/torch_default.py).
Where none says, both ways are named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from chipdoctor.evidence.base import PlatformInfo
from chipdoctor.i18n import T, join
from chipdoctor.model import Finding, Severity
from chipdoctor.probes.torch_default import default_build
from chipdoctor.rules.common import tag_cuda
from chipdoctor.rules.stack_packages import required_name
from chipdoctor.versions import PEP440, InvalidVersion

FINDING = "host.nvidia-wheel-majors"
#: Library -> the file its CUDA 12 and CUDA 13 wheels both install (read from the RECORD of
#: PyPI's x86_64 wheels of these versions, both majors alike); a library not listed here, or
#: another pair of majors, is not judged (not read).
SHARED = {
    "nccl": ("nvidia/nccl/lib/libnccl.so.2", "2.29.3 (cu12), 2.29.7 (cu13)"),
    "nvshmem": ("nvidia/nvshmem/lib/libnvshmem_host.so.3", "3.4.5"),
    "cudnn": ("nvidia/cudnn/lib/libcudnn.so.9", "9.20.0.48"),
    "cusparselt": ("nvidia/cusparselt/lib/libcusparseLt.so.0", "0.8.1"),
}
_MAJORS = ("12", "13")
SOURCE = "https://github.com/pytorch/pytorch/issues/186591"
_WHEEL = re.compile(r"nvidia-(?P<lib>[a-z0-9]+(?:-[a-z0-9]+)*?)-cu(?P<major>\d{2})")


def findings(
    platform: PlatformInfo,
    packages: Mapping[str, str],
    requires: Mapping[str, tuple[str, ...]],
    torch_cuda: str | None = None,
) -> list[Finding]:
    """`torch_cuda`: the CUDA torch/version.py records, where it was read."""
    majors: dict[str, dict[str, str]] = {}
    for name, version in packages.items():
        match = _WHEEL.fullmatch(name)
        if match is not None and match["lib"] in SHARED and match["major"] in _MAJORS:
            majors.setdefault(match["lib"], {})[match["major"]] = version
    mixed = {lib: found for lib, found in majors.items() if len(found) > 1}
    if not mixed:
        return []
    torch = packages.get("torch")
    torch_requires = requires.get("torch", ())
    wanted = _torch_major(torch, platform, torch_requires, torch_cuda) if torch else None
    return [_finding(lib, found, torch, wanted, torch_requires) for lib, found in mixed.items()]


def _finding(
    lib: str,
    found: dict[str, str],
    torch: str | None,
    wanted: str | None,
    torch_requires: tuple[str, ...],
) -> Finding:
    listed = ", ".join(f"nvidia-{lib}-cu{major} {found[major]}" for major in sorted(found))
    pinned = _pinned_major(lib, torch_requires)
    keep = pinned or wanted
    path, versions = SHARED[lib]
    what = T(
        "{listed} are installed side by side: both install {path} (the RECORD of PyPI's "
        "nvidia-{lib}-cu12 and -cu13 wheels {versions}), so the one installed last replaced the "
        "other's, and `import torch` can fail with an undefined symbol of that library (as in "
        "{source}).",
        listed=listed,
        path=path,
        lib=lib,
        versions=versions,
        source=SOURCE,
    )
    if keep is not None and keep in found:
        why = (
            T("torch {torch} requires nvidia-{lib}-cu{major}", torch=torch, lib=lib, major=keep)
            if pinned
            else T("torch {torch} is a CUDA {major} build", torch=torch, major=keep)
        )
        return Finding(
            FINDING,
            Severity.ERROR,
            ("torch",) if torch else (),
            T("{what} {why}.", what=what, why=why),
            join([_keep(lib, found, keep)]),
        )
    return Finding(
        FINDING,
        Severity.ERROR,
        ("torch",) if torch else (),
        T(
            "{what} Which one the installed torch build needs was not recorded.",
            what=what,
        ),
        join(
            [
                T(
                    "For a CUDA {major} build of torch: {line}",
                    major=major,
                    line=_keep(lib, found, major),
                )
                for major in sorted(found, reverse=True)
            ]
        ),
    )


def _keep(lib: str, found: dict[str, str], keep: str) -> str:
    """Uninstall the others, then reinstall the kept wheel: their uninstall removes the file
    the kept one shares with them."""
    others = " ".join(f"nvidia-{lib}-cu{major}" for major in sorted(found) if major != keep)
    version = found[keep]
    try:
        PEP440.parse(version)  # it goes into a pasted line: no shell text there
        pin = f"nvidia-{lib}-cu{keep}=={version}"
    except InvalidVersion:
        pin = f"nvidia-{lib}-cu{keep}"
    return f"pip uninstall {others} -y && pip install --force-reinstall --no-deps {pin}"


def _pinned_major(lib: str, torch_requires: tuple[str, ...]) -> str | None:
    """The CUDA major of the `nvidia-<lib>-cuNN` wheel torch's own Requires-Dist names."""
    for line in torch_requires:
        wheel = _WHEEL.fullmatch(required_name(line) or "")
        if wheel is not None and wheel["lib"] == lib:
            return wheel["major"]
    return None


def _torch_major(
    torch: str, platform: PlatformInfo, torch_requires: tuple[str, ...], torch_cuda: str | None
) -> str | None:
    """The CUDA major of the installed torch: torch/version.py's, its tag's, or PyPI's default
    build's."""
    cuda = torch_cuda or tag_cuda(torch)
    if cuda is None:
        found = default_build(torch, platform.machine, torch_requires, platform.system)
        cuda = found[0] if found is not None else None
    major = (cuda or "").partition(".")[0]
    return major if major.isdigit() else None
