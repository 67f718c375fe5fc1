"""Hygon DCU steps: the driver to ask the administrator for, the DTK release to install, then
the DAS torch wheel, installed with `--no-deps` so pip cannot pull an NVIDIA torch from PyPI in
its place (the rules' own install line, `chipdoctor.stacks.dcu.rules`).

Names and places are Hygon's (docs/stacks/dcu.md; shared/reference/other-stacks.md §B): the
driver is a `rock-*.run` installer from the SourceFind driver directory; DTK is a
`DTK-<version>-<OS>-<arch>.tar.gz` tarball that extracts to /opt/dtk-<version>, which /opt/dtk
links to; the torch wheels sit in the DAS directories of the SourceFind download site.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from chipdoctor.fix.common import finish, pip_steps, python_step
from chipdoctor.fix.plan import PipInstall, Plan, Step
from chipdoctor.i18n import T
from chipdoctor.matrix.model import Matrix
from chipdoctor.model import Inventory
from chipdoctor.rules.common import release_of
from chipdoctor.stacks._hip.rocm_versions import dtk_from_torch, major_minor
from chipdoctor.stacks.dcu.resolve import DRIVER, torch_build
from chipdoctor.stacks.dcu.rules import DAS_SITE, DRIVER_SITE, DTK_SITE, das_wheel_url
from chipdoctor.versions import InvalidVersion, parse_vendor

# NOTE: `DTK-26.04-Ubuntu22.04-x86_64.tar.gz` extracts to /opt/dtk-26.04, whose env.sh must be
# sourced (flagos-ai/build-infra base/hygon-dtk26.04); `tar xvf DTK-24.04.1-CentOS7.6-x86_64.tar.gz
# -C /opt; ln -s /opt/dtk-24.04.1 /opt/dtk` (other-stacks.md §B.4).
DTK_PACKAGE = "DTK-{dtk}-{os}-{arch}.tar.gz"
DTK_HOME = "/opt/dtk"


def steps(plan: Plan, inventory: Inventory) -> list[Step]:
    out: list[Step] = []
    driver = plan.target(DRIVER)
    if driver and plan.changed(DRIVER):
        # NOTE: the driver is Hygon's rock-*.run installer, followed by `systemctl restart
        # hymgr` (docs/stacks/dcu.md, the fix of dcu.hy-smi-failed).
        out.append(
            Step(
                "admin",
                T(
                    "Ask the administrator for Hygon driver {driver} or newer (the rock-*.run "
                    "installer from {url}, then `systemctl restart hymgr`)",
                    driver=driver,
                    url=DRIVER_SITE,
                ),
                (),
                plan.resolution.reasons.get(DRIVER, ""),
            )
        )
    dtk = plan.target("dtk")
    if dtk and plan.changed("dtk"):
        out.append(_toolkit_step(plan, dtk, inventory))
    out += python_step(plan, "~/venv-dcu")
    out += pip_steps(plan, pip_installs(plan, inventory))
    return finish(out)


def _toolkit_step(plan: Plan, dtk: str, inventory: Inventory) -> Step:
    package = DTK_PACKAGE.format(dtk=dtk, os=_os_name(inventory), arch=_arch(inventory))
    return Step(
        "toolkit",
        T(
            "Install DTK {dtk}: download {package} from {url}",
            dtk=dtk,
            package=package,
            url=DTK_SITE,
        ),
        (
            f"tar -xzf {package} -C /opt",
            f"ln -sfn /opt/dtk-{dtk} {DTK_HOME}",
            f"source {DTK_HOME}/env.sh",
        ),
        plan.resolution.reasons.get("dtk", ""),
    )


def _os_name(inventory: Inventory) -> str:
    """The OS as DTK tarballs spell it (`Ubuntu22.04`); a placeholder for others, whose
    spelling (`CentOS7.6`) the os-release version does not give."""
    match = re.match(r"^Ubuntu (\d+\.\d+)", inventory.version("os") or "")
    return f"Ubuntu{match.group(1)}" if match else "<os>"


def _arch(inventory: Inventory) -> str:
    return inventory.version("arch") or "<arch>"


@lru_cache(maxsize=1)
def _matrix() -> Matrix:
    """The bundled DCU matrix: where each DAS build is published (its `branch` directory)."""
    from chipdoctor.matrix.load import load_matrices

    return load_matrices().get("dcu")


def pip_installs(plan: Plan, inventory: Inventory) -> list[PipInstall]:
    """The DAS torch wheel: its URL for DAS 1.2 and later, else the wheel file to download from
    its DAS directory (older batches name their wheels differently)."""
    torch = plan.target("torch")
    if not torch:
        return []
    python = plan.target("python")
    build = torch_build(_matrix(), torch, plan.target("dtk"))
    row = build.row_for(python) if build is not None else None
    built_for = (build.dtk if build is not None else None) or dtk_from_torch(torch) or ""
    note = T("Hygon's build for DTK {dtk}", dtk=built_for)
    if row is not None and row.first("torch") == torch:
        url = das_wheel_url(row, python)
        if url:
            return [PipInstall("torch", "torch", torch, wheel=url, no_deps=True, note=note)]
    tag = "cp" + (major_minor(python or "") or "3").replace(".", "")
    local = "" if "+" in torch else "+*"
    if row is not None:
        note = T(
            "Hygon's build for DTK {dtk}, in directory pytorch/{directory}",
            dtk=built_for,
            directory=row.extra.get("branch", ""),
        )
    return [
        PipInstall(
            "torch",
            "torch",
            torch,
            wheel=f"torch-{torch}{local}-{tag}-{tag}-*.whl",
            download=DAS_SITE,
            no_deps=True,
            note=note,
        )
    ]


def image_view(target: Mapping[str, str]) -> Mapping[str, str]:
    """The target as the image fields: the SourceFind pytorch images hold the DAS build of their
    torch release for their own DTK, so torch maps to its release only when it is built for the
    target's DTK (else no image has it)."""
    view = dict(target)
    torch, dtk = target.get("torch"), target.get("dtk")
    built_for = dtk_from_torch(torch) if torch else None
    if torch and dtk and built_for and _same_dtk(built_for, dtk):
        view["torch"] = release_of(torch)
    else:
        view.pop("torch", None)
    return view


def _same_dtk(a: str, b: str) -> bool:
    try:
        return parse_vendor(a) == parse_vendor(b)
    except InvalidVersion:
        return a == b
