"""Hygon DCU verdicts: the torch build against the installed DTK, and the driver against DTK.

Severity follows what is known to fail: upstream ROCm, CUDA and CPU wheels cannot use a DCU,
and a DAS wheel built for another DTK release fails at import with `undefined symbol`
(errors); another patch of the same DTK release, and a driver/DTK pairing outside Hygon's
table (which Hygon's own tool reports as a warning), are warnings.
"""

from __future__ import annotations

from functools import partial

from chipdoctor.i18n import T, join
from chipdoctor.matrix.model import Matrix, Row
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.rules.common import cite, newest_row, release_of, same_release, stack_finding
from chipdoctor.stacks._hip.archs import torch_vs_targets
from chipdoctor.stacks._hip.rocm_versions import major_minor
from chipdoctor.stacks._hip.rules import CPU, CUDA, DTK, ROCM, TorchBuild, classify_torch
from chipdoctor.versions import InvalidVersion, VendorVersion, parse_vendor, scheme_for

# NOTE: DAS wheels are served as https://download.sourcefind.cn:65024/file/4/<package>/<DAS
# directory>/<wheel> (sunkeer/L4-workflow-ai install_guide.md); every `+das.optN` torch wheel
# of DAS 1.2 and later is tagged manylinux_2_28_x86_64 (SourceFind DAS index).
DAS_FILES = "https://download.sourcefind.cn:65024/file/4/pytorch"
DAS_PLATFORM = "manylinux_2_28_x86_64"
DAS_SITE = "https://download.sourcefind.cn:65024/4/main/"
DTK_SITE = "https://download.sourcefind.cn:65024/1/main"
DRIVER_SITE = "https://download.sourcefind.cn:65024/6/main"
TORCH_TABLE = "torch_dtk"
DRIVER_TABLE = "driver_dtk"


def evaluate(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    torch = inventory.version("torch")
    dtk = inventory.version("dtk")
    python = inventory.version("python")
    out: list[Finding] = []
    if torch is None:
        out.append(
            _finding(
                "no-torch",
                Severity.INFO,
                ("torch", "dtk"),
                T("This is a Hygon DCU host but torch is not installed."),
                _install_line(None, dtk, python, matrix),
            )
        )
    else:
        build = classify_torch(torch, inventory.facts)
        if build.kind == DTK:
            out += _torch_vs_dtk(torch, build.target, dtk, python, matrix)
            out += torch_vs_targets(inventory, "dcu", torch)
        elif build.kind in (ROCM, CUDA, CPU):
            out.append(_not_das(torch, build, dtk, python, matrix))
    out += _driver_vs_dtk(inventory.version("hygon_driver"), dtk, inventory, matrix)
    return out


_finding = partial(stack_finding, stack="dcu")


def _rows_for_dtk(dtk: str | None, matrix: Matrix) -> list[Row]:
    """Builds for this DTK: exact DTK rows first, then rows of its release (24.04 for 24.04.3)."""
    rows = matrix.table(TORCH_TABLE).rows
    if dtk is None:
        return rows
    exact = [row for row in rows if dtk in row.patterns("dtk")]
    line = [
        row
        for row in rows
        if row not in exact and any(major_minor(p) == major_minor(dtk) for p in row.patterns("dtk"))
    ]
    return exact + line


def _pick(torch: str | None, dtk: str | None, python: str | None, matrix: Matrix) -> Row | None:
    candidates = _rows_for_dtk(dtk, matrix)
    if python:
        with_python = [row for row in candidates if row.matches("python", python)]
        candidates = with_python or candidates
    if torch:
        same = [row for row in candidates if same_release(row.first("torch"), torch)]
        if same:
            return same[0]
    # The DTK-exact rows come first; among those, the newest torch.
    exact = [row for row in candidates if dtk is None or dtk in row.patterns("dtk")]
    return newest_row(exact or candidates, "torch")


def _install_line(torch: str | None, dtk: str | None, python: str | None, matrix: Matrix) -> str:
    row = _pick(torch, dtk, python, matrix)
    if row is None:
        return T(
            "No Hygon torch build in the matrix is made for DTK {dtk}; see {site}.",
            dtk=dtk,
            site=DAS_SITE,
        )
    url = das_wheel_url(row, python)
    if url:
        return T(
            "pip install --no-deps {url}   # --no-deps keeps pip from pulling an NVIDIA torch "
            "from PyPI",
            url=url,
        )
    return T(
        "Install the torch {wheel} wheel for DTK {dtk} from directory pytorch/{directory} of "
        "{site} with `pip install --no-deps <wheel file>` (published for Python {pythons}).",
        wheel=row.first("torch"),
        dtk=row.first("dtk"),
        directory=row.extra.get("branch", ""),
        site=DAS_SITE,
        pythons=", ".join(row.patterns("python")),
    )


def das_wheel_url(row: Row, python: str | None) -> str | None:
    """The download URL of the row's torch wheel for this Python, when the name is known: a
    `+das.opt` build (DAS 1.2 and later) whose row lists the Python; None otherwise (older
    batches name their wheels differently, so they are downloaded from the directory)."""
    wheel = row.first("torch")
    tag = major_minor(python or "")
    if "+das.opt" not in wheel or not tag or not row.matches("python", python or ""):
        return None
    cp = "cp" + tag.replace(".", "")
    directory = row.extra.get("branch", "")
    return f"{DAS_FILES}/{directory}/torch-{wheel}-{cp}-{cp}-{DAS_PLATFORM}.whl"


def _torch_vs_dtk(
    torch: str, built_for: str | None, dtk: str | None, python: str | None, matrix: Matrix
) -> list[Finding]:
    if dtk is None:
        return [_dtk_missing(torch, built_for)]
    out = []
    if not _known_builds(torch, built_for, matrix):
        out.append(
            _finding(
                "unknown-combination",
                Severity.WARNING,
                ("torch", "dtk"),
                T(
                    "torch {torch} is not among the Hygon builds in the DCU matrix, so its DTK "
                    "pairing is only read from its version tag.",
                    torch=torch,
                ),
                T("If this is a site build, describe it in a --matrix file."),
            )
        )
    if built_for is None or _same_dtk(built_for, dtk):
        return out
    out.append(_built_for_other_dtk(torch, built_for, dtk, python, matrix))
    return out


def _dtk_missing(torch: str, built_for: str | None) -> Finding:
    return _finding(
        "dtk-missing",
        Severity.ERROR,
        ("torch", "dtk"),
        T(
            "torch {torch} is a Hygon DTK build, but no DTK was found (/opt/dtk), so "
            "`import torch` fails with `libamdhip64.so: cannot open shared object file`.",
            torch=torch,
        ),
        T(
            "Install DTK {dtk} from {site} under /opt (ln -s /opt/dtk-<version> /opt/dtk) "
            "and `source /opt/dtk/env.sh`.",
            dtk=built_for or "",
            site=DTK_SITE,
        ),
    )


def _known_builds(torch: str, built_for: str | None, matrix: Matrix) -> list[Row]:
    """The matrix rows of this build: its exact version, or its release for its DTK."""
    known = matrix.table(TORCH_TABLE).lookup(torch)
    known += [
        row
        for row in matrix.table(TORCH_TABLE).rows
        if "+" not in row.first("torch")
        and row.matches("torch", release_of(torch))
        and built_for
        and row.matches("dtk", built_for)
    ]
    return known


def _built_for_other_dtk(
    torch: str, built_for: str, dtk: str, python: str | None, matrix: Matrix
) -> Finding:
    """An error across DTK releases, a warning across patch releases of one."""
    same_line = major_minor(built_for) == major_minor(dtk)
    consequence = (
        T(
            "Builds of one DTK release are usually interchangeable across its patch releases, "
            "but this pairing is not the published one"
        )
        if same_line
        else T(
            "A DAS wheel built for another DTK fails at import with `undefined symbol` "
            "(the package's DTK must match /opt/dtk)"
        )
    )
    return _finding(
        "torch-dtk",
        Severity.WARNING if same_line else Severity.ERROR,
        ("torch", "dtk"),
        T(
            "torch {torch} is built for DTK {built_for} but DTK {dtk} is installed. {consequence}.",
            torch=torch,
            built_for=built_for,
            dtk=dtk,
            consequence=consequence,
        ),
        join(
            [
                _install_line(torch, dtk, python, matrix),
                T("or install DTK {dtk} ({site}).", dtk=built_for, site=DTK_SITE),
            ]
        ),
    )


def _same_dtk(a: str, b: str) -> bool:
    try:
        left, right = parse_vendor(a), parse_vendor(b)
    except InvalidVersion:
        return a == b
    return left == right or left.startswith(right) or right.startswith(left)


def _not_das(
    torch: str, build: TorchBuild, dtk: str | None, python: str | None, matrix: Matrix
) -> Finding:
    reason = {
        # NOTE: DTK ships its own HIP (libgalaxyhip) and is not ABI-compatible with upstream
        # ROCm: `import torch` of torch==1.13.1+rocm5.2 fails with `libamdhip64.so: version
        # 'hip_4.2' not found` (reference B.1).
        ROCM: T(
            "an upstream ROCm build; DTK is not ABI-compatible with upstream ROCm, so "
            "`import torch` fails (e.g. `libamdhip64.so: version 'hip_4.2' not found`)"
        ),
        CUDA: T(
            "an NVIDIA CUDA build (pip pulls it from PyPI when a package is installed "
            "without --no-deps), so torch.cuda.is_available() is False"
        ),
        CPU: T("a CPU-only build, so torch.cuda.is_available() is False"),
    }[build.kind]
    return _finding(
        "torch-build",
        Severity.ERROR,
        ("torch", "dtk"),
        T(
            "torch {torch} is {reason} ({evidence}). A DCU needs Hygon's DAS build of torch.",
            torch=torch,
            reason=reason,
            evidence=build.evidence,
        ),
        _install_line(torch, dtk, python, matrix),
    )


def _lower_bound(row: Row) -> str:
    return row.first("hygon_driver").lstrip(">= ")


def driver_number(driver: str) -> VendorVersion | None:
    """The number Hygon compares a driver by; None when the string does not start with one."""
    try:
        parsed = scheme_for("hygon_driver").parse(driver)
    except InvalidVersion:
        return None
    assert isinstance(parsed, VendorVersion)
    return parsed


def _cards(inventory: Inventory) -> set[str]:
    """The DCU card models the device table names (case-folded words of the device names)."""
    return {
        word.casefold()
        for device in inventory.devices
        if device.stack == "dcu"
        for word in device.name.split()
    }


def _driver_rows(inventory: Inventory, matrix: Matrix) -> list[Row]:
    """The driver tiers that judge this host: Hygon checks a card that has rules of its own
    (BW200's legacy rule) by those alone, and every other card by the general tiers."""
    rows = matrix.table(DRIVER_TABLE).rows
    cards = _cards(inventory)
    own = [row for row in rows if any(card.casefold() in cards for card in row.cards)]
    return own or [row for row in rows if not row.cards]


def _driver_vs_dtk(
    driver: str | None, dtk: str | None, inventory: Inventory, matrix: Matrix
) -> list[Finding]:
    if not driver or not dtk:
        return []
    number = driver_number(driver)
    if number is None:
        return []
    rows = _driver_rows(inventory, matrix)
    listing = [row for row in rows if row.matches("dtk", dtk)]
    better = (
        T(
            "; DTK {dtk} is listed for drivers {drivers} ({site})",
            dtk=dtk,
            drivers=", ".join(row.first("hygon_driver") for row in listing),
            site=DRIVER_SITE,
        )
        if listing
        else ""
    )
    row = _driver_tier(number, rows)
    if row is None:
        return [_driver_older_than_table(driver, dtk, better)]
    if row.matches("dtk", dtk):
        return []
    return [_driver_tier_without_dtk(driver, dtk, row, better, matrix)]


def _driver_tier(number: VendorVersion, rows: list[Row]) -> Row | None:
    """The row of the highest driver bound this driver reaches."""
    tiers = []
    for row in rows:
        try:
            bound = parse_vendor(_lower_bound(row))
        except InvalidVersion:
            continue
        if number >= bound:
            tiers.append((bound, row))
    if not tiers:
        return None
    return max(tiers, key=lambda item: item[0])[1]


def _driver_older_than_table(driver: str, dtk: str, better: str) -> Finding:
    return _finding(
        "driver-dtk",
        Severity.WARNING,
        ("hygon_driver", "dtk"),
        T(
            "Hygon driver {driver} is older than every driver in Hygon's compatibility "
            "table, so DTK {dtk} is not known to work on it.",
            driver=driver,
            dtk=dtk,
        ),
        T("Ask the administrator for a newer Hygon driver{better}.", better=better),
    )


def _driver_tier_without_dtk(
    driver: str, dtk: str, row: Row, better: str, matrix: Matrix
) -> Finding:
    supported = ", ".join(row.patterns("dtk"))
    return _finding(
        "driver-dtk",
        Severity.WARNING,
        ("hygon_driver", "dtk"),
        T(
            "Hygon driver {driver} ({bound}) supports DTK {supported}, not DTK {dtk} {cite}.",
            driver=driver,
            bound=row.first("hygon_driver"),
            supported=supported,
            dtk=dtk,
            cite=cite(matrix, row),
        ),
        T(
            "Install DTK {supported} ({site}), or ask the administrator for a driver that "
            "supports DTK {dtk}{better}.",
            supported=supported,
            site=DTK_SITE,
            dtk=dtk,
            better=better,
        ),
    )
