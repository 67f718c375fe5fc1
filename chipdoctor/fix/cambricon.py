"""Cambricon steps: the MLU driver to ask for, the Neuware SDK (CNToolkit, CNNL, CNCL) to install,
the torch wheel and the torch_mlu wheel.

torch_mlu is on no package index: its wheel ships with the Cambricon SDK and the Cambricon PyTorch
container. torch comes from PyTorch's CPU index from 2.4 on and from Cambricon's own wheel before
(rules/cambricon.py, after the torch_mlu README).
"""

from __future__ import annotations

from chipdoctor.fix.common import finish, pip_steps, python_step
from chipdoctor.fix.plan import PipInstall, Plan, Step
from chipdoctor.i18n import T
from chipdoctor.report.model import Inventory
from chipdoctor.rules.cambricon import CPU_WHEELS_FROM, SDK, major_minor, wheel_tags
from chipdoctor.rules.common import TORCH_CPU_INDEX, release_of

#: How the Cambricon SDK names what the component ids stand for.
SDK_NAMES = {"neuware": "CNToolkit", "cnnl": "CNNL", "cncl": "CNCL"}


def steps(plan: Plan, inventory: Inventory) -> list[Step]:
    out: list[Step] = []
    driver = plan.target("cambricon_driver")
    if driver and plan.changed("cambricon_driver"):
        out.append(
            Step(
                "admin",
                T(
                    "Ask the administrator for Cambricon MLU driver {driver} or newer (the "
                    "cambricon-mlu-driver package of the Cambricon SDK, {sdk}), then a reboot",
                    driver=driver,
                    sdk=SDK,
                ),
                (),
                plan.resolution.reasons.get("cambricon_driver", ""),
            )
        )
    toolkit = [c for c in ("neuware", "cnnl", "cncl") if plan.target(c) and plan.changed(c)]
    if toolkit:
        out.append(
            Step(
                "toolkit",
                T(
                    "Install {packages} from the Cambricon SDK ({sdk})",
                    packages=", ".join(f"{SDK_NAMES[c]} {plan.target(c)}" for c in toolkit),
                    sdk=SDK,
                ),
                (),
                plan.resolution.reasons.get(toolkit[0], ""),
            )
        )
    out += python_step(plan, "~/venv-mlu")
    out += pip_steps(plan, pip_installs(plan, inventory))
    return finish(out)


def pip_installs(plan: Plan, inventory: Inventory) -> list[PipInstall]:
    python, arch = wheel_tags(inventory)
    wanted = plan.target("python")
    if wanted:
        python = "cp" + "".join(wanted.split(".")[:2])
    out = []
    torch = plan.target("torch")
    if torch:
        release = release_of(torch)
        if major_minor(release) >= CPU_WHEELS_FROM:
            out.append(PipInstall("torch", "torch", release, index_url=TORCH_CPU_INDEX))
        else:
            wheel = f"torch-{release}-{python}-{python}-linux_{arch}.whl"
            out.append(PipInstall("torch", "torch", release, wheel=wheel, download=SDK))
    torch_mlu = plan.target("torch_mlu")
    if torch_mlu:
        wheel = f"torch_mlu-{torch_mlu}-{python}-{python}-linux_{arch}.whl"
        out.append(PipInstall("torch_mlu", "torch-mlu", torch_mlu, wheel=wheel, download=SDK))
    return out
