"""NVIDIA verdicts: torch's CUDA build <-> driver, the CUDA toolkit <-> driver, a CPU-only torch on
a GPU host, and cuDNN <-> torch.

NOTE: the trap (shared/reference/README.md): PyTorch's CUDA wheels bundle the CUDA runtime, and
since CUDA 11 a driver of the same major family runs them even below the driver NVIDIA releases
the toolkit with ("minor-version compatibility", limited feature set). So only a driver below
the family minimum is an `error`; below the release's own driver it is a `warning`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from chipdoctor.i18n import T, join
from chipdoctor.matrix.model import Matrix, Row
from chipdoctor.model import (
    FACT_TORCH_BUILD_SOURCE,
    FACT_TORCH_CUDA,
    FACT_TORCH_DEFAULT_BUILD,
    FACT_TORCH_HIP,
    Finding,
    Inventory,
    Severity,
)
from chipdoctor.rules.common import (
    cite,
    cuda_tag,
    logged,
    lowest,
    pip_install,
    release_of,
    stack_finding,
)
from chipdoctor.stacks.cuda import facts
from chipdoctor.stacks.cuda.archs import (
    Capability,
    build_runs,
    capability_text,
    parse_capability,
    published,
    release_lacks,
    runs,
    sm_name,
)
from chipdoctor.stacks.cuda.cuda_toolkit import torch_cuda_tag
from chipdoctor.symptoms.kinds import TORCH_NOT_CUDA
from chipdoctor.torchwheels import WHEEL_INDEX
from chipdoctor.versions import DOTTED, PEP440, InvalidVersion, VendorVersion, parse_vendor

TOOLKIT_ARCHIVE = "https://developer.nvidia.com/cuda-toolkit-archive"
_COMPANIONS = ("torchvision", "torchaudio")


def evaluate(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    out: list[Finding] = []
    torch = inventory.version("torch")
    if torch:
        kind, cuda = _torch_build(inventory, torch)
        if kind == "cuda" and cuda:
            out += _torch_vs_driver(inventory, matrix, torch, cuda)
            out += _torch_vs_gpu_arch(inventory, matrix, torch, cuda)
            out += _cudnn_vs_torch(inventory, matrix, torch, cuda)
        elif kind == "cpu":
            out += _cpu_torch(inventory, matrix, torch)
        else:
            out += _torch_vs_gpu_arch(inventory, matrix, torch, None)
    out += _toolkit_vs_driver(inventory, matrix)
    capabilities = gpu_capabilities(inventory)
    if capabilities and facts.FACT_EXTENSION + "0" in inventory.facts:
        from chipdoctor.stacks.cuda import extensions

        out += extensions.findings(inventory, capabilities)
    return out


_finding = partial(stack_finding, stack="cuda")


def _torch_build(inventory: Inventory, torch: str) -> tuple[str, str | None]:
    """("cuda", X.Y), ("cpu", None), or ("other", None) for ROCm/XPU/unknown builds.

    NOTE: torch/version.py (host probe facts) is authoritative; a `+cuXYZ` / `+cpu` local tag
    stands in when it could not be read. A PyPI wheel without either tag is its release's
    published default build (host probe: a CUDA, or CPU-only where no CUDA fact came with it),
    unless the failed job's log says "Torch not compiled with CUDA enabled" (a conda or source
    build carries no tag): then it is a CPU build.
    """
    facts = inventory.facts
    local = torch.partition("+")[2].lower()
    tagged = torch_cuda_tag(torch)
    if (
        inventory.symptom(TORCH_NOT_CUDA) is not None
        and FACT_TORCH_BUILD_SOURCE not in facts
        and not tagged
        and not facts.get(FACT_TORCH_HIP)
        and not local.startswith(("rocm", "xpu"))
    ):
        return "cpu", None  # the log proves it, where nothing read from torch says otherwise
    cuda = facts.get(FACT_TORCH_CUDA) or tagged
    if cuda:
        return "cuda", cuda
    if facts.get(FACT_TORCH_HIP) or local.startswith(("rocm", "xpu")):
        return "other", None
    if local == "cpu" or local.startswith("cpu.") or FACT_TORCH_BUILD_SOURCE in facts:
        return "cpu", None
    if not local and FACT_TORCH_DEFAULT_BUILD in facts:
        return "cpu", None
    return "other", None


def _parse(version: str) -> VendorVersion | None:
    try:
        return parse_vendor(version)
    except InvalidVersion:
        return None


def _at_least(driver: str, pattern: str) -> bool | None:
    try:
        return DOTTED.matches(pattern, driver)
    except InvalidVersion:
        return None


def _major(version: str) -> str:
    return version.partition(".")[0]


def _minor(version: str) -> str:
    """`12.6.20241114` -> `12.6`, `12` -> `12`."""
    return ".".join(version.split(".")[:2])


def _not_newer(cuda: str, api: str) -> bool:
    """Whether CUDA `cuda` (major.minor) is no newer than the driver's CUDA `api`."""
    left, right = _parse(_minor(cuda)), _parse(_minor(api))
    return left is not None and right is not None and left <= right


def _compat_row(matrix: Matrix, cuda: str) -> Row | None:
    rows = matrix.table("minor_version_compat").lookup(cuda)
    return rows[0] if rows else None


def release_row(matrix: Matrix, cuda: str) -> Row | None:
    """The toolkit table's row for this release: the most specific match, else the oldest
    minimum of its major.minor (date-stamped `12.6.20241114` names no update)."""
    table = matrix.table("toolkit_driver")
    rows = table.lookup(cuda)
    if not rows:
        prefix = _minor(cuda) + "."
        rows = [r for r in table.rows if r.first("cuda").startswith(prefix)]
        rows.sort(key=lambda r: _parse(minimum_driver(r)) or parse_vendor("0"))
        return rows[0] if rows else None
    return max(rows, key=lambda r: len(r.first("cuda").split(".")))


def minimum_driver(row: Row) -> str:
    """`>=560.28.03` -> `560.28.03`: the driver version to ask for (`615` for a branch row)."""
    pattern = row.first("nvidia_driver")
    return lowest("nvidia_driver", [pattern]) or pattern


def _branch(row: Row) -> str:
    """`R615` where NVIDIA names only the driver branch of a release (CUDA 13.4 on), else ""."""
    return row.extra.get("branch", "")


def _required(row: Row) -> str:
    """What a row asks of the driver, for messages: `>=560.28.03`, or the branch and the fact
    that NVIDIA publishes no exact minimum."""
    if _branch(row):
        return T(
            "branch {branch} or newer (NVIDIA publishes no exact minimum)", branch=_branch(row)
        )
    return row.first("nvidia_driver")


def _wanted(row: Row) -> str:
    """The driver a fix asks for: `560.28.03`, or `branch R615`."""
    if _branch(row):
        return T("branch {branch}", branch=_branch(row))
    return minimum_driver(row)


def _driver_supports(inventory: Inventory, matrix: Matrix, cuda: str) -> tuple[bool, bool]:
    """(fully, compatible): whether the driver runs CUDA `cuda` with every feature, and at all."""
    driver = inventory.version("nvidia_driver") or ""
    api = inventory.version("cuda_driver_api")
    release = release_row(matrix, cuda)
    compat = _compat_row(matrix, cuda)
    if api:
        fully = _not_newer(cuda, api)
    else:
        fully = bool(release and _at_least(driver, release.first("nvidia_driver")))
    compatible = fully or bool(compat and _at_least(driver, compat.first("nvidia_driver")))
    return fully, compatible


def _variants(inventory: Inventory, matrix: Matrix, torch: str) -> list[Row]:
    """CUDA variants of this torch release the driver runs, best first: those it fully supports,
    newest first, then those it runs only under minor-version compatibility, oldest (closest to
    the driver) first."""
    by_cuda: dict[str, Row] = {}
    for row in matrix.table("torch_cuda").lookup(release_of(torch)):
        by_cuda.setdefault(row.first("cuda"), row)
    newest = sorted(by_cuda, key=lambda c: _parse(c) or parse_vendor("0"), reverse=True)
    support = {cuda: _driver_supports(inventory, matrix, cuda) for cuda in newest}
    order = [c for c in newest if support[c][0]] + [
        c for c in reversed(newest) if support[c][1] and not support[c][0]
    ]
    return [by_cuda[c] for c in order]


def _newest_variant(matrix: Matrix, torch: str) -> Row | None:
    """The CUDA variant of this torch release with the newest CUDA, whatever the driver."""
    rows = matrix.table("torch_cuda").lookup(release_of(torch))
    return max(rows, key=lambda r: _parse(r.first("cuda")) or parse_vendor("0"), default=None)


def _for_unknown_driver(inventory: Inventory, matrix: Matrix, torch: str, cuda: str) -> str:
    """The pip line of the `cuda` build, with the driver it needs: this host's was not read."""
    line = _pip_line(inventory, torch, cuda)
    release = release_row(matrix, cuda)
    if release is None:
        return line
    return T(
        "{line} (no driver version was recorded here: CUDA {cuda} builds need NVIDIA driver "
        "{driver} {cite})",
        line=line,
        cuda=_minor(cuda),
        driver=_required(release),
        cite=cite(matrix, release),
    )


def _pip_line(inventory: Inventory, torch: str, cuda: str) -> str:
    """The exact builds (`torch==2.5.1+cu124`), as `fix` names them: a bare `torch==2.5.1`
    is already satisfied by an installed `2.5.1+cpu`, and pip would change nothing."""
    # NOTE: imported here: the Requires-Dist module is not needed for any other verdict.
    from chipdoctor.rules.requirements import exact_builds

    companions = [(c, v) for c in _COMPANIONS if (v := inventory.version(c))]
    return exact_builds(torch, cuda_tag(cuda), companions)


def _driver_text(inventory: Inventory) -> str:
    driver = inventory.version("nvidia_driver")
    api = inventory.version("cuda_driver_api")
    if api:
        return T("driver {driver} (supports CUDA up to {api})", driver=driver, api=api)
    if driver:
        return T("driver {driver}", driver=driver)
    return T("driver version not recorded")


def _torch_vs_driver(inventory: Inventory, matrix: Matrix, torch: str, cuda: str) -> list[Finding]:
    driver = inventory.version("nvidia_driver")
    if not driver or _parse(driver) is None:
        return []
    compat = _compat_row(matrix, cuda)
    release = release_row(matrix, cuda)
    if compat is None and release is None:
        return [_torch_cuda_not_in_matrix(inventory, torch, cuda)]
    gate = compat or release
    assert gate is not None
    if not _at_least(driver, gate.first("nvidia_driver")):
        return [_driver_too_old(inventory, matrix, torch, cuda, gate)]
    if (
        release is not None
        and compat is not None
        and not _at_least(driver, release.first("nvidia_driver"))
    ):
        return [_torch_minor_version_compatible(inventory, matrix, torch, cuda)]
    return []


def _torch_cuda_not_in_matrix(inventory: Inventory, torch: str, cuda: str) -> Finding:
    return _finding(
        "unknown-combination",
        Severity.WARNING,
        ("torch", "nvidia_driver"),
        T(
            "torch {torch} is built for CUDA {cuda}, for which the matrix has no minimum "
            "driver, so {driver} cannot be checked against it.",
            torch=torch,
            cuda=cuda,
            driver=_driver_text(inventory),
        ),
        T(
            "If this is a site build, describe it in a --matrix file; otherwise install a "
            "published torch build from {index}/.",
            index=WHEEL_INDEX,
        ),
    )


def _torch_minor_version_compatible(
    inventory: Inventory, matrix: Matrix, torch: str, cuda: str
) -> Finding:
    """The driver is below the one CUDA is released with but meets the minor-version minimum."""
    compat = _compat_row(matrix, cuda)
    release = release_row(matrix, cuda)
    assert compat is not None and release is not None
    return _finding(
        "torch-driver",
        Severity.WARNING,
        ("torch", "nvidia_driver"),
        T(
            "torch {torch} is built for CUDA {cuda}; NVIDIA releases CUDA {minor} with "
            "driver {release_driver} {release_cite}, and this host has {driver}. It runs "
            "under CUDA minor-version compatibility (driver {compat_driver} for CUDA "
            "{major}.x {compat_cite}), but features that need a newer driver fail, and "
            "kernels shipped only as PTX cannot be JIT-compiled.",
            torch=torch,
            cuda=cuda,
            minor=_minor(cuda),
            release_driver=_required(release),
            release_cite=cite(matrix, release),
            driver=_driver_text(inventory),
            compat_driver=compat.first("nvidia_driver"),
            major=_major(cuda),
            compat_cite=cite(matrix, compat),
        ),
        T(
            "Ask the administrator for NVIDIA driver {version} or newer ({url}).",
            version=_wanted(release),
            url=facts.DRIVER_DOWNLOAD,
        ),
    )


def _driver_too_old(
    inventory: Inventory, matrix: Matrix, torch: str, cuda: str, gate: Row
) -> Finding:
    major = _major(cuda)
    release = release_row(matrix, cuda)
    wanted = _wanted(release) if release is not None else _wanted(gate)
    fixes: list[str] = [
        T(
            "Ask the administrator for NVIDIA driver {wanted} or newer (released with CUDA "
            "{minor}; any driver {gate} runs CUDA {major}.x wheels) ({url}).",
            wanted=wanted,
            minor=_minor(cuda),
            gate=gate.first("nvidia_driver"),
            major=major,
            url=facts.DRIVER_DOWNLOAD,
        )
    ]
    variants = [r for r in _variants(inventory, matrix, torch) if r.first("cuda") != cuda]
    if variants:
        fixes.append(
            T(
                "or install the torch build for a CUDA this driver runs: {line}",
                line=_pip_line(inventory, torch, variants[0].first("cuda")),
            )
        )
    return _finding(
        "torch-driver",
        Severity.ERROR,
        ("torch", "nvidia_driver"),
        T(
            "torch {torch} is built for CUDA {cuda}, which needs NVIDIA driver {gate} {cite}; this "
            "host has {driver}, so torch.cuda.is_available() is False ('The NVIDIA driver on your "
            "system is too old').",
            torch=torch,
            cuda=cuda,
            gate=_required(gate),
            cite=cite(matrix, gate),
            driver=_driver_text(inventory),
        ),
        join(fixes),
    )


def _cpu_torch(inventory: Inventory, matrix: Matrix, torch: str) -> list[Finding]:
    has_gpu = inventory.version("nvidia_driver") or any(
        d.stack == "cuda" for d in inventory.devices
    )
    if not has_gpu:
        return []
    extension = inventory.facts.get(facts.FACT_OTHER_EXTENSION)
    if extension:
        return [
            _finding(
                "torch-cpu-build",
                Severity.INFO,
                ("torch",),
                T(
                    "torch {torch} is a CPU build, as {extension} expects; this environment does "
                    "not use the NVIDIA GPU.",
                    torch=torch,
                    extension=extension,
                ),
            )
        ]
    variants = _variants(inventory, matrix, torch)
    unknown = not inventory.version("nvidia_driver") and not inventory.version("cuda_driver_api")
    newest = _newest_variant(matrix, torch) if unknown else None
    if variants:
        fix = _pip_line(inventory, torch, variants[0].first("cuda"))
    elif newest is not None:
        fix = _for_unknown_driver(inventory, matrix, torch, newest.first("cuda"))
    else:
        api = inventory.version("cuda_driver_api")
        where = {"index": WHEEL_INDEX, "release": release_of(torch), "url": facts.DRIVER_DOWNLOAD}
        fix = (
            T(
                "Install a CUDA build of torch for CUDA {api} or older from {index}/ (torch "
                "{release} has no CUDA variant in the matrix that this driver runs), or a newer "
                "driver ({url}).",
                api=api,
                **where,
            )
            if api
            else T(
                "Install a CUDA build of torch from {index}/ (torch {release} has no CUDA variant "
                "in the matrix that this driver runs), or a newer driver ({url}).",
                **where,
            )
        )
    symptom = inventory.symptom(TORCH_NOT_CUDA)
    message = (
        T(
            "torch {torch} is a CPU-only build ({logged}): torch cannot use the GPU on this "
            "host ({driver}); torch.cuda.is_available() is False.",
            torch=torch,
            logged=logged(symptom),
            driver=_driver_text(inventory),
        )
        if symptom is not None
        else T(
            "torch {torch} is a CPU-only build: torch cannot use the GPU on this host "
            "({driver}); torch.cuda.is_available() is False.",
            torch=torch,
            driver=_driver_text(inventory),
        )
    )
    return [_finding("torch-cpu-build", Severity.ERROR, ("torch", "nvidia_driver"), message, fix)]


def _cudnn_vs_torch(inventory: Inventory, matrix: Matrix, torch: str, cuda: str) -> list[Finding]:
    """A pip cuDNN of another major than the one PyTorch lists for this build."""
    component = inventory.component("cudnn")
    if component is None or not component.source.startswith("package metadata"):
        return []
    rows = [
        r
        for r in matrix.table("torch_cuda").lookup(release_of(torch))
        if r.matches("cuda", cuda) and r.patterns("cudnn")
    ]
    if not rows or rows[0].first("cudnn").split(".")[0] == component.version.split(".")[0]:
        return []
    row = rows[0]
    package = component.source.rsplit(" ", 1)[-1]
    return [
        _finding(
            "cudnn-torch",
            Severity.WARNING,
            ("cudnn", "torch"),
            T(
                "{package} {version} is installed, but PyTorch builds torch {release} for CUDA "
                "{cuda} with cuDNN {cudnn} {cite}; another cuDNN major may not load.",
                package=package,
                version=component.version,
                release=release_of(torch),
                cuda=cuda,
                cudnn=row.first("cudnn"),
                cite=cite(matrix, row),
            ),
            pip_install(f"{package}=={row.first('cudnn')}"),
        )
    ]


def _toolkit_vs_driver(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    toolkit = inventory.version("cuda")
    driver = inventory.version("nvidia_driver")
    api = inventory.version("cuda_driver_api")
    if not toolkit or not driver or _parse(driver) is None:
        return []
    compat = _compat_row(matrix, toolkit)
    release = release_row(matrix, toolkit)
    if release is None:
        return [_toolkit_not_in_matrix(inventory, toolkit)]
    if api and _not_newer(toolkit, api):
        return []
    if not api and _at_least(driver, release.first("nvidia_driver")):
        return []
    pair = _ToolkitDriver(inventory, matrix, toolkit, release, _newer_driver_fix(api, release))
    if compat is not None and _at_least(driver, compat.first("nvidia_driver")):
        return [pair.minor_version_compatible(compat)]
    return [pair.insufficient(compat or release)]


def _toolkit_not_in_matrix(inventory: Inventory, toolkit: str) -> Finding:
    return _finding(
        "unknown-combination",
        Severity.WARNING,
        ("cuda", "nvidia_driver"),
        T(
            "CUDA toolkit {toolkit} is not in the matrix, so its pairing with {driver} "
            "cannot be checked.",
            toolkit=toolkit,
            driver=_driver_text(inventory),
        ),
        T(
            "Describe this toolkit in a --matrix file, or install a released toolkit ({url}).",
            url=TOOLKIT_ARCHIVE,
        ),
    )


def _newer_driver_fix(api: str | None, release: Row) -> str:
    """A driver the toolkit is released with, or a toolkit no newer than the driver's API."""
    older = (
        T("CUDA toolkit {api} or older ({url})", api=api, url=TOOLKIT_ARCHIVE)
        if api
        else TOOLKIT_ARCHIVE
    )
    return T(
        "Ask the administrator for NVIDIA driver {version} or newer ({url}), or install {older}.",
        version=_wanted(release),
        url=facts.DRIVER_DOWNLOAD,
        older=older,
    )


@dataclass(frozen=True)
class _ToolkitDriver:
    """A CUDA toolkit newer than the driver: the two verdicts, and the fix they share."""

    inventory: Inventory
    matrix: Matrix
    toolkit: str
    release: Row
    fix: str

    def minor_version_compatible(self, compat: Row) -> Finding:
        """The driver meets the minor-version compatibility minimum: a warning."""
        return _finding(
            "toolkit-driver",
            Severity.WARNING,
            ("cuda", "nvidia_driver"),
            T(
                "CUDA toolkit {toolkit} is newer than {driver}: NVIDIA releases it with "
                "driver {release_driver} {release_cite}. Programs built with it run under "
                "minor-version compatibility {compat_cite}, but PTX it produces cannot be "
                "JIT-compiled by this driver and features that need a newer driver fail.",
                toolkit=self.toolkit,
                driver=_driver_text(self.inventory),
                release_driver=_required(self.release),
                release_cite=cite(self.matrix, self.release),
                compat_cite=cite(self.matrix, compat),
            ),
            self.fix,
        )

    def insufficient(self, gate: Row) -> Finding:
        """The driver is below `gate`'s minimum: programs built with the toolkit fail."""
        return _finding(
            "toolkit-driver",
            Severity.ERROR,
            ("cuda", "nvidia_driver"),
            T(
                "CUDA toolkit {toolkit} needs NVIDIA driver {gate} {cite}, but this host has "
                "{driver}: programs and PyTorch extensions built with it fail with 'CUDA driver "
                "version is insufficient for CUDA runtime version'.",
                toolkit=self.toolkit,
                gate=_required(gate),
                cite=cite(self.matrix, gate),
                driver=_driver_text(self.inventory),
            ),
            self.fix,
        )


def gpu_capabilities(inventory: Inventory) -> dict[int, Capability]:
    """Each GPU's compute capability the probe found, by index."""
    found: dict[int, Capability] = {}
    for key, value in inventory.facts.items():
        if key.startswith(facts.FACT_CAPABILITY) and key[len(facts.FACT_CAPABILITY) :].isdigit():
            capability = parse_capability(value)
            if capability is not None:
                found[int(key[len(facts.FACT_CAPABILITY) :])] = capability
    return dict(sorted(found.items()))


def _read_code(inventory: Inventory) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(cubins, PTX) the probe read from the installed torch's library; None where not read."""
    if not inventory.facts.get(facts.FACT_TORCH_LIBRARY):
        return None
    native = inventory.facts.get(facts.FACT_TORCH_NATIVE, "")
    return tuple(native.split()), tuple(inventory.facts.get(facts.FACT_TORCH_PORTABLE, "").split())


def _carried(inventory: Inventory, torch: str, cuda: str) -> tuple[str, str] | None:
    """(the architectures the installed torch carries, where that was read), if known."""
    code = _read_code(inventory)
    if code is not None:
        return " ".join(code[0] + code[1]), inventory.facts[facts.FACT_TORCH_LIBRARY]
    listed = published(release_of(torch), cuda)
    if listed is not None:
        return " ".join(listed.native + listed.portable), listed.source
    return None


def _installed_runs(inventory: Inventory, torch: str, cuda: str, capability: Capability) -> bool:
    code = _read_code(inventory)
    if code is not None:
        return runs(capability, *code)
    return build_runs(release_of(torch), cuda, capability) is not False


def _releases(matrix: Matrix) -> list[str]:
    """Every torch release the `torch_cuda` table names (`2.7.*` stands for 2.7.0), newest first."""
    found: set[str] = set()
    for row in matrix.table("torch_cuda").rows:
        for pattern in row.patterns("torch"):
            text = pattern[:-2] + ".0" if pattern.endswith(".*") else pattern
            try:
                PEP440.parse(text)
            except InvalidVersion:
                continue
            found.add(text)
    return sorted(found, key=PEP440.parse, reverse=True)


def arch_build(
    inventory: Inventory, matrix: Matrix, torch: str, capabilities: dict[int, Capability]
) -> tuple[str, str] | None:
    """(release, CUDA) of the nearest PyTorch wheel whose CUDA this driver runs and that is not
    known to lack any GPU's architecture (`build_runs`, as `fix`'s `arch_filter` judges), ranked
    as the resolver ranks them: a variant of the installed release first; else the newest
    release with one the driver fully supports, then the newest it runs under minor-version
    compatibility."""
    installed = release_of(torch)

    known_driver = _parse(inventory.version("nvidia_driver") or "") is not None

    def fitting(release: str) -> list[tuple[str, bool]]:
        # NOTE: an unknown driver constrains nothing (as in `fix`): every variant, newest first.
        rows = (
            _variants(inventory, matrix, release)
            if known_driver
            else sorted(
                matrix.table("torch_cuda").lookup(release),
                key=lambda r: _parse(r.first("cuda")) or parse_vendor("0"),
                reverse=True,
            )
        )
        out = []
        for row in rows:
            cuda = row.first("cuda")
            if all(build_runs(release, cuda, c) is not False for c in capabilities.values()):
                full = _driver_supports(inventory, matrix, cuda)[0] if known_driver else True
                out.append((cuda, full))
        return list(dict.fromkeys(out))

    mine = fitting(installed)
    if mine:
        fully = [cuda for cuda, full in mine if full]
        return installed, (fully or [mine[0][0]])[0]
    others = [(r, fitting(r)) for r in _releases(matrix) if r != installed]
    for want_full in (True, False):
        for release, variants in others:
            for cuda, full in variants:
                if full or not want_full:
                    return release, cuda
    return None


def _plain(inventory: Inventory, torch: str) -> bool:
    """A torch whose build nothing recorded says: no local tag, no version.py, no default build
    known for the platform (a report that pasted only `torch 1.4.0`). PyTorch's CUDA wheels of
    1.x are Linux x86_64 ones; another recorded machine is not judged by their lists."""
    machine = (inventory.version("arch") or "x86_64").lower()
    return (
        "+" not in torch
        and not inventory.facts.get(FACT_TORCH_HIP)
        and machine in {"x86_64", "amd64"}
    )


def _missing(
    inventory: Inventory, torch: str, capabilities: dict[int, Capability]
) -> dict[int, Capability]:
    """The GPUs the installed torch runs no kernel on: by what its build carries where the build
    is known, else (a plain version) where every CUDA variant of its release lacks them."""
    kind, cuda = _torch_build(inventory, torch)
    if kind == "cuda" and cuda:
        return {
            index: capability
            for index, capability in capabilities.items()
            if not _installed_runs(inventory, torch, cuda, capability)
        }
    if kind != "other" or not _plain(inventory, torch):
        return {}
    return {
        index: capability
        for index, capability in capabilities.items()
        if release_lacks(torch, capability) is not None
    }


def _torch_vs_gpu_arch(
    inventory: Inventory, matrix: Matrix, torch: str, cuda: str | None
) -> list[Finding]:
    """GPUs the installed build carries no kernel for: 'no kernel image is available'."""
    capabilities = gpu_capabilities(inventory)
    missing = _missing(inventory, torch, capabilities)
    if not missing:
        return []
    names = {d.index: d.name for d in inventory.devices if d.stack == "cuda"}
    gpus = join(
        [
            T(
                "GPU {index} ({name}, compute capability {capability}, {sm})",
                index=index,
                name=names.get(index, "?"),
                capability=capability_text(capability),
                sm=sm_name(capability),
            )
            for index, capability in missing.items()
        ],
        ", ",
    )
    first = next(iter(missing.values()))
    carried = _carried(inventory, torch, cuda) if cuda is not None else None
    if cuda is None:
        what = T(
            "torch {torch} has no build tag and its CUDA variant was not recorded, but no CUDA "
            "variant of PyTorch's Linux wheels of {release} carries kernels for it ({source})",
            torch=torch,
            release=release_of(torch),
            source=release_lacks(torch, first) or "-",
        )
    elif carried is not None:
        what = T(
            "torch {torch} carries kernels for {archs} only (read from {source})",
            torch=torch,
            archs=carried[0] or "-",
            source=carried[1],
        )
    else:
        what = T(
            "torch {torch} is built with CUDA {cuda}, whose compiler produces no kernels for "
            "it, and PyTorch's wheels for it carry no PTX",
            torch=torch,
            cuda=cuda,
        )
    found = arch_build(inventory, matrix, torch, capabilities)
    if found is not None:
        fix = _pip_line(inventory, found[0], found[1])
    else:
        newest = max(missing.values())
        fix = T(
            "No PyTorch wheel in the matrix carries kernels for compute capability {capability} "
            "and runs on this driver; upgrade the driver ({url}) or build torch with "
            "TORCH_CUDA_ARCH_LIST={capability}.",
            capability=capability_text(newest),
            url=facts.DRIVER_DOWNLOAD,
        )
    return [
        _finding(
            "torch-gpu-arch",
            Severity.ERROR,
            ("torch", "nvidia_driver"),
            T(
                "{gpus}: {what}, so CUDA work on it fails with 'no kernel image is available "
                "for execution on the device' (PyTorch warns '{sm} is not compatible with the "
                "current PyTorch installation').",
                gpus=gpus,
                what=what,
                sm=sm_name(first),
            ),
            fix,
        )
    ]


def arch_filter(inventory: Inventory) -> Callable[[Mapping[str, str]], bool] | None:
    """For `fix`: a target's torch wheel must run on every GPU, as `check` judges it (the
    installed build by what it carries, another by its published architectures)."""
    capabilities = gpu_capabilities(inventory)
    if not capabilities:
        return None
    installed = inventory.version("torch")
    # NOTE: judged once here, not once per target `fix` weighs: the inventory does not change.
    installed_runs = installed is not None and not _missing(inventory, installed, capabilities)

    def carries(target: Mapping[str, str]) -> bool:
        torch = target.get("torch")
        if not torch:
            return True
        if torch == installed:
            return installed_runs
        cuda = torch_cuda_tag(torch)
        if cuda is None:
            return True
        return all(
            build_runs(release_of(torch), cuda, c) is not False for c in capabilities.values()
        )

    return carries
