"""A CUDA build of a companion (torchvision, torchaudio) under a CPU-only torch: the
companion's compiled extension needs torch's CUDA libraries, which a CPU-only torch does not
ship, so its operators do not load (`RuntimeError: operator torchvision::nms does not exist`,
pytorch/pytorch#122494, where a torchvision maintainer's fix, the `+cpu` wheel, worked), yet
pip is content: `torch==2.2.1` is met by `2.2.1+cpu`. The other way round (a CPU companion
under a CUDA torch) loads, so it is not judged here.

A tagged version names its build. A plain one is the wheel PyPI serves: every PyPI promotion
script uploads torch, torchvision and torchaudio of one platform with the same version suffix
(e.g. pytorch/builder release/pypi/promote_pypi_to_staging.sh @ b8539eb5: linux_x86_64
`%2Bcu121` for all three), and the quick-start installs the three with one command, so a plain
torchvision is the default build of the torch release it is made for
(chipdoctor/probes/torch_default.py). A plain torchaudio is judged only by its tag: no table of
its releases is read here.

Where torchvision's own `Requires-Dist` was not recorded (a snapshot /1 or /2, a pasted `pip
list`), its release line is judged against torch's with pytorch/vision's compatibility table
(TORCHVISION_FOR_TORCH): torchvision 0.21 under torch 2.5.1 fails as above
(vllm-project/vllm-ascend#477, fixed by pinning torchvision below 0.21).
"""

from __future__ import annotations

from collections.abc import Mapping

from chipdoctor.evidence.base import PlatformInfo
from chipdoctor.i18n import T
from chipdoctor.model import Finding, Severity
from chipdoctor.probes.torch_default import default_build
from chipdoctor.rules.common import is_final, pip_install, release_line, release_of
from chipdoctor.rules.requirements import TORCHVISION_FOR_TORCH, companions_for
from chipdoctor.torchwheels import wheel_source
from chipdoctor.versions import PEP440, InvalidVersion

VISION_TABLE = (
    "pytorch/vision README, the torch and torchvision versions table "
    "<https://github.com/pytorch/vision#installation>"
)
_CPU = "cpu"
_CUDA = "cuda"
_TORCH_FOR_TORCHVISION = {vision: torch for torch, vision in TORCHVISION_FOR_TORCH.items()}


def findings(
    platform: PlatformInfo,
    packages: Mapping[str, str],
    requires: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Finding]:
    torch = packages.get("torch")
    if torch is None:
        return []
    requires = requires or {}
    out = _release_lines(torch, packages.get("torchvision"), "torchvision" in requires)
    torch_build = _build(torch, platform, requires.get("torch", ()))
    if torch_build is None:
        return out
    for name in ("torchvision", "torchaudio"):
        version = packages.get(name)
        if version is None:
            continue
        build = _companion_build(name, version, torch, platform)
        if build is not None and build[0] == _CUDA and torch_build[0] == _CPU:
            out.append(_finding(name, version, build, torch, torch_build))
    return out


def _release_lines(torch: str, vision: str | None, pinned: bool) -> list[Finding]:
    """torchvision of another torch line than the installed one, where its pin is unknown."""
    if vision is None or pinned or not is_final(torch):
        return []
    made_for = _TORCH_FOR_TORCHVISION.get(release_line(vision))
    if made_for is None or made_for == release_line(torch):
        return []
    return [
        Finding(
            "host.companion-release",
            Severity.ERROR,
            ("torch", "torchvision"),
            T(
                "torchvision {vision} is the release made for torch {made_for}, but torch "
                "{torch} is installed: its compiled operators do not load (`RuntimeError: "
                "operator torchvision::nms does not exist`) (source: {source}).",
                vision=vision,
                made_for=made_for,
                torch=torch,
                source=VISION_TABLE,
            ),
            companions_for(torch, ["torchvision"]),
        )
    ]


def _build(
    version: str, platform: PlatformInfo, requires: tuple[str, ...] = ()
) -> tuple[str, str] | None:
    """(cpu | cuda, why) of a torch version: its tag, else PyPI's default build; None where
    neither says (a ROCm or XPU tag, a release no source covers)."""
    local = version.partition("+")[2].lower()
    if local == "cpu" or local.startswith("cpu."):
        return _CPU, f"+{local}"
    if local.startswith("cu") and local[2:3].isdigit():
        return _CUDA, f"+{local}"
    if local:
        return None
    found = default_build(version, platform.machine, requires, platform.system)
    if found is None:
        return None
    cuda, source = found
    what = T("PyPI's CUDA {cuda} build", cuda=cuda) if cuda else T("PyPI's CPU-only build")
    return (_CUDA if cuda else _CPU), f"{what}: {source}"


def _companion_build(
    name: str, version: str, torch: str, platform: PlatformInfo
) -> tuple[str, str] | None:
    try:
        PEP440.parse(version)  # its release goes into the fix's pip line: no shell text there
    except InvalidVersion:
        return None
    if "+" in version:
        return _build(version, platform)
    made_for = _TORCH_FOR_TORCHVISION.get(release_line(version))
    if name != "torchvision" or made_for != release_line(torch):
        return None  # another release line is the Requires-Dist check's business
    # NOTE: the torch release it is made for is the installed one's (same line, same pairing).
    return _build(release_of(torch), platform)


def _finding(
    name: str, version: str, build: tuple[str, str], torch: str, torch_build: tuple[str, str]
) -> Finding:
    return Finding(
        "host.companion-build",
        Severity.ERROR,
        ("torch", name),
        T(
            "{name} {version} is a CUDA build ({why}) but torch {torch} is a CPU-only build "
            "({torch_why}): {name}'s compiled extension needs torch's CUDA libraries, so it does "
            "not load (torchvision: `RuntimeError: operator torchvision::nms does not exist`), "
            "though pip finds nothing wrong.",
            name=name,
            version=version,
            why=build[1],
            torch=torch,
            torch_why=torch_build[1],
        ),
        _fix(name, version, torch),
    )


def _fix(name: str, version: str, torch: str) -> str:
    """The CPU wheel of the same companion release, from where torch's builds are; torch is
    kept."""
    return pip_install(
        f"{name}=={release_of(version)}+cpu", index_url=wheel_source(release_of(torch), "cpu")
    )
