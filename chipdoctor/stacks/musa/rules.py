"""MUSA verdicts: torch <-> torch_musa <-> MUSA toolkit (and its MCCL).

`error` where torch_musa itself refuses (an older torch than it is built against) or cannot
load (no toolkit at all, no MCCL); `warning` where an install only differs from a published pairing;
`info` for advice. Driver findings come from the probe. Sources: docs/matrix-sources/musa.md.
"""

from __future__ import annotations

from functools import partial

from chipdoctor.i18n import T, join
from chipdoctor.matrix.model import Matrix, Row
from chipdoctor.model import Finding, Inventory, Severity, Symptom
from chipdoctor.rules.common import cite, compare, logged, newest_row, stack_finding
from chipdoctor.stacks.musa.facts import (
    FACT_MCCL,
    FACT_MCCL_DIRS,
    FACT_TOOLKIT_HOME,
    IMAGE,
    MCCL_FIX,
    RELEASES,
    SDK_DOWNLOAD,
)
from chipdoctor.symptoms.kinds import LIBRARY_MISSING

TABLE = "torch_musa"


def evaluate(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    torch_musa = inventory.version("torch_musa")
    if torch_musa is None:
        return _torch_without_torch_musa(inventory, matrix) + _mccl(inventory, None)
    rows = matrix.table(TABLE).lookup(torch_musa)
    return (
        _torch(inventory, torch_musa, rows, matrix)
        + _toolkit(inventory, torch_musa, rows, matrix)
        + _mccl(inventory, torch_musa)
    )


_finding = partial(stack_finding, stack="musa")


def _wheels(torch_musa: str, torch: str) -> str:
    return T(
        "Install torch {torch} and torch_musa {torch_musa} from the torch_musa release page "
        "({url}; Moore Threads' own torch wheel, not the PyPI one), or use the image {image}",
        torch=torch,
        torch_musa=torch_musa,
        url=RELEASES,
        image=IMAGE,
    )


def _torch(inventory: Inventory, torch_musa: str, rows: list[Row], matrix: Matrix) -> list[Finding]:
    torch = inventory.version("torch")
    built = [row for row in rows if row.patterns("torch")]
    if torch is None:
        wanted = built[0].first("torch") if built else T("the release it is built against")
        return [
            _finding(
                "torch_musa-without-torch",
                Severity.ERROR,
                ("torch_musa", "torch"),
                T(
                    "torch_musa {torch_musa} is installed but torch is not; it is built for "
                    "PyTorch {wanted}.",
                    torch_musa=torch_musa,
                    wanted=wanted,
                ),
                _wheels(torch_musa, wanted),
            )
        ]
    if not built or any(row.matches("torch", torch) for row in built):
        return []
    row = built[0]
    expected = row.first("torch")
    older = all((compare("torch", torch, r.first("torch")) or 0) < 0 for r in built)
    fixes = [_wheels(torch_musa, expected)]
    fitting = [r for r in matrix.table(TABLE).rows if r.matches("torch", torch)]
    best = newest_row(fitting, "torch_musa")
    if best is not None:
        fixes.append(
            T(
                "or keep torch {torch} with torch_musa {other} ({url})",
                torch=torch,
                other=best.first("torch_musa"),
                url=RELEASES,
            )
        )
    if older:
        severity = Severity.ERROR
        why = T(
            "torch {torch} is older than PyTorch {expected}, which torch_musa {torch_musa} is "
            "built against {cite}; from torch_musa 2.1 on its import refuses such a torch "
            "(RuntimeError 'torch version must not be less than v{expected} when using "
            "torch_musa').",
            torch=torch,
            expected=expected,
            torch_musa=torch_musa,
            cite=cite(matrix, row),
        )
    else:
        severity = Severity.WARNING
        why = T(
            "torch_musa {torch_musa} is built against PyTorch {expected} {cite} but torch "
            "{torch} is installed; its import warns 'torch version should be v{expected} when "
            "using torch_musa'.",
            torch_musa=torch_musa,
            expected=expected,
            cite=cite(matrix, row),
            torch=torch,
        )
    return [_finding("torch-torch_musa", severity, ("torch", "torch_musa"), why, join(fixes))]


def _toolkit(
    inventory: Inventory, torch_musa: str, rows: list[Row], matrix: Matrix
) -> list[Finding]:
    toolkit = inventory.version("musa_toolkit")
    listed = [row for row in rows if row.patterns("musa_toolkit")]
    if toolkit is None:
        if FACT_TOOLKIT_HOME in inventory.facts:
            return []  # installed, version unreadable: the probe said so
        return [_torch_musa_without_toolkit(torch_musa, listed)]
    if not listed:
        return [_toolkit_unpaired(torch_musa, toolkit, rows)]
    if any(row.matches("musa_toolkit", toolkit) for row in listed):
        return []
    return [_toolkit_not_published_with(inventory, torch_musa, toolkit, listed[0], matrix)]


def _torch_musa_without_toolkit(torch_musa: str, listed: list[Row]) -> Finding:
    wanted = listed[0].first("musa_toolkit") if listed else ""
    return _finding(
        "torch_musa-without-toolkit",
        Severity.ERROR,
        ("torch_musa", "musa_toolkit"),
        T(
            "torch_musa {torch_musa} is installed but no MUSA toolkit was found under "
            "$MUSA_HOME or /usr/local/musa; torch_musa needs the MUSA SDK (torch_musa "
            "README: MUSA Driver, musa_toolkit, muDNN, MCCL) and cannot load without it.",
            torch_musa=torch_musa,
        ),
        T(
            "Install MUSA SDK {wanted} ({url}), or use the image {image}.",
            wanted=wanted,
            url=SDK_DOWNLOAD,
            image=IMAGE,
        )
        if wanted
        else T(
            "Install the MUSA SDK ({url}), or use the image {image}.",
            url=SDK_DOWNLOAD,
            image=IMAGE,
        ),
    )


def _toolkit_unpaired(torch_musa: str, toolkit: str, rows: list[Row]) -> Finding:
    """The matrix lists no MUSA toolkit for this torch_musa."""
    return _finding(
        "unknown-combination",
        Severity.WARNING,
        ("torch_musa", "musa_toolkit"),
        T(
            "torch_musa {torch_musa} is not in the MUSA matrix, so its pairing with MUSA "
            "toolkit {toolkit} cannot be checked.",
            torch_musa=torch_musa,
            toolkit=toolkit,
        )
        if not rows
        else T(
            "torch_musa {torch_musa} has no published MUSA toolkit pairing, so MUSA "
            "toolkit {toolkit} cannot be checked against it.",
            torch_musa=torch_musa,
            toolkit=toolkit,
        ),
        T(
            "If this is a site build, describe it in a --matrix file; otherwise compare "
            "with the torch_musa release notes ({url}).",
            url=RELEASES,
        ),
    )


def _toolkit_not_published_with(
    inventory: Inventory, torch_musa: str, toolkit: str, row: Row, matrix: Matrix
) -> Finding:
    """The toolkit is not the one `row` pairs with torch_musa; fixes: that SDK, or another
    torch_musa paired with the installed toolkit."""
    pattern = row.first("musa_toolkit")
    fixes = [T("Install MUSA SDK {pattern} ({url})", pattern=pattern, url=SDK_DOWNLOAD)]
    torch = inventory.version("torch")
    fitting = [
        r
        for r in matrix.table(TABLE).rows
        if r.matches("musa_toolkit", toolkit) and (torch is None or r.matches("torch", torch))
    ]
    best = newest_row(fitting, "torch_musa")
    if best is not None:
        fixes.append(
            T(
                "or torch_musa {other}, paired with MUSA toolkit {toolkit} ({url})",
                other=best.first("torch_musa"),
                toolkit=toolkit,
                url=RELEASES,
            )
        )
    return _finding(
        "torch_musa-musa_toolkit",
        Severity.WARNING,
        ("torch_musa", "musa_toolkit"),
        T(
            "torch_musa {torch_musa} is published with MUSA toolkit {pattern}, not "
            "{toolkit} {cite}.",
            torch_musa=torch_musa,
            pattern=pattern,
            toolkit=toolkit,
            cite=cite(matrix, row),
        ),
        join(fixes),
    )


def _torch_without_torch_musa(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    torch = inventory.version("torch")
    if torch is None or not (
        inventory.devices or inventory.version("musa_toolkit") or inventory.version("musa_driver")
    ):
        return []
    rows = matrix.table(TABLE).rows
    best = newest_row([r for r in rows if r.matches("torch", torch)], "torch_musa")
    newest = newest_row([r for r in rows if r.patterns("torch")], "torch_musa")
    if best is not None:
        fix = _wheels(best.first("torch_musa"), torch)
    elif newest is not None:
        fix = T(
            "No torch_musa in the matrix is built for torch {torch}. {line}",
            torch=torch,
            line=_wheels(newest.first("torch_musa"), newest.first("torch")),
        )
    else:
        fix = T("Install torch_musa and the torch it names from {url}.", url=RELEASES)
    return [
        _finding(
            "torch-without-torch_musa",
            Severity.INFO,
            ("torch", "torch_musa"),
            T(
                "PyTorch {torch} is installed on a MUSA host but torch_musa is not, so PyTorch "
                "cannot use the MUSA GPUs.",
                torch=torch,
            ),
            fix,
        )
    ]


def _mccl(inventory: Inventory, torch_musa: str | None) -> list[Finding]:
    """MCCL absent from the toolkit's lib/: torch_musa links it (USE_MCCL on by default) and
    fails to import without it (torch_musa#5, #102: 'ImportError: libmccl.so.2'). An error
    with torch_musa installed; with the toolkit alone a warning, as nothing fails until
    torch_musa is installed. The failed job's log saying so stands in where no lib/ was seen,
    and is an error: what printed it was torch_musa failing to load."""
    mccl = inventory.facts.get(FACT_MCCL)
    shown = inventory.symptom(LIBRARY_MISSING, library="libmccl.so")
    if mccl is None and shown is not None:
        return [_mccl_logged(inventory, torch_musa, shown)]
    if mccl != "":
        return []  # found (a log saying otherwise: symptoms/judge.py), or not looked for
    toolkit = inventory.version("musa_toolkit")
    if torch_musa is None and toolkit is None:
        return []
    dirs = inventory.facts.get(FACT_MCCL_DIRS, "")
    symptom = T(
        "'ImportError: libmccl.so.2: cannot open shared object file' on `import torch_musa`"
    )
    message = (
        T(
            "torch_musa {torch_musa} is installed but MCCL, the collective library it links "
            "(unless built with USE_MCCL=0), is not: no libmccl.so* in {dirs}, so it fails with "
            "{symptom}.",
            torch_musa=torch_musa,
            dirs=dirs,
            symptom=symptom,
        )
        if torch_musa is not None
        else T(
            "MUSA toolkit {toolkit} is installed without MCCL (no libmccl.so* in {dirs}); "
            "torch_musa links MCCL unless built with USE_MCCL=0, so installing it here fails "
            "with {symptom}.",
            toolkit=toolkit,
            dirs=dirs,
            symptom=symptom,
        )
    )
    return [
        _finding(
            "mccl-missing",
            Severity.ERROR if torch_musa is not None else Severity.WARNING,
            ("torch_musa", "musa_toolkit") if torch_musa is not None else ("musa_toolkit",),
            message,
            MCCL_FIX,
        )
    ]


def _mccl_logged(inventory: Inventory, torch_musa: str | None, symptom: Symptom) -> Finding:
    toolkit = inventory.version("musa_toolkit")
    return _finding(
        "mccl-missing",
        Severity.ERROR,
        ("torch_musa", "musa_toolkit") if toolkit is not None else ("torch_musa",),
        T(
            "torch_musa{version} cannot load MCCL, the collective library it links unless "
            "built with USE_MCCL=0 ({logged}); {where}.",
            version=" " + torch_musa if torch_musa else "",
            logged=logged(symptom),
            where=T(
                "the MUSA toolkit {toolkit} here does not provide it on the loader's path",
                toolkit=toolkit,
            )
            if toolkit
            else T("no MUSA toolkit was found here to provide it"),
        ),
        MCCL_FIX,
    )
