"""Cambricon steps: the MLU driver to ask for, the Neuware SDK (CNToolkit, CNNL, CNCL) to install,
the torch wheel and the torch_mlu wheel.

torch_mlu is on no package index: its wheel ships with the Cambricon SDK and the Cambricon PyTorch
container. torch comes from PyTorch's CPU index from 2.4 on and from Cambricon's own wheel before
(rules.py here, after the torch_mlu README).
"""

from __future__ import annotations

from collections.abc import Mapping

from chipdoctor.fix.common import finish, pip_steps, python_step
from chipdoctor.fix.plan import PipInstall, Plan, Step
from chipdoctor.i18n import T
from chipdoctor.model import Inventory
from chipdoctor.rules.common import TORCH_CPU_INDEX, release_of
from chipdoctor.stacks.cambricon.neuware import parse_torch_mlu_version
from chipdoctor.stacks.cambricon.rules import CPU_WHEELS_FROM, SDK, major_minor, wheel_tags

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
    toolkit = [c for c in SDK_NAMES if plan.target(c) and plan.changed(c)]
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
    """torch, then torch_mlu: both wheel files from the SDK, or torch from PyTorch's CPU index."""
    python, arch = wheel_tags(inventory)
    wanted = plan.target("python")
    if wanted:
        python = "cp" + "".join(wanted.split(".")[:2])
    out = []
    torch = plan.target("torch")
    if torch:
        release = release_of(torch)
        if major_minor(release) >= CPU_WHEELS_FROM:
            out.append(
                PipInstall(
                    "torch",
                    "torch",
                    _cpu_build(torch, arch),
                    index_url=TORCH_CPU_INDEX,
                    note=T("the CPU build torch_mlu runs on"),
                )
            )
        else:
            wheel = f"torch-{release}-{python}-{python}-linux_{arch}.whl"
            out.append(
                PipInstall(
                    "torch",
                    "torch",
                    release,
                    wheel=wheel,
                    download=SDK,
                    note=T(
                        "Cambricon's own PyTorch wheel, which the torch_mlu README requires for "
                        "PyTorch 2.1 and 2.3"
                    ),
                )
            )
    torch_mlu = plan.target("torch_mlu")
    if torch_mlu:
        wheel = f"torch_mlu-{torch_mlu}-{python}-{python}-linux_{arch}.whl"
        out.append(PipInstall("torch_mlu", "torch-mlu", torch_mlu, wheel=wheel, download=SDK))
    return out


def _cpu_build(torch: str, arch: str) -> str:
    """The CPU index's build of a release, spelt so pip replaces another build of it.

    A plain `torch==2.4.0` is already met by an installed 2.4.0+cu121, so the x86_64 line pins
    the `+cpu` wheel. NOTE: the index names its x86_64 wheels `torch-2.4.0+cpu-cp310-cp310-
    linux_x86_64.whl` but its aarch64 ones of 2.4 `torch-2.4.0-cp310-cp310-manylinux_2_17_
    aarch64…whl` (Ascend/pytorch README.md, v2.4.0 wheel table); torch_mlu's scripts/version.info
    pins pytorch 2.4.1+cpu (shared/reference/other-stacks.md A.1).
    """
    if "+" in torch or arch != "x86_64":
        return torch
    return f"{torch}+cpu"


def image_view(target: Mapping[str, str]) -> Mapping[str, str]:
    """Cambricon PyTorch image tags name the torch_mlu release without its `+torch` tag
    (`v1.23.1-torch2.4.0-…` holds 1.23.1+torch2.4.0) and the torch release."""
    view = dict(target)
    parsed = parse_torch_mlu_version(target.get("torch_mlu", ""))
    if parsed is not None:
        view["torch_mlu"] = parsed.release
    if "torch" in target:
        view["torch"] = release_of(target["torch"])
    return view
