"""AMD ROCm verdicts: the torch build against the installed ROCm and the amdgpu driver.

Severity follows what is known to fail: a torch that is not a ROCm build cannot use the GPU
(error); a ROCm wheel built for another ROCm release than /opt/rocm is a warning, because
PyTorch's ROCm wheels bundle their ROCm runtime and the pairing merely differs from the
published one. AMD publishes kernel-driver support in package releases that chipdoctor cannot
read from a host (docs/stacks/rocm.md), so there is no driver rule.
"""

from __future__ import annotations

from functools import partial

from packaging.version import InvalidVersion, Version

from chipdoctor.i18n import T
from chipdoctor.matrix.model import Matrix, Row
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.rules.common import cite, newest_row, pip_install, release_of, stack_finding
from chipdoctor.stacks._hip.archs import lacks, torch_vs_targets
from chipdoctor.stacks._hip.rocm_versions import major_minor
from chipdoctor.stacks._hip.rules import CPU, CUDA, DTK, ROCM, TorchBuild, classify_torch
from chipdoctor.stacks.rocm import facts
from chipdoctor.torchwheels import wheel_source

TABLE = "torch_rocm"


def evaluate(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    torch = inventory.version("torch")
    rocm = inventory.version("rocm")
    if torch is None:
        return [
            _finding(
                "no-torch",
                Severity.INFO,
                ("torch", "rocm"),
                T("This is a ROCm host but torch is not installed."),
                _install_line(None, rocm, matrix),
            )
        ]
    build = classify_torch(torch, inventory.facts)
    if build.kind == ROCM:
        lacking = lacks(inventory, torch)
        better = _carrying_line(inventory, matrix) if lacking else None
        found = _torch_vs_rocm(torch, build.target, rocm, build.evidence, matrix)
        if not matrix.table(TABLE).lookup(release_of(torch)):
            # NOTE: a GPU the torch carries no code for rules out any wheel not known to carry it
            install = better if lacking else _install_line(None, rocm, matrix)
            found.insert(0, _unknown(torch, install))
        return found + torch_vs_targets(inventory, "rocm", torch, better)
    if build.kind in (CPU, CUDA, DTK):
        return [_not_rocm(inventory, torch, build, rocm, matrix)]
    return []


_finding = partial(stack_finding, stack="rocm")


def _variant_for(row: Row, rocm: str | None) -> str | None:
    """The row's wheel variant built for `rocm` (same release line), or None."""
    if rocm is None:
        return None
    wanted = major_minor(rocm)
    for variant in row.patterns("rocm"):
        if major_minor(variant) == wanted and row.matches("rocm", rocm):
            return variant
    for variant in row.patterns("rocm"):
        if major_minor(variant) == wanted:
            return variant
    return None


def _pip(torch: str, variant: str) -> str:
    # NOTE: the local tag makes pip replace an installed torch of the same release (a plain
    # `torch==2.6.0` is already satisfied by 2.6.0+cpu); wheels are tagged +rocm<variant>.
    spec = f"torch=={torch}" if "*" in torch else f"torch=={torch}+rocm{variant}"
    return pip_install(spec, index_url=wheel_source(torch, f"rocm{variant}"))


def _install_line(torch: str | None, rocm: str | None, matrix: Matrix) -> str:
    """The pip line for a ROCm build of `torch` (or the newest release) for the installed ROCm."""
    table = matrix.table(TABLE)
    if torch is not None:
        for row in table.lookup(release_of(torch)):
            variant = _variant_for(row, rocm) or (None if rocm else row.patterns("rocm")[-1])
            if variant:
                return _pip(release_of(torch), variant)
    fitting = [row for row in table.rows if rocm is None or _variant_for(row, rocm)]
    # The smallest upgrade: the oldest release from the installed one on, else the newest.
    later = [row for row in fitting if torch is not None and _not_older(row, torch)]
    later.sort(key=lambda row: Version(_bare_release(row.first("torch"))))
    best = later[0] if later else newest_row(fitting, "torch")
    if best is None:
        return T(
            "No PyTorch ROCm wheel in the matrix is built for ROCm {rocm}; install a ROCm "
            "release that download.pytorch.org publishes wheels for.",
            rocm=rocm,
        )
    variant = _variant_for(best, rocm) or best.patterns("rocm")[-1]
    return _pip(best.first("torch"), variant)


def _carrying_line(inventory: Inventory, matrix: Matrix) -> str | None:
    """The pip line of the wheel `fix` plans for a GPU the installed torch lacks code objects
    for (its target filter takes only a wheel known to carry every GPU's target), if any."""
    from chipdoctor.resolve.core import planned_target  # the resolver: only for this finding

    torch = (planned_target("rocm", inventory, matrix) or {}).get("torch", "")
    release, _, variant = torch.partition("+rocm")
    if not variant or torch == inventory.version("torch"):
        return None
    return _pip(release, variant)


def _not_older(row: Row, torch: str) -> bool:
    try:
        return Version(_bare_release(row.first("torch"))) >= Version(release_of(torch))
    except InvalidVersion:
        return False


def _bare_release(pattern: str) -> str:
    return pattern[:-2] if pattern.endswith(".*") else pattern


def _unknown(torch: str, install: str | None) -> Finding:
    """A torch release the matrix does not list; `install`: the published wheel to offer, None
    where none is known to run on this machine's GPUs."""
    return _finding(
        "unknown-combination",
        Severity.WARNING,
        ("torch", "rocm"),
        T(
            "torch {torch} is not in the ROCm matrix, so its ROCm build cannot be checked "
            "against the published wheels.",
            torch=torch,
        ),
        T(
            "If this is a site build, describe it in a --matrix file; otherwise install a "
            "published release: {line}",
            line=install,
        )
        if install
        else T(
            "If this is a site build, describe it in a --matrix file; no published wheel is "
            "known to carry this machine's GPU targets (see rocm.torch-gpu-arch)."
        ),
    )


def _torch_vs_rocm(
    torch: str, built_for: str | None, rocm: str | None, evidence: str, matrix: Matrix
) -> list[Finding]:
    rows = matrix.table(TABLE).lookup(release_of(torch))
    out: list[Finding] = []
    if rocm is None or built_for is None or major_minor(built_for) == major_minor(rocm):
        return out
    about = {"torch": torch, "built_for": built_for, "evidence": evidence, "rocm": rocm}
    out.append(
        _finding(
            "torch-rocm",
            Severity.WARNING,
            ("torch", "rocm"),
            T(
                "torch {torch} is built for ROCm {built_for} ({evidence}) but ROCm {rocm} is "
                "installed. The wheel bundles its own ROCm runtime, so it may run, but extensions "
                "built against /opt/rocm and the kernel driver are matched to ROCm {rocm} {cite}.",
                cite=cite(matrix, rows[0]),
                **about,
            )
            if rows
            else T(
                "torch {torch} is built for ROCm {built_for} ({evidence}) but ROCm {rocm} is "
                "installed. The wheel bundles its own ROCm runtime, so it may run, but extensions "
                "built against /opt/rocm and the kernel driver are matched to ROCm {rocm}.",
                **about,
            ),
            _install_line(torch, rocm, matrix),
        )
    )
    return out


def _not_rocm(
    inventory: Inventory, torch: str, build: TorchBuild, rocm: str | None, matrix: Matrix
) -> Finding:
    # NOTE: with ROCm installed or its tools present the user means to use the GPU: error. With
    # only the kernel driver (an AMD desktop GPU) a CPU torch may be deliberate: warning.
    userspace = rocm is not None or facts.FACT_TOOLS in inventory.facts
    what = {
        CPU: T("a CPU-only build"),
        CUDA: T("an NVIDIA CUDA build"),
        DTK: T("a Hygon DTK build, which runs only on Hygon DCUs"),
    }[build.kind]
    return _finding(
        "torch-not-rocm",
        Severity.ERROR if userspace else Severity.WARNING,
        ("torch", "rocm" if rocm else "amdgpu_driver"),
        T(
            "torch {torch} is {what} ({evidence}), so it cannot use the AMD GPU: "
            "torch.cuda.is_available() is False.",
            torch=torch,
            what=what,
            evidence=build.evidence,
        ),
        _install_line(torch, rocm, matrix),
    )
