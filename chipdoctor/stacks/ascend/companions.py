"""The packages a CANN toolkit needs beside it: the operator kernels (ops from CANN 8.5) for
the chip, and NNAL (ATB) where torch_npu runs ATB operators. Judged from the version files
alone (`opp_kernel/version.info`, `ascend_ops_install.info`, `nnal/atb/latest/version.info`),
so a format-1 snapshot is judged like a live host."""

from __future__ import annotations

from functools import partial

from packaging.version import InvalidVersion, Version

from chipdoctor.i18n import T
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.rules.common import compare, logged, release_of, stack_finding
from chipdoctor.stacks.ascend import facts
from chipdoctor.stacks.ascend.packages import arch_of, chip_series, ops_file
from chipdoctor.stacks.ascend.places import places
from chipdoctor.symptoms.kinds import LIBRARY_MISSING

#: torch_npu from which the ATB operators ship in torch_npu (`op_plugin/atb`), per the issue's
#: scope (torch_npu >= 2.1 with an ATB user installed).
_ATB_FROM = Version("2.1")

_finding = partial(stack_finding, stack="ascend")


def install_cann(wanted: str) -> str:
    """The fix that installs a CANN release: its toolkit and its kernels/ops package."""
    return T(
        "Install the CANN {wanted} toolkit and the kernels/ops package for your chip "
        "({url}), then source its set_env.sh.",
        wanted=wanted,
        url=facts.CANN_DOWNLOAD,
    )


def kernels(inventory: Inventory, cann: str) -> list[Finding]:
    """A toolkit without the kernels (ops) package of its own release is an error: operators
    have no kernels to run (`Parse dynamic kernel config fail`, `Op ... does not`...)."""
    installed = inventory.version("cann_kernels")
    if installed is not None and compare("cann", installed, cann) == 0:
        return []
    package = _package(inventory, cann)
    if installed is None:
        message = T(
            "CANN {cann} is installed without its operator kernels package ({package}): "
            "no opp_kernel/version.info or ascend_ops_install.info was found, so operators "
            "fail to find kernels for the NPU.",
            cann=cann,
            package=package,
        )
    else:
        message = T(
            "The operator kernels package is of CANN {kernels}, the toolkit of CANN {cann}: "
            "the two must be the same release (the CANN installer refuses mismatched "
            "sub-packages).",
            kernels=installed,
            cann=cann,
        )
    return [
        _finding(
            "kernels-missing" if installed is None else "kernels-cann",
            Severity.ERROR,
            ("cann", "cann_kernels"),
            message,
            T(
                "Install {package} ({url}) with `--install`, after sourcing the toolkit's "
                "set_env.sh.",
                package=package,
                url=facts.CANN_DOWNLOAD,
            ),
        )
    ]


def nnal(inventory: Inventory, cann: str) -> list[Finding]:
    """NNAL missing where torch_npu runs ATB operators (libatb.so not found), or of another
    CANN release than the toolkit (undefined symbols in libatb / libtbe_adapter)."""
    installed = inventory.version("nnal")
    users = inventory.facts.get(facts.FACT_ATB_USERS, "")
    shown = inventory.symptom(LIBRARY_MISSING, library="libatb.so")
    needed = (bool(users) and _runs_atb(inventory.version("torch_npu"))) or shown is not None
    if installed is not None and compare("cann", installed, cann) == 0:
        return []
    if installed is None and not needed:
        return []
    package = facts.NNAL_PACKAGE.format(version=cann, arch=arch_of(inventory))
    set_env = facts.NNAL_SET_ENV.format(ascend=places(inventory)["ascend"])
    fix = T(
        "Install {package} ({url}) with `--install`, then `source {set_env}`.",
        package=package,
        url=facts.CANN_DOWNLOAD,
        set_env=set_env,
    )
    if installed is None:
        message = (
            T(
                "The job could not load libatb.so ({logged}), and no NNAL, which provides it, "
                "was found (nnal/atb/latest/version.info).",
                logged=logged(shown),
            )
            if shown is not None
            else T(
                "{users} run ATB operators through torch_npu, which need NNAL "
                "(libatb.so), but no NNAL was found (nnal/atb/latest/version.info): "
                "they fail with 'libatb.so: cannot open shared object file'.",
                users=users,
            )
        )
        return [_finding("nnal-missing", Severity.ERROR, ("nnal", "torch_npu"), message, fix)]
    return [
        _finding(
            "nnal-cann",
            Severity.ERROR if needed else Severity.WARNING,
            ("nnal", "cann"),
            T(
                "NNAL {nnal} is not of the toolkit's CANN {cann}: ATB is built against its own "
                "CANN release, and a different one fails with undefined symbols in libatb.so "
                "or libtbe_adapter.so.",
                nnal=installed,
                cann=cann,
            ),
            fix,
        )
    ]


def _runs_atb(torch_npu: str | None) -> bool:
    try:
        return torch_npu is not None and Version(release_of(torch_npu)) >= _ATB_FROM
    except InvalidVersion:
        return False


def _package(inventory: Inventory, cann: str) -> str:
    """The kernels (before CANN 8.5.0) or ops (from 8.5.0) package for this machine's chip."""
    return ops_file(chip_series(inventory) or "<chip>", cann, arch_of(inventory))
