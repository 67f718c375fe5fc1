"""AMD ROCm steps: the ROCm user space when the target changes it (AMD's amdgpu-install
repository, then the `rocm` meta package), then the PyTorch wheel from
download.pytorch.org/whl/rocm<variant> (the index of the rules' own install line,
`rules.py` here). The amdgpu kernel driver is never changed (`resolve.py` here).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from chipdoctor.fix.common import finish, pip_steps, python_step
from chipdoctor.fix.plan import PipInstall, Plan, Step
from chipdoctor.i18n import T
from chipdoctor.matrix.model import Matrix
from chipdoctor.model import Inventory
from chipdoctor.rules.common import release_of
from chipdoctor.stacks._hip.rocm_versions import rocm_from_torch
from chipdoctor.stacks.rocm.resolve import DRIVER, amd_release, same_rocm, wheel_for

# NOTE: AMD's installer package sits in repo.radeon.com/amdgpu-install/<release>/ubuntu/<codename>/
# (`wget https://repo.radeon.com/amdgpu-install/6.2/ubuntu/noble/amdgpu-install_6.2.60200-1_all.deb;
# sudo apt install ./amdgpu-install_6.2.60200-1_all.deb; sudo apt update`, ROCm docs-6.2.0
# install/amdgpu-install.html; focal and jammy directories in docs-6.0.2/6.1.1); `rocm` is the
# meta package of "all ROCm core packages, tools, and libraries" (docs-6.4.3 package-manager).
AMDGPU_INSTALL = "https://repo.radeon.com/amdgpu-install/{release}/"
UBUNTU_CODENAMES = {"20.04": "focal", "22.04": "jammy", "24.04": "noble"}
INSTALL_COMMANDS = (
    "sudo apt install ./amdgpu-install_*_all.deb",
    "sudo apt update",
    "sudo apt install rocm",
)
KMD_TABLE = "kmd_userspace"


@lru_cache(maxsize=1)
def _matrix() -> Matrix:
    """The bundled ROCm matrix: which wheel variants download.pytorch.org serves."""
    from chipdoctor.matrix.load import load_matrices

    return load_matrices().get("rocm")


def steps(plan: Plan, inventory: Inventory) -> list[Step]:
    out: list[Step] = []
    rocm = plan.target("rocm")
    if rocm and plan.changed("rocm"):
        out.append(_toolkit_step(plan, rocm, inventory))
    out += python_step(plan, "~/venv-rocm")
    installs = pip_installs(plan, inventory)
    out += pip_steps(plan, installs)
    torch = plan.target("torch")
    if torch and not installs and (plan.changed("torch") or plan.changed("python")):
        out.append(
            Step(
                "pip",
                T(
                    "torch {torch} is AMD's own build, preinstalled in its rocm/pytorch image: "
                    "no pip index in the matrix serves it, so only a recipe on that image "
                    "(--emit-dockerfile) has it",
                    torch=torch,
                ),
                (),
                plan.resolution.reasons.get("torch", ""),
            )
        )
    return finish(out)


def _toolkit_step(plan: Plan, rocm: str, inventory: Inventory) -> Step:
    url = AMDGPU_INSTALL.format(release=amd_release(rocm))
    why = _driver_note(plan, rocm)
    codename = _ubuntu_codename(inventory)
    if codename is None:
        return Step(
            "toolkit",
            T(
                "Install ROCm {rocm}: AMD's installer package for this distribution is under "
                "{url}; then install the `rocm` meta package",
                rocm=rocm,
                url=url,
            ),
            (),
            why,
        )
    return Step(
        "toolkit",
        T(
            "Install ROCm {rocm}: download amdgpu-install_*_all.deb from {url}",
            rocm=rocm,
            url=f"{url}ubuntu/{codename}/",
        ),
        INSTALL_COMMANDS,
        why,
    )


def _ubuntu_codename(inventory: Inventory) -> str | None:
    name, _, version = (inventory.version("os") or "").partition(" ")
    return UBUNTU_CODENAMES.get(version) if name == "Ubuntu" else None


def _driver_note(plan: Plan, rocm: str) -> str:
    """The target's reason, and the kernel drivers AMD lists for this ROCm (not matched to the
    host's module version: no source maps the two)."""
    why = plan.resolution.reasons.get("rocm", "")
    matrix = _matrix()
    rows = [r for r in matrix.table(KMD_TABLE).rows if r.matches("rocm", rocm)]
    if not rows:
        return why
    driver = plan.resolution.current.get(DRIVER) or T("unknown")
    return T(
        "{why}; AMD lists ROCm {rocm} for the kernel drivers {listed} ({cite}), which chipdoctor "
        "cannot match to the amdgpu module version this host shows ({driver}): check the driver "
        "with the administrator",
        why=why,
        rocm=rocm,
        listed=", ".join(r.first("amdgpu_driver") for r in rows),
        cite=matrix.short_origin(rows[0]),
        driver=driver,
    )


def pip_installs(plan: Plan, inventory: Inventory) -> list[PipInstall]:
    """The PyTorch ROCm wheel from its download.pytorch.org index; none for AMD's own build,
    which only its rocm/pytorch image has."""
    torch = plan.target("torch")
    wheel = wheel_for(_matrix(), torch) if torch else None
    if torch is None or wheel is None:
        return []
    return [
        PipInstall(
            "torch",
            "torch",
            torch,
            index_url=wheel.index_url,
            note=T("the PyTorch wheel for ROCm {variant}", variant=wheel.variant),
        )
    ]


def image_view(target: Mapping[str, str]) -> Mapping[str, str]:
    """The target as the rocm/pytorch image fields: ROCm as AMD tags it (`7.2.0` is `rocm7.2`),
    and torch as its release, only when the torch is built for that very ROCm (an image holds
    AMD's build of its torch for its own ROCm; else no image has it)."""
    view = dict(target)
    rocm, torch = target.get("rocm"), target.get("torch")
    built_for = rocm_from_torch(torch) if torch else None
    if rocm:
        view["rocm"] = amd_release(rocm)
    if torch and rocm and built_for and same_rocm(built_for, rocm):
        view["torch"] = release_of(torch)
    else:
        view.pop("torch", None)
    return view
