"""Ascend verdicts: torch <-> torch_npu <-> CANN <-> driver/firmware <-> Python.

Severity follows what the vendor states: `error` where Ascend (or the packages themselves) say
the combination does not work, `warning` where it merely differs from the published pairing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

from chipdoctor.i18n import T, join
from chipdoctor.matrix.model import INCOMPATIBLE, Matrix, Row
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.parsers.keyvalue import inner_release, parse_bracket_ranges
from chipdoctor.rules.common import (
    cite,
    compare,
    highest,
    lowest,
    newest_row,
    pip_install,
    release_of,
    same_release,
    stack_finding,
    vendor_in_ranges,
)
from chipdoctor.stacks.ascend import companions, cuda_calls, ecosystem, facts, products
from chipdoctor.stacks.ascend.pip import torch_line as _torch_line
from chipdoctor.stacks.ascend.pip import torch_npu_line as _pip_torch_npu


def evaluate(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    out: list[Finding] = []
    torch_npu = inventory.version("torch_npu")
    torch = inventory.version("torch")
    cann = inventory.version("cann")
    npu_rows = matrix.table("torch_npu").lookup(torch_npu) if torch_npu else []
    if torch_npu:
        out += _torch_vs_torch_npu(torch, torch_npu, npu_rows, matrix)
        out += _python(inventory.version("python"), torch_npu, npu_rows, matrix)
        out += _torch_npu_vs_cann(torch_npu, torch, cann, npu_rows, matrix)
        out += products.product_support(inventory, torch_npu, npu_rows, matrix)
    elif cann:
        out += _cann_without_torch_npu(cann, torch, matrix)
    if cann:
        out += companions.kernels(inventory, cann)
        out += companions.nnal(inventory, cann)
    out += ecosystem.findings(inventory, matrix)
    out += cuda_calls.findings(inventory)
    out += _cann_vs_driver(inventory, matrix)
    out += _driver_vs_firmware(inventory, matrix)
    return out


_finding = partial(stack_finding, stack="ascend")


def _torch_vs_torch_npu(
    torch: str | None, torch_npu: str, rows: list[Row], matrix: Matrix
) -> list[Finding]:
    expected = rows[0].first("torch") if rows else release_of(torch_npu)
    if torch is None:
        return [_torch_npu_without_torch(torch_npu, expected)]
    found = (
        _gpu_torch(torch),
        _torch_not_torch_npu_release(torch, torch_npu, expected, rows, matrix),
    )
    return [finding for finding in found if finding is not None]


def _torch_npu_without_torch(torch_npu: str, expected: str) -> Finding:
    return _finding(
        "torch_npu-without-torch",
        Severity.ERROR,
        ("torch_npu", "torch"),
        T(
            "torch_npu {torch_npu} is installed but torch is not; torch_npu {torch_npu} "
            "requires torch {expected}.",
            torch_npu=torch_npu,
            expected=expected,
        ),
        _torch_line(expected),
    )


def _gpu_torch(torch: str) -> Finding | None:
    """A CUDA or ROCm build of torch, beside which torch_npu refuses to load."""
    if "+cu" not in torch and "+rocm" not in torch:
        return None
    # NOTE: torch_npu refuses a CUDA/ROCm build: "Two accelerators cannot be used at the same
    # time in PyTorch: npu and cuda" (Ascend/pytorch torch_npu/__init__.py).
    return _finding(
        "torch-build",
        Severity.ERROR,
        ("torch", "torch_npu"),
        T(
            "torch {torch} is a GPU build; torch_npu refuses to load beside it with "
            "'Two accelerators cannot be used at the same time in PyTorch'.",
            torch=torch,
        ),
        _torch_line(release_of(torch)),
    )


def _torch_not_torch_npu_release(
    torch: str, torch_npu: str, expected: str, rows: list[Row], matrix: Matrix
) -> Finding | None:
    """torch is not the release torch_npu is built for (by the matrix, else by the version)."""
    matching = [row for row in rows if row.matches("torch", torch)]
    if rows and not matching:
        return _finding(
            "torch-torch_npu",
            Severity.ERROR,
            ("torch", "torch_npu"),
            T(
                "torch_npu {torch_npu} is built for torch {expected} but torch {torch} is "
                "installed; its C extension fails to load against another torch {cite}.",
                torch_npu=torch_npu,
                expected=expected,
                torch=torch,
                cite=cite(matrix, rows[0]),
            ),
            _torch_line(expected),
        )
    if not rows and not same_release(torch, torch_npu):
        # NOTE: every torch_npu wheel pins torch==<its release> (Ascend/pytorch setup.py).
        return _finding(
            "torch-torch_npu",
            Severity.ERROR,
            ("torch", "torch_npu"),
            T(
                "torch_npu {torch_npu} is built for torch {expected} but torch {torch} is "
                "installed; torch_npu wheels require exactly their torch release.",
                torch_npu=torch_npu,
                expected=expected,
                torch=torch,
            ),
            _torch_line(expected),
        )
    return None


def _python(python: str | None, torch_npu: str, rows: list[Row], matrix: Matrix) -> list[Finding]:
    if not python or not rows or any(row.matches("python", python) for row in rows):
        return []
    row = rows[0]
    listed = ", ".join(row.patterns("python")) or "none"
    if not row.patterns("python"):
        return []
    return [
        _finding(
            "python",
            Severity.WARNING,
            ("python", "torch_npu"),
            T(
                "Python {python} is not among the versions Ascend lists for torch_npu {torch_npu} "
                "({listed}) {cite}.",
                python=python,
                torch_npu=torch_npu,
                listed=listed,
                cite=cite(matrix, row),
            ),
            T(
                "Use Python {python} for this torch_npu, or a torch_npu release that lists your "
                "Python.",
                python=row.patterns("python")[-1],
            ),
        )
    ]


def _candidates_for_cann(cann: str, torch: str | None, matrix: Matrix) -> list[Row]:
    """torch_npu rows paired with this CANN, those for the installed torch first."""
    rows = [row for row in matrix.table("torch_npu").rows if row.matches("cann", cann)]
    if torch:
        same = [row for row in rows if row.matches("torch", torch)]
        if same:
            return same
    return rows


def _torch_npu_vs_cann(
    torch_npu: str, torch: str | None, cann: str | None, rows: list[Row], matrix: Matrix
) -> list[Finding]:
    if cann is None:
        return [_torch_npu_without_cann(torch_npu, rows)]
    if not rows:
        return [_torch_npu_not_in_matrix(torch_npu, cann)]
    if any(row.matches("cann", cann) for row in rows):
        return []
    stated = [
        row for row in matrix.table("torch_npu_cann").lookup(torch_npu) if row.matches("cann", cann)
    ]
    if stated and all(row.verdict != INCOMPATIBLE for row in stated):
        return [
            _cann_declared_compatible(torch_npu, rows[0].first("cann"), cann, stated[0], matrix)
        ]
    return [_torch_npu_not_for_cann(torch_npu, torch, cann, rows, matrix)]


def _torch_npu_without_cann(torch_npu: str, rows: list[Row]) -> Finding:
    wanted = rows[0].first("cann") if rows else T("the CANN release listed for it")
    return _finding(
        "torch_npu-without-cann",
        Severity.ERROR,
        ("torch_npu", "cann"),
        T(
            "torch_npu {torch_npu} is installed but no CANN toolkit was found, so "
            "`import torch_npu` fails (libhccl.so / libascendcl.so not found).",
            torch_npu=torch_npu,
        ),
        companions.install_cann(wanted),
    )


def _torch_npu_not_in_matrix(torch_npu: str, cann: str) -> Finding:
    return _finding(
        "unknown-combination",
        Severity.WARNING,
        ("torch_npu", "cann"),
        T(
            "torch_npu {torch_npu} is not in the Ascend matrix, so its pairing with CANN "
            "{cann} cannot be checked.",
            torch_npu=torch_npu,
            cann=cann,
        ),
        T(
            "If this is a site build, describe it in a --matrix file; otherwise install a "
            "published torch_npu release."
        ),
    )


def _cann_declared_compatible(
    torch_npu: str, recommended: str, cann: str, row: Row, matrix: Matrix
) -> Finding:
    """Not the paired CANN, but one Ascend also declares compatible: advice only."""
    return _finding(
        "torch_npu-cann",
        Severity.INFO,
        ("torch_npu", "cann"),
        T(
            "torch_npu {torch_npu} is paired with CANN {recommended}; CANN {cann} is also "
            "declared compatible {cite}.",
            torch_npu=torch_npu,
            recommended=recommended,
            cann=cann,
            cite=cite(matrix, row),
        ),
        "",
    )


def _torch_npu_not_for_cann(
    torch_npu: str, torch: str | None, cann: str, rows: list[Row], matrix: Matrix
) -> Finding:
    """CANN is not the one torch_npu is paired with: an error when older or when the failure
    is reported with a source (a `verdict: incompatible` row), else a warning. The fix is the
    build of the same torch release for this CANN where one is listed (torch stays)."""
    recommended = rows[0].first("cann")
    failed = [
        row
        for row in matrix.table("torch_npu_cann").lookup(torch_npu)
        if row.verdict == INCOMPATIBLE and row.matches("cann", cann)
    ]
    best = newest_row(
        _candidates_for_cann(cann, torch or release_of(torch_npu), matrix), "torch_npu"
    )
    fixes: list[str] = []
    if best is not None:
        fixes.append(_pip_torch_npu(best.first("torch_npu"), torch))
    fixes.append(
        T("or install CANN {version} ({url})", version=recommended, url=facts.CANN_DOWNLOAD)
    )
    order = compare("cann", cann, recommended)
    if failed:
        severity = Severity.ERROR
        why = T(
            "torch_npu {torch_npu} fails with CANN {cann}, as reported upstream {cite}; it is "
            "paired with CANN {recommended}",
            torch_npu=torch_npu,
            cann=cann,
            cite=cite(matrix, failed[0]),
            recommended=recommended,
        )
    elif order is not None and order < 0:
        severity = Severity.ERROR
        why = T(
            "CANN {cann} is older than CANN {recommended}, the release torch_npu {torch_npu} "
            "is built for: it calls functions older CANN lacks (torch_npu reports 'Please "
            "upgrade CANN version' or undefined symbols)",
            cann=cann,
            recommended=recommended,
            torch_npu=torch_npu,
        )
    else:
        severity = Severity.WARNING
        why = T(
            "torch_npu {torch_npu} is paired with CANN {recommended}, not CANN {cann}; newer "
            "CANN releases are not promised to keep the symbols older torch_npu builds use",
            torch_npu=torch_npu,
            recommended=recommended,
            cann=cann,
        )
    return _finding(
        "torch_npu-cann",
        severity,
        ("torch_npu", "cann"),
        T("{why} {cite}.", why=why, cite=cite(matrix, rows[0])),
        join(fixes),
    )


def _cann_without_torch_npu(cann: str, torch: str | None, matrix: Matrix) -> list[Finding]:
    best = newest_row(_candidates_for_cann(cann, torch, matrix), "torch_npu")
    if best is None:
        fix: str = T("No torch_npu release in the matrix is paired with this CANN.")
    else:
        fix = _pip_torch_npu(best.first("torch_npu"), torch or "")
        if torch is None:
            torch_npu_line = pip_install(f"torch-npu=={best.first('torch_npu')}")
            fix = f"{_torch_line(best.first('torch'))} && {torch_npu_line}"
    return [
        _finding(
            "cann-without-torch_npu",
            Severity.INFO,
            ("cann", "torch_npu"),
            T(
                "CANN {cann} is installed but torch_npu is not, so PyTorch cannot use the NPU.",
                cann=cann,
            ),
            fix,
        )
    ]


def _cann_vs_driver(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    cann = inventory.version("cann")
    driver = inventory.version("ascend_driver")
    if not cann or not driver:
        return []
    declared = _toolkit_declaration(inventory)
    rows = matrix.table("cann_driver").lookup(cann)
    against = [r for r in rows if r.verdict == INCOMPATIBLE and r.matches("ascend_driver", driver)]
    compatible = [r for r in rows if r.verdict != INCOMPATIBLE]
    pair = _CannDriver(
        cann, driver, declared, matrix, compatible, _driver_fix(cann, driver, compatible, matrix)
    )
    if against:
        return [pair.marked_incompatible(against[0])]
    if any(r.matches("ascend_driver", driver) for r in compatible):
        return [pair.paired_but_excluded()] if declared.excluded else []
    if not compatible:
        return [pair.unpaired()]
    return [pair.not_listed()]


@dataclass(frozen=True)
class _CannDriver:
    """The CANN toolkit and NPU driver installed, and one method per verdict on the pair."""

    cann: str
    driver: str
    declared: _Declaration
    matrix: Matrix
    compatible: list[Row]
    fix: str

    def marked_incompatible(self, row: Row) -> Finding:
        return _finding(
            "cann-driver",
            Severity.ERROR,
            ("cann", "ascend_driver"),
            T(
                "CANN {cann} does not support NPU driver {driver}: the vendor's compatibility "
                "table marks it incompatible {cite}.{declared}",
                cann=self.cann,
                driver=self.driver,
                cite=cite(self.matrix, row),
                declared=self.declared.text,
            ),
            self.fix,
        )

    def paired_but_excluded(self) -> Finding:
        """The matrix pairs them, but the toolkit's install.info leaves the driver out."""
        return _finding(
            "cann-driver-declared",
            Severity.WARNING,
            ("cann", "ascend_driver"),
            T(
                "The matrix pairs CANN {cann} with driver {driver}, but{declared}",
                cann=self.cann,
                driver=self.driver,
                declared=self.declared.text,
            ),
            self.fix,
        )

    def unpaired(self) -> Finding:
        """The matrix lists no driver at all for this CANN."""
        return _finding(
            "unknown-combination",
            Severity.WARNING,
            ("cann", "ascend_driver"),
            T(
                "CANN {cann} has no driver pairing in the matrix, so driver {driver} cannot be "
                "checked against it.{declared}",
                cann=self.cann,
                driver=self.driver,
                declared=self.declared.text,
            ),
            T("Compare with the CANN release notes' 'version compatibility' table."),
        )

    def not_listed(self) -> Finding:
        """The driver is not one listed for this CANN: unreadable, older, or newer."""
        patterns = [p for row in self.compatible for p in row.patterns("ascend_driver")]
        oldest = lowest("ascend_driver", patterns) or patterns[0]
        order = compare("ascend_driver", self.driver, oldest)
        listed = ", ".join(dict.fromkeys(patterns))
        if order is None:
            return self.unreadable(listed)
        if order < 0:
            return self.older(listed)
        return self.newer(listed)

    def unreadable(self, listed: str) -> Finding:
        return _finding(
            "cann-driver",
            Severity.WARNING,
            ("cann", "ascend_driver"),
            T(
                "NPU driver version {driver} could not be read as an Ascend driver version, "
                "so it was not compared with the drivers Ascend lists for CANN {cann} "
                "({listed}) {cite}.{declared}",
                driver=self.driver,
                cann=self.cann,
                listed=listed,
                cite=cite(self.matrix, self.compatible[0]),
                declared=self.declared.text,
            ),
            T(
                "Check the Version= line of {path} (or `npu-smi info`); if it is right, "
                "compare it with the CANN release notes' 'version compatibility' table.",
                path=facts.DRIVER_INFO,
            ),
        )

    def older(self, listed: str) -> Finding:
        # The toolkit's own file vouching for this driver outweighs a missing table entry.
        severity = Severity.WARNING if self.declared.included else Severity.ERROR
        return _finding(
            "cann-driver",
            severity,
            ("cann", "ascend_driver"),
            T(
                "NPU driver {driver} is older than the drivers Ascend lists for CANN {cann} "
                "({listed}) {cite}.{declared}",
                driver=self.driver,
                cann=self.cann,
                listed=listed,
                cite=cite(self.matrix, self.compatible[0]),
                declared=self.declared.text,
            ),
            self.fix,
        )

    def newer(self, listed: str) -> Finding:
        return _finding(
            "cann-driver",
            Severity.WARNING,
            ("cann", "ascend_driver"),
            T(
                "NPU driver {driver} is newer than the drivers Ascend lists for CANN {cann} "
                "({listed}) {cite}; newer drivers usually run older CANN, but this pairing is not "
                "published.{declared}",
                driver=self.driver,
                cann=self.cann,
                listed=listed,
                cite=cite(self.matrix, self.compatible[0]),
                declared=self.declared.text,
            ),
            self.fix,
        )


class _Declaration:
    """What the toolkit's install.info says of this driver: included, excluded, or nothing."""

    def __init__(self, text: str = "", *, included: bool = False, excluded: bool = False):
        self.text = text
        self.included = included
        self.excluded = excluded


def _toolkit_declaration(inventory: Inventory) -> _Declaration:
    """What the toolkit's own install.info says of the driver's release code."""
    listed = inventory.facts.get(facts.FACT_TOOLKIT_COMPATIBLE)
    inner = inventory.facts.get(facts.FACT_DRIVER_INNER)
    code = inner_release(inner) if inner else None
    if not listed or not code:
        return _Declaration()
    ranges = parse_bracket_ranges(listed)
    number = _c_number(code)
    for low, high in ranges:
        lo, hi = _c_number(low), _c_number(high or low)
        if number is not None and lo is not None and hi is not None and lo <= number <= hi:
            return _Declaration(
                T(
                    " The toolkit ({source}) declares driver release {code} compatible.",
                    source=inventory.facts.get(facts.FACT_TOOLKIT_SOURCE),
                    code=code,
                ),
                included=True,
            )
    return _Declaration(
        T(
            " The toolkit's own {source} lists compatible driver releases {listed}, which does "
            "not include this driver's {code} ({driver_source}).",
            source=inventory.facts.get(facts.FACT_TOOLKIT_SOURCE),
            listed=listed,
            code=code,
            driver_source=inventory.facts.get(facts.FACT_DRIVER_INFO_SOURCE),
        ),
        excluded=True,
    )


def _c_number(code: str) -> int | None:
    """V100R001C21 -> 100001021: orders Huawei release codes (version, release, C number)."""
    match = re.match(r"^V([0-9]+)R([0-9]+)C([0-9]+)", code.strip())
    if not match:
        return None
    return int(match.group(1)) * 1_000_000 + int(match.group(2)) * 1000 + int(match.group(3))


def _driver_fix(cann: str, driver: str, compatible: list[Row], matrix: Matrix) -> str:
    lines: list[str] = []
    if compatible:
        patterns = list(dict.fromkeys(p for r in compatible for p in r.patterns("ascend_driver")))
        newest = highest("ascend_driver", patterns) or patterns[-1]
        lines.append(
            T(
                "Ask the administrator to install Ascend HDK driver and firmware {newest} "
                "(listed for CANN {cann}: {patterns}).",
                newest=newest,
                cann=cann,
                patterns=", ".join(patterns),
            )
        )
    fitting = [
        row
        for row in matrix.table("cann_driver").rows
        if row.verdict != INCOMPATIBLE and row.matches("ascend_driver", driver)
    ]
    best = newest_row(fitting, "cann")
    if best is not None:
        lines.append(
            T(
                "Or install CANN {cann}, which lists driver {driver} ({url}).",
                cann=best.first("cann"),
                driver=driver,
                url=facts.CANN_DOWNLOAD,
            )
        )
    return join(lines)


def _driver_vs_firmware(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    driver = inventory.version("ascend_driver")
    firmware = inventory.version("ascend_firmware")
    if not driver or not firmware:
        return []
    problems = _declared_range_problems(inventory, driver, firmware)
    if problems:
        return [_driver_firmware_refused(driver, firmware, problems)]
    rows = matrix.table("driver_firmware").lookup(driver)
    if rows and not any(row.matches("ascend_firmware", firmware) for row in rows):
        return [_firmware_not_published_with(driver, firmware, rows, matrix)]
    return []


def _declared_range_problems(inventory: Inventory, driver: str, firmware: str) -> list[str]:
    """Where the driver's and the firmware's version.info exclude each other."""
    fw_ranges = inventory.facts.get(facts.FACT_DRIVER_FW_RANGE)
    drv_ranges = inventory.facts.get(facts.FACT_FIRMWARE_DRV_RANGE)
    problems: list[str] = []
    if fw_ranges and vendor_in_ranges(firmware, parse_bracket_ranges(fw_ranges)) is False:
        problems.append(
            T(
                "the driver's {path} accepts firmware {ranges}, not {firmware}",
                path=facts.DRIVER_INFO,
                ranges=fw_ranges,
                firmware=firmware,
            )
        )
    if drv_ranges and vendor_in_ranges(driver, parse_bracket_ranges(drv_ranges)) is False:
        problems.append(
            T(
                "the firmware's {path} accepts drivers {ranges}, not {driver}",
                path=facts.FIRMWARE_INFO,
                ranges=drv_ranges,
                driver=driver,
            )
        )
    return problems


def _driver_firmware_refused(driver: str, firmware: str, problems: list[str]) -> Finding:
    return _finding(
        "driver-firmware",
        Severity.ERROR,
        ("ascend_driver", "ascend_firmware"),
        T(
            "NPU driver {driver} and firmware {firmware} do not go together: {problems}.",
            driver=driver,
            firmware=firmware,
            problems=join(problems, "; "),
        ),
        T(
            "Install the driver and firmware from one Ascend HDK release (firmware "
            "package Ascend-hdk-<chip>-npu-firmware_<version>.run), then reboot."
        ),
    )


def _firmware_not_published_with(
    driver: str, firmware: str, rows: list[Row], matrix: Matrix
) -> Finding:
    paired = ", ".join(dict.fromkeys(p for r in rows for p in r.patterns("ascend_firmware")))
    return _finding(
        "driver-firmware",
        Severity.WARNING,
        ("ascend_driver", "ascend_firmware"),
        T(
            "Firmware {firmware} is not the one published with driver {driver} ({paired}) {cite}.",
            firmware=firmware,
            driver=driver,
            paired=paired,
            cite=cite(matrix, rows[0]),
        ),
        T(
            "Install firmware {firmware} from the same Ascend HDK release.",
            firmware=paired.split(", ")[-1],
        ),
    )
