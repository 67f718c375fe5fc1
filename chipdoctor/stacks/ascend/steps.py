"""Ascend steps: the HDK driver to ask for, the CANN packages to install, the pip lines.

Package names follow the official images (Ascend/cann-container-image Dockerfiles @ c5a67b3):
`Ascend-cann-toolkit_<v>_linux-<arch>.run`, kernels `Ascend-cann-kernels-<chip>_<v>` before
CANN 8.5.0 (`Atlas-A3-cann-kernels_<v>` on A3), the ops package `Ascend-cann-<chip>-ops_<v>`
from 8.5.0 (`Ascend-cann-A3-ops_<v>` on A3), and `Ascend-cann-nnal_<v>`; each installed with
`--install --quiet` (the images add `--install-for-all`).
"""

from __future__ import annotations

from collections.abc import Mapping

from chipdoctor.fix.common import finish, pip_steps, python_step
from chipdoctor.fix.plan import PipInstall, Plan, Step
from chipdoctor.i18n import T
from chipdoctor.model import Inventory
from chipdoctor.recipes.data import wheels
from chipdoctor.stacks.ascend import facts
from chipdoctor.stacks.ascend.packages import arch_of, chip_series, ops_file
from chipdoctor.versions import InvalidVersion, parse_vendor

HDK_PACKAGES = (
    "Ascend-hdk-{chip}-npu-driver_{driver}_linux-{arch}.run",
    "Ascend-hdk-{chip}-npu-firmware_{firmware}.run",
)
SET_ENV = "/usr/local/Ascend/ascend-toolkit/set_env.sh"
NNAL_SET_ENV = "/usr/local/Ascend/nnal/atb/set_env.sh"

FACT_CHIP = "chip"
FACT_ARCH = "arch"


def steps(plan: Plan, inventory: Inventory) -> list[Step]:
    chip = plan.facts.get(FACT_CHIP) or chip_series(inventory) or "<chip>"
    arch = plan.facts.get(FACT_ARCH) or arch_of(inventory)
    out: list[Step] = []
    driver, firmware = plan.target("ascend_driver"), plan.target("ascend_firmware")
    if driver and (plan.changed("ascend_driver") or plan.changed("ascend_firmware")):
        names = [HDK_PACKAGES[0].format(chip=chip, driver=driver, arch=arch)]
        firmware_text = (
            T("firmware {version}", version=firmware)
            if firmware
            else T("the firmware of the same HDK")
        )
        names.append(HDK_PACKAGES[1].format(chip=chip, firmware=firmware or "<version>"))
        out.append(
            Step(
                "admin",
                T(
                    "Ask the administrator for Ascend HDK NPU driver {driver} and {firmware}, "
                    "then a reboot",
                    driver=driver,
                    firmware=firmware_text,
                ),
                tuple(names),
                plan.resolution.reasons.get("ascend_driver", ""),
            )
        )
    cann = plan.target("cann")
    if cann and any(plan.changed(c) for c in ("cann", "cann_kernels", "nnal")):
        out.append(_toolkit_step(plan, cann, chip, arch))
    out += python_step(plan, "~/venv-npu")
    out += pip_steps(plan, pip_installs(plan, inventory))
    return finish(out)


def _toolkit_step(plan: Plan, cann: str, chip: str, arch: str) -> Step:
    packages = [
        f"Ascend-cann-toolkit_{cann}_linux-{arch}.run",
        ops_file(chip, cann, arch),
    ]
    if plan.target("nnal"):
        packages.append(facts.NNAL_PACKAGE.format(version=cann, arch=arch))
    commands = [
        f"bash ./{packages[0]} --install --quiet",
        f"bash ./{packages[1]} --install --quiet",
    ]
    if len(packages) > 2:
        # NOTE: the NNAL installer needs the toolkit's environment (official Dockerfiles).
        commands.append(f". {SET_ENV} && bash ./{packages[2]} --install --quiet")
    commands.append(f"source {SET_ENV}")
    if len(packages) > 2:
        commands.append(f"source {NNAL_SET_ENV}")
    why = plan.resolution.reasons.get("cann", "")
    current = plan.resolution.current.get("cann")
    if current and _crosses_850(current, cann):
        # NOTE: "To upgrade an earlier version to CANN 8.5.0, you must use parameters or uninstall
        # all earlier versions" (CANN 8.5.0 quick start; shared/reference/ascend.md §8).
        why = T(
            "{why}; uninstall the older CANN first (or use the installer's upgrade parameters)",
            why=why,
        )
    return Step(
        "toolkit",
        T(
            "Install CANN {cann}: download {packages} from {url}",
            cann=cann,
            packages=", ".join(packages),
            url=facts.CANN_DOWNLOAD,
        ),
        tuple(commands),
        why,
    )


def _crosses_850(current: str, target: str) -> bool:
    try:
        line = parse_vendor("8.5.0")
        return parse_vendor(current) < line <= parse_vendor(target)
    except InvalidVersion:
        return False


def pip_installs(plan: Plan, inventory: Inventory) -> list[PipInstall]:
    """torch (the CPU build torch_npu runs on), then torch_npu: from PyPI, or its wheel from the
    Ascend release page when PyPI does not have that build."""
    sources = wheels()["ascend"]
    out = []
    torch, torch_npu = plan.target("torch"), plan.target("torch_npu")
    if torch:
        out.append(
            PipInstall(
                "torch",
                "torch",
                torch,
                index_url=sources["torch"].index_url,
                note=T("the CPU build torch_npu runs on"),
            )
        )
    if torch_npu:
        source = sources["torch-npu"]
        wheel = ""
        if not source.on_index(torch_npu):
            python = (plan.target("python") or "3").split(".")
            tag = "cp" + "".join(python[:2])
            wheel = f"torch_npu-{torch_npu}-{tag}-{tag}-*.whl"
        out.append(
            PipInstall(
                "torch_npu",
                "torch-npu",
                torch_npu,
                index_url=source.index_url,
                wheel=wheel,
                download=source.elsewhere if wheel else "",
            )
        )
    return out


def image_view(target: Mapping[str, str]) -> Mapping[str, str]:
    """Ascend's image fields are its component ids."""
    return target
