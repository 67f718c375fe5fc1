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

xFormers is a companion of the same class, judged from its own build record
(xformers/cpp_lib.json, chipdoctor/parsers/xformers_build.py) rather than its version: it
names the torch build the extension was compiled against. A CUDA xFormers under a CPU-only
torch does not load (`WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was
built for: PyTorch 2.1.2+cu121 with CUDA 1201 (you have 2.1.2+cpu)`, open-mmlab/PIA#30, fixed
by a CUDA torch), nor under a torch of another CUDA major (it links that major's CUDA
runtime); nor does one built for another torch release, except that from xFormers
0.0.34 on, a build for torch 2.10 or later runs on any later torch (CHANGELOG.md [0.0.34]:
"Migrated xFormers to the PyTorch stable API/ABI").

A torchvision compiled for another CUDA than torch is refused by torchvision itself at import
(VISION_CUDA_CHECK: "Detected that PyTorch and torchvision were compiled with different CUDA
versions", mathmanu/edgeai-torchvision#18, a source build that took the host's CUDA 11.7 under
torch 1.10.0+cu113): judged from that line of the failed job's log, or from the two local tags
by the comparison of the installed torchvision's release.
"""

from __future__ import annotations

from collections.abc import Mapping

from chipdoctor.evidence.base import PlatformInfo
from chipdoctor.i18n import T, join
from chipdoctor.model import FACT_TORCH_CUDA, Finding, Inventory, Severity
from chipdoctor.parsers import xformers_build as xf
from chipdoctor.probes.torch_default import default_build
from chipdoctor.rules.common import (
    cuda_tag,
    is_final,
    logged,
    pip_install,
    release_line,
    release_of,
    same_release,
    tag_cuda,
)
from chipdoctor.rules.requirements import (
    TORCHVISION_FOR_TORCH,
    companions_for,
    exact_builds,
    wheel_variant,
)
from chipdoctor.symptoms.kinds import TORCHVISION_CUDA
from chipdoctor.torchwheels import wheel_source
from chipdoctor.versions import PEP440, InvalidVersion, public_version

VISION_TABLE = (
    "pytorch/vision README, the torch and torchvision versions table "
    "<https://github.com/pytorch/vision#installation>"
)
_CPU = "cpu"
_CUDA = "cuda"
_TORCH_FOR_TORCHVISION = {vision: torch for torch, vision in TORCHVISION_FOR_TORCH.items()}
_COMPANIONS = ("torchvision", "torchaudio")
XFORMERS_CHANGELOG = (
    "facebookresearch/xformers CHANGELOG.md @ v0.0.35 "
    "<https://github.com/facebookresearch/xformers/blob/v0.0.35/CHANGELOG.md>"
)
#: torch release -> the xFormers release whose pre-built wheels require it (each release's
#: "Pre-built binary wheels require PyTorch …" line of XFORMERS_CHANGELOG; where two name one
#: torch, the later), and the wheel indexes its README at that tag installs it from
#: (`pip3 install -U xformers --index-url https://download.pytorch.org/whl/<variant>`).
_CU118_121 = ("cu118", "cu121")
_CU118_124 = ("cu118", "cu121", "cu124", "rocm6.1")
_CU118_128 = ("cu118", "cu126", "cu128", "rocm6.3")
_CU126_129 = ("cu126", "cu128", "cu129", "rocm6.4")
XFORMERS_FOR_TORCH: dict[str, tuple[str, tuple[str, ...]]] = {
    "2.1.1": ("0.0.23", _CU118_121), "2.1.2": ("0.0.23.post1", _CU118_121),
    "2.2.0": ("0.0.24", _CU118_121), "2.2.1": ("0.0.25", _CU118_121),
    "2.2.2": ("0.0.25.post1", _CU118_121), "2.3.0": ("0.0.26", _CU118_121),
    "2.3.1": ("0.0.27", _CU118_121), "2.4.0": ("0.0.27.post2", _CU118_121),
    "2.4.1": ("0.0.28", _CU118_124), "2.5.0": ("0.0.28.post2", _CU118_124),
    "2.5.1": ("0.0.28.post3", _CU118_124),
    "2.6.0": ("0.0.29.post2", ("cu118", "cu124", "cu126", "rocm6.2.4")),
    "2.7.0": ("0.0.30", _CU118_128), "2.7.1": ("0.0.31", _CU118_128),
    "2.8.0": ("0.0.32", _CU118_128), "2.9.0": ("0.0.33", _CU126_129),
    "2.9.1": ("0.0.33.post2", _CU126_129),
}  # fmt: skip
#: From 0.0.34 (the stable ABI) one build serves torch 2.10 "and later" (XFORMERS_CHANGELOG).
XFORMERS_STABLE = ("0.0.35", ("cu126", "cu128", "cu130", "rocm7.1"))
_STABLE_ABI_XFORMERS = PEP440.parse("0.0.34")
_STABLE_ABI_TORCH = PEP440.parse("2.10")
#: torchvision/extension.py `_check_cuda_version` compares torch.version.cuda with the CUDA
#: torchvision was compiled with: major and minor up to 0.15.2, the major alone from 0.16.0
#: (read in both PyPI wheels; the change is pytorch/vision#7726, merged 2023-08-17).
VISION_CUDA_CHECK = (
    "pytorch/vision torchvision/extension.py `_check_cuda_version`, "
    "<https://github.com/pytorch/vision/pull/7726>"
)
_VISION_MAJOR_ONLY = PEP440.parse("0.16")


def findings(
    platform: PlatformInfo,
    packages: Mapping[str, str],
    requires: Mapping[str, tuple[str, ...]] | None = None,
    inventory: Inventory | None = None,
) -> list[Finding]:
    """`inventory`: what the probes found (xFormers' build record among its facts)."""
    torch = packages.get("torch")
    if torch is None:
        return []
    requires = requires or {}
    out = _release_lines(torch, packages.get("torchvision"), "torchvision" in requires)
    out += _cuda_versions(platform, torch, packages.get("torchvision"), inventory)
    torch_build = _build(torch, platform, requires.get("torch", ()))
    if inventory is not None:
        out += _xformers(platform, packages, requires, inventory, torch_build)
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


def _cuda_versions(
    platform: PlatformInfo, torch: str, vision: str | None, inventory: Inventory | None
) -> list[Finding]:
    """torchvision compiled for another CUDA than torch: the failed job's log shows
    torchvision's own refusal, or the machine's facts name CUDA versions it refuses (torch's
    from torch/version.py or its tag, torchvision's from its tag or PyPI's build of it)."""
    if vision is None or torch.partition("+")[2].lower().startswith("cpu"):
        return []  # NOTE: torchvision checks nothing under a torch without CUDA
    symptom = inventory.symptom(TORCHVISION_CUDA) if inventory is not None else None
    recorded = inventory.facts.get(FACT_TORCH_CUDA) if inventory is not None else None
    torch_cuda = recorded or tag_cuda(torch)
    built = _vision_cuda(platform, vision, torch)
    vision_cuda = built[0] if built is not None else None
    if symptom is not None:
        torch_cuda = symptom.value("pytorch_cuda") or torch_cuda
        vision_cuda = symptom.value("vision_cuda") or vision_cuda
        shown = logged(symptom)
    elif torch_cuda and built is not None and _refused(vision, torch_cuda, built[0]):
        shown = built[1]
    else:
        return []
    return [
        Finding(
            "host.companion-build",
            Severity.ERROR,
            ("torch", "torchvision"),
            T(
                "torchvision {vision} was compiled for CUDA {vision_cuda} but torch {torch} for "
                "CUDA {torch_cuda}: torchvision refuses them at import ('Detected that PyTorch "
                "and torchvision were compiled with different CUDA versions'; {shown}; source: "
                "{source}).",
                vision=vision,
                vision_cuda=vision_cuda or "?",
                torch=torch,
                torch_cuda=torch_cuda or "?",
                shown=shown,
                source=VISION_CUDA_CHECK,
            ),
            # NOTE: the installed torchvision may already meet the pin (a source build of the
            # same release), and pip would keep it: it goes first.
            "pip uninstall -y torchvision && " + companions_for(torch, ["torchvision"]),
        )
    ]


def _vision_cuda(platform: PlatformInfo, vision: str, torch: str) -> tuple[str, str] | None:
    """(CUDA, where that comes from) of torchvision: its `+cuXYZ` tag's, or for a plain final
    release made for the installed torch's line, PyPI's, the default build of that torch
    release (module docstring); None where neither says. A plain torchvision is PyPI's only
    beside a tagged torch: beside a plain one, both may be conda's, built for torch's CUDA."""
    tagged = tag_cuda(vision)
    if tagged is not None:
        return tagged, T("the local tags say so")
    if "+" in vision or "+" not in torch or not is_final(vision):
        return None
    if _TORCH_FOR_TORCHVISION.get(release_line(vision)) != release_line(torch):
        return None
    found = default_build(release_of(torch), platform.machine, (), platform.system)
    if found is None or not found[0]:
        return None
    return found[0], T(
        "torchvision {vision} from PyPI is the CUDA {cuda} build: {source}",
        vision=vision,
        cuda=found[0],
        source=found[1],
    )


def _refused(vision: str, torch_cuda: str, vision_cuda: str) -> bool:
    """Whether torchvision's check of that release refuses the pair (VISION_CUDA_CHECK)."""
    try:
        major_only = PEP440.parse(release_of(vision)) >= _VISION_MAJOR_ONLY
    except InvalidVersion:
        return False
    parts = 1 if major_only else 2  # NOTE: torch/version.py may say 10.1.243
    return torch_cuda.split(".")[:parts] != vision_cuda.split(".")[:parts]


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


def _xformers(
    platform: PlatformInfo,
    packages: Mapping[str, str],
    requires: Mapping[str, tuple[str, ...]],
    inventory: Inventory,
    torch_build: tuple[str, str] | None,
) -> list[Finding]:
    """xFormers built for a CUDA torch under a CPU-only one, or for another torch release."""
    facts = inventory.facts
    torch, version, built = packages["torch"], packages.get("xformers"), facts.get(xf.FACT_TORCH)
    if version is None or built is None:
        return []
    cuda = facts.get(xf.FACT_CUDA)
    source = facts.get(xf.FACT_SOURCE, "")
    record = (
        T(
            "xformers {version} was built for PyTorch {built} with CUDA {cuda} ({source})",
            version=version,
            built=built,
            cuda=cuda,
            source=source,
        )
        if cuda
        else T(
            "xformers {version} was built for PyTorch {built} ({source})",
            version=version,
            built=built,
            source=source,
        )
    )
    exact = _built_for(built, platform, packages, same_release(built, torch))
    if cuda and torch_build is not None and torch_build[0] == _CPU:
        if _gpu_seen(inventory):
            return []  # NOTE: cuda.torch-cpu-build names this cause, with `fix`'s plan
        return [
            Finding(
                "host.companion-build",
                Severity.ERROR,
                ("torch",),
                T(
                    "{record}, but torch {torch} is a CPU-only build ({torch_why}): xFormers' "
                    "C++/CUDA extension needs torch's CUDA libraries, so it does not load "
                    "(`WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions`), though pip "
                    "finds nothing wrong.",
                    record=record,
                    torch=torch,
                    torch_why=torch_build[1],
                ),
                exact or T("Install a CUDA build of torch {release}.", release=release_of(built)),
            )
        ]
    if same_release(built, torch):
        ways = _ways(exact, torch, version)
        return _cuda_runtime(record, torch, cuda, facts.get(FACT_TORCH_CUDA), ways)
    if _pinned_torch(requires) or _stable_abi(version, built, torch):
        return []  # NOTE: a pin on torch is the Requires-Dist check's to judge
    return [
        Finding(
            "host.companion-release",
            Severity.ERROR,
            ("torch",),
            T(
                "{record}, but torch {torch} is installed: its C++/CUDA extension does not load "
                "against another torch release (`WARNING[XFORMERS]: xFormers can't load C++/CUDA "
                "extensions`).",
                record=record,
                torch=torch,
            ),
            join(_ways(exact, torch, version)),
        )
    ]


def _cuda_runtime(
    record: str, torch: str, cuda: str | None, torch_cuda: str | None, ways: list[str]
) -> list[Finding]:
    """The same torch release, another CUDA major: a CUDA extension links the CUDA runtime of
    the toolkit it was built with (torch.utils.cpp_extension's CUDAExtension adds `cudart`),
    whose file name carries the major (`libcudart.so.11.0`, `libcudart.so.12`), and a CUDA wheel
    of torch ships only its own."""
    built_major = str(int(cuda) // 100) if cuda and cuda.isdigit() else None
    major = _cuda_major(torch, torch_cuda)
    if built_major is None or major is None or built_major == major:
        return []
    return [
        Finding(
            "host.companion-build",
            Severity.ERROR,
            ("torch",),
            T(
                "{record}, but torch {torch} is a CUDA {major} build: xFormers' C++/CUDA "
                "extension needs the CUDA {built_major} runtime (libcudart), which that torch "
                "does not ship, so it does not load (`WARNING[XFORMERS]: xFormers can't load "
                "C++/CUDA extensions`).",
                record=record,
                torch=torch,
                major=major,
                built_major=built_major,
            ),
            join(ways),
        )
    ]


def _cuda_major(torch: str, torch_cuda: str | None) -> str | None:
    """The CUDA major of the installed torch: torch/version.py's (or PyPI's default build's)
    CUDA, else its `+cuXYZ` tag's."""
    major = (torch_cuda or tag_cuda(torch) or "").partition(".")[0]
    return major if major.isdigit() else None


def _ways(exact: str | None, torch: str, installed: str) -> list[str]:
    """Either way to make them agree: the torch build xFormers was built for, or the xFormers
    release built for the installed torch; each only where it can be named, and the second
    only where it is another release than the installed one (pip keeps a release it has)."""
    ways: list[str] = []
    if exact:
        ways.append(T("Install the torch build xFormers was built for: {line}", line=exact))
    line = _xformers_for(torch, installed)
    if line is not None:
        ways.append(
            T(
                "or the xFormers release built for torch {release} ({source}): {line}",
                release=release_of(torch),
                source=XFORMERS_CHANGELOG,
                line=line,
            )
        )
    return ways


def _built_for(
    built: str, platform: PlatformInfo, packages: Mapping[str, str], same: bool
) -> str | None:
    """The pip line of the exact torch build xFormers was built for (its local tag where it
    names a wheel index, else PyPI's default CUDA build of that release), torchvision /
    torchaudio of the same variant with it; None where neither names one."""
    tag = wheel_variant(built)
    if tag is None:
        plain = "+" not in built
        found = default_build(built, platform.machine, (), platform.system) if plain else None
        if found is None or not found[0]:
            return None
        tag = cuda_tag(found[0])
    installed = [(name, packages[name]) for name in _COMPANIONS if name in packages]
    if same:
        return exact_builds(built, tag, installed)
    # NOTE: another torch release: its companions are the releases made for it, which pip
    # picks from their own pins on `torch==<release>+<tag>`.
    wanted = [
        f"torchvision=={TORCHVISION_FOR_TORCH[release_line(built)]}.*"
        if name == "torchvision" and release_line(built) in TORCHVISION_FOR_TORCH
        else name
        for name, _ in installed
    ]
    return pip_install(
        f"torch=={release_of(built)}+{tag}", *wanted, index_url=wheel_source(built, tag)
    )


def _xformers_for(torch: str, installed: str) -> str | None:
    """The pip line of the xFormers release whose wheels are built for the installed torch,
    from the index of its variant where that release's README names it (PyPI for a plain one);
    None where no source says."""
    if not is_final(torch):
        return None
    try:
        stable = PEP440.parse(release_of(torch)) >= _STABLE_ABI_TORCH
    except InvalidVersion:
        return None
    found = XFORMERS_STABLE if stable else XFORMERS_FOR_TORCH.get(release_of(torch))
    if found is None or public_version(found[0]) == public_version(installed):
        return None
    variant = torch.partition("+")[2]
    if variant and variant not in found[1]:
        return None
    index = wheel_source(torch, variant) if variant else None
    return pip_install(f"xformers=={found[0]}", f"torch=={torch}", index_url=index)


def _gpu_seen(inventory: Inventory) -> bool:
    """An NVIDIA GPU or driver was found: the CUDA stack's rules judge a CPU-only torch there."""
    return inventory.version("nvidia_driver") is not None or any(
        device.stack == "cuda" for device in inventory.devices
    )


def _pinned_torch(requires: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether xFormers' own Requires-Dist names torch (PyPI's wheels pin `torch==X`)."""
    from chipdoctor.rules.stack_packages import requirers

    return "xformers" in requirers(requires, "torch")


def _stable_abi(version: str, built: str, torch: str) -> bool:
    """An xFormers of the stable ABI, built for torch 2.10 or later, under a later torch."""
    try:
        return (
            PEP440.parse(version) >= _STABLE_ABI_XFORMERS
            and PEP440.parse(release_of(built)) >= _STABLE_ABI_TORCH
            and PEP440.parse(release_of(torch)) > PEP440.parse(release_of(built))
        )
    except InvalidVersion:
        return False
