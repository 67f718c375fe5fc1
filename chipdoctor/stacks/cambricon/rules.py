"""Cambricon verdicts: torch <-> torch_mlu <-> Neuware (CNToolkit, CNNL, CNCL) <-> MLU driver.

Severity follows what Cambricon states: `error` where torch_mlu's README or its own start-up
check says a combination is unsupported or below a minimum, `warning` where an install merely
differs from a published pairing, `info` for advice. Sources: docs/stacks/cambricon.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from chipdoctor.i18n import T, join
from chipdoctor.matrix.model import Matrix, Row
from chipdoctor.model import FACT_TORCH_CUDA, FACT_TORCH_HIP, Finding, Inventory, Severity
from chipdoctor.rules.common import (
    TORCH_CPU_INDEX,
    cite,
    compare,
    highest,
    lowest,
    newest_row,
    pip_install,
    release_of,
    stack_finding,
)
from chipdoctor.stacks.cambricon.neuware import TorchMluVersion, parse_torch_mlu_version

SDK = "ecosystem@cambricon.com / https://sdk.cambricon.com"
#: NOTE: torch_mlu README: Cambricon publishes its own torch wheel for PyTorch 2.1 and 2.3 and
#: none from 2.4 on, where only PyTorch's CPU wheels are supported (not `+cpu.cxx11.abi`).
CPU_WHEELS_FROM = (2, 4)
_LIBRARIES = (
    ("neuware", "CNToolkit", "cntoolkit"),
    ("cnnl", "CNNL", "cnnl"),
    ("cncl", "CNCL", "cncl"),
)


def evaluate(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    out: list[Finding] = []
    torch_mlu = inventory.version("torch_mlu")
    torch = inventory.version("torch")
    rows: list[Row] = []
    if torch_mlu:
        parsed = parse_torch_mlu_version(torch_mlu)
        rows = matrix.table("torch_mlu").lookup(parsed.key if parsed else torch_mlu)
        out += _torch_vs_torch_mlu(inventory, torch_mlu, parsed, rows, matrix)
        out += _torch_build(inventory, torch_mlu, parsed)
        out += _torch_mlu_vs_neuware(inventory, torch_mlu, rows, matrix)
        out += _torch_mlu_vs_driver(inventory, torch_mlu, rows, matrix)
    elif torch:
        out += _torch_without_torch_mlu(inventory, torch, matrix)
    driver_checked = any(row.patterns("cambricon_driver") for row in rows)
    out += _neuware_vs_driver(inventory, matrix, driver_checked=driver_checked)
    return out


_finding = partial(stack_finding, stack="cambricon")


def major_minor(version: str) -> tuple[int, ...]:
    parts = release_of(version).split(".")[:2]
    return tuple(int(p) for p in parts if p.isascii() and p.isdigit())


def wheel_tags(inventory: Inventory) -> tuple[str, str]:
    """`cp310` and `x86_64` for wheel file names, from the host's Python and architecture."""
    python = (inventory.version("python") or "3.10").split(".")
    arch = inventory.version("arch") or "x86_64"
    return "cp" + "".join(python[:2]), "aarch64" if arch in ("aarch64", "arm64") else arch


def _torch_line(inventory: Inventory, release: str) -> str:
    if major_minor(release) >= CPU_WHEELS_FROM:
        return pip_install(f"torch=={release}", index_url=TORCH_CPU_INDEX)
    python, arch = wheel_tags(inventory)
    return T(
        "pip install torch-{release}-{python}-{python}-linux_{arch}.whl   # Cambricon's own "
        "PyTorch {release} wheel, not the pytorch.org one; it ships with the Cambricon SDK ({sdk})",
        release=release,
        python=python,
        arch=arch,
        sdk=SDK,
    )


def _torch_mlu_line(inventory: Inventory, version: str) -> str:
    python, arch = wheel_tags(inventory)
    return T(
        "pip install torch_mlu-{version}-{python}-{python}-linux_{arch}.whl   # not on PyPI: "
        "from the Cambricon SDK or the Cambricon PyTorch Container ({sdk})",
        version=version,
        python=python,
        arch=arch,
        sdk=SDK,
    )


def _matches_tag(torch: str, tag: str) -> bool:
    """Whether torch `2.11.0+cpu` is the release a `+torch2.11.0` (or old `-torch1.13`) names."""
    installed = release_of(torch).split(".")
    wanted = tag.split(".")
    padded = installed + ["0"] * (len(wanted) - len(installed))
    return [p.lstrip("0") or "0" for p in padded[: len(wanted)]] == [
        p.lstrip("0") or "0" for p in wanted
    ]


def _best_for_host(rows: list[Row], inventory: Inventory, *, strict: bool = False) -> Row | None:
    """The newest torch_mlu among `rows`, preferring those that state nothing against the
    installed Neuware and driver (with `strict`, only those): a fix must not steer to a
    torch_mlu this host cannot run."""
    installed = {
        key: version
        for key in ("neuware", "cnnl", "cncl", "cambricon_driver")
        if (version := inventory.version(key))
    }
    fitting = [
        row
        for row in rows
        if all(row.matches(key, v) for key, v in installed.items() if row.patterns(key))
    ]
    return newest_row(fitting if fitting or strict else rows, "torch_mlu")


def _torch_vs_torch_mlu(
    inventory: Inventory,
    torch_mlu: str,
    parsed: TorchMluVersion | None,
    rows: list[Row],
    matrix: Matrix,
) -> list[Finding]:
    torch = inventory.version("torch")
    expected = parsed.torch if parsed and parsed.torch else (rows[0].first("torch") if rows else "")
    if torch is None:
        return [_torch_mlu_without_torch(inventory, torch_mlu, expected)]
    if not expected or _matches_tag(torch, expected):
        return []
    source = (
        T(
            "(its version's '+torch{expected}' tag, by the torch_mlu README naming rule {rule})",
            expected=expected,
            rule="'{torch_mlu版本}+torch{社区版本}'",
        )
        if parsed and parsed.torch
        else cite(matrix, rows[0])
    )
    return [_torch_not_torch_mlu_release(inventory, torch_mlu, expected, source, matrix)]


def _torch_mlu_without_torch(inventory: Inventory, torch_mlu: str, expected: str) -> Finding:
    wanted = expected or T("the release its version names")
    return _finding(
        "torch_mlu-without-torch",
        Severity.ERROR,
        ("torch_mlu", "torch"),
        T(
            "torch_mlu {torch_mlu} is installed but torch is not; it is built for PyTorch "
            "{wanted}.",
            torch_mlu=torch_mlu,
            wanted=wanted,
        ),
        _torch_line(inventory, expected)
        if expected
        else T(
            "pip install torch==<X.Y.Z> --index-url {index}   # X.Y.Z: the '+torch' tag "
            "of your torch_mlu wheel's name",
            index=TORCH_CPU_INDEX,
        ),
    )


def _torch_not_torch_mlu_release(
    inventory: Inventory, torch_mlu: str, expected: str, source: str, matrix: Matrix
) -> Finding:
    """torch is not the release torch_mlu is compiled against (`source` says how we know);
    fixes: that torch, or a torch_mlu built for the installed torch."""
    torch = inventory.version("torch")
    fixes: list[str] = [_torch_line(inventory, expected)]
    best = _best_for_host(
        [r for r in matrix.table("torch_mlu").rows if r.matches("torch", torch or "")], inventory
    )
    if best is not None:
        fixes.append(
            T(
                "or keep torch {torch}: {line}",
                torch=torch,
                line=_torch_mlu_line(inventory, best.first("torch_mlu")),
            )
        )
    return _finding(
        "torch-torch_mlu",
        Severity.ERROR,
        ("torch", "torch_mlu"),
        T(
            "torch_mlu {torch_mlu} is built for PyTorch {expected} {source} but torch "
            "{torch} is installed; torch_mlu is a C++ extension compiled against that one "
            "PyTorch release.",
            torch_mlu=torch_mlu,
            expected=expected,
            source=source,
            torch=torch,
        ),
        join(fixes),
    )


def _torch_build(
    inventory: Inventory, torch_mlu: str, parsed: TorchMluVersion | None
) -> list[Finding]:
    torch = inventory.version("torch")
    if torch is None:
        return []
    local = torch.split("+", 1)[1] if "+" in torch else ""
    cuda = inventory.facts.get(FACT_TORCH_CUDA)
    hip = inventory.facts.get(FACT_TORCH_HIP)
    gpu = ""
    if local.startswith("cu") or cuda:
        gpu = f"CUDA {cuda}" if cuda else "CUDA"
    elif local.startswith("rocm") or hip:
        gpu = f"ROCm/HIP {hip}" if hip else "ROCm"
    release = parsed.torch if parsed and parsed.torch else release_of(torch)
    fix = _torch_line(inventory, release)
    if major_minor(release_of(torch)) >= CPU_WHEELS_FROM:
        if gpu:
            why = T(
                "torch {torch} is a {gpu} build; torch_mlu supports only PyTorch's CPU wheels "
                "for PyTorch 2.4 and later (torch_mlu README, installation step 3).",
                torch=torch,
                gpu=gpu,
            )
        elif local == "cpu.cxx11.abi":
            why = T(
                "torch {torch} is a CXX11-ABI CPU wheel, which torch_mlu does not support for "
                "PyTorch 2.4 and later (torch_mlu README: 暂不支持 x.y.z+cpu.cxx11.abi).",
                torch=torch,
            )
        else:
            return []
        return [_finding("torch-build", Severity.ERROR, ("torch", "torch_mlu"), why, fix)]
    if not (gpu or local):
        return []
    kind = (
        T("a {gpu} build", gpu=gpu) if gpu else T("the pytorch.org '+{local}' build", local=local)
    )
    return [
        _finding(
            "torch-build",
            Severity.WARNING,
            ("torch", "torch_mlu"),
            T(
                "torch {torch} is {kind}; for PyTorch 2.1 and 2.3 the torch_mlu README requires "
                "the PyTorch wheel Cambricon publishes (非官方的安装包) under torch_mlu "
                "{torch_mlu}.",
                torch=torch,
                kind=kind,
                torch_mlu=torch_mlu,
            ),
            fix,
        )
    ]


def _torch_mlu_vs_neuware(
    inventory: Inventory, torch_mlu: str, rows: list[Row], matrix: Matrix
) -> list[Finding]:
    installed = {key: inventory.version(key) for key, _, _ in _LIBRARIES}
    if not any(installed.values()):
        return [_neuware_missing(torch_mlu, rows)]
    if not any(row.patterns(key) for row in rows for key, _, _ in _LIBRARIES):
        return [_neuware_unpaired(torch_mlu, rows)]
    check = _LibraryCheck(inventory, torch_mlu, matrix)
    out = []
    for library in _LIBRARIES:
        key = library[0]
        version = installed[key]
        listed = [row for row in rows if row.patterns(key)]
        if version is None or not listed or any(row.matches(key, version) for row in listed):
            continue
        out.append(check.mismatch(library, version, listed[0]))
    return out


def _neuware_missing(torch_mlu: str, rows: list[Row]) -> Finding:
    """torch_mlu without any Neuware library it loads."""
    wanted = ", ".join(
        f"{label} {rows[0].first(key)}"
        for key, label, _ in _LIBRARIES
        if rows and rows[0].first(key)
    )
    return _finding(
        "torch_mlu-without-neuware",
        Severity.ERROR,
        ("torch_mlu", "neuware"),
        T(
            "torch_mlu {torch_mlu} is installed but no Neuware (CNToolkit, CNNL, CNCL) "
            "was found under $NEUWARE_HOME or /usr/local/neuware; torch_mlu depends on "
            "them (torch_mlu README) and cannot load without them.",
            torch_mlu=torch_mlu,
        ),
        T(
            "Install CNToolkit, CNNL and CNCL ({wanted}) from the Cambricon SDK ({sdk}), "
            "or use the Cambricon PyTorch Container; then export NEUWARE_HOME=<install "
            "root>.",
            wanted=wanted,
            sdk=SDK,
        )
        if wanted
        else T(
            "Install CNToolkit, CNNL and CNCL from the Cambricon SDK ({sdk}), or use the "
            "Cambricon PyTorch Container; then export NEUWARE_HOME=<install root>.",
            sdk=SDK,
        ),
    )


def _neuware_unpaired(torch_mlu: str, rows: list[Row]) -> Finding:
    """The matrix lists no Neuware library for this torch_mlu."""
    return _finding(
        "unknown-combination",
        Severity.WARNING,
        ("torch_mlu", "neuware"),
        T(
            "torch_mlu {torch_mlu} is not in the Cambricon matrix, so its pairing with "
            "the installed Neuware cannot be checked.",
            torch_mlu=torch_mlu,
        )
        if not rows
        else T(
            "torch_mlu {torch_mlu} has no published Neuware pairing, so its pairing with "
            "the installed Neuware cannot be checked.",
            torch_mlu=torch_mlu,
        ),
        T(
            "If this is a site build, describe it in a --matrix file; otherwise compare "
            "with the torch_mlu release notes of your Cambricon SDK."
        ),
    )


def _bound(key: str, pattern: str) -> str:
    """The version a row's pattern names (`>=1.25.1` names 1.25.1)."""
    return lowest(key, [pattern]) or pattern


@dataclass(frozen=True)
class _LibraryCheck:
    """One Neuware library (CNToolkit, CNNL or CNCL) against the versions torch_mlu lists."""

    inventory: Inventory
    torch_mlu: str
    matrix: Matrix

    def mismatch(self, library: tuple[str, str, str], version: str, row: Row) -> Finding:
        """The installed library is not the one `row` lists: why, and how to fix it."""
        key, label, package = library
        pattern = row.first(key)
        bound = _bound(key, pattern)
        fixes: list[str] = [
            T(
                "Install {label} {bound} or newer ({package}_{bound}-1.<distro>_<arch>.deb from "
                "the Cambricon SDK)",
                label=label,
                bound=bound,
                package=package,
            )
            if pattern.startswith(">=")
            else T(
                "Install {label} {bound} ({package}_{bound}-1.<distro>_<arch>.deb from the "
                "Cambricon SDK)",
                label=label,
                bound=bound,
                package=package,
            )
        ]
        rebuilt = self._torch_mlu_for(key, label, version)
        if rebuilt is not None:
            fixes.append(rebuilt)
        severity, why = self._verdict(library, version, pattern)
        return _finding(
            f"torch_mlu-{key}",
            severity,
            ("torch_mlu", key),
            T("{why} {cite}.", why=why, cite=cite(self.matrix, row)),
            join(fixes),
        )

    def _torch_mlu_for(self, key: str, label: str, version: str) -> str | None:
        """The other fix: a torch_mlu built for the installed library (and torch)."""
        torch = self.inventory.version("torch")
        fitting = [
            r
            for r in self.matrix.table("torch_mlu").rows
            if r.patterns(key)
            and r.matches(key, version)
            and (not torch or r.matches("torch", torch))
        ]
        best = _best_for_host(fitting, self.inventory, strict=True)
        if best is None:
            return None
        return T(
            "or a torch_mlu built for {label} {version}: {line}",
            label=label,
            version=version,
            line=_torch_mlu_line(self.inventory, best.first("torch_mlu")),
        )

    def _verdict(
        self, library: tuple[str, str, str], version: str, pattern: str
    ) -> tuple[Severity, str]:
        """An error below a minimum torch_mlu checks at import; else a warning."""
        key, label, _ = library
        bound = _bound(key, pattern)
        older = (compare(key, version, bound) or 0) < 0
        if pattern.startswith(">=") and older and key != "neuware":
            # NOTE: torch_mlu's checkRequirements() compares the runtime CNNL and CNCL with the
            # build's minimums (Cambricon/torch_mlu codegen/templates/version.cpp).
            return Severity.ERROR, T(
                "{label} {version} is older than {label} {bound}, the minimum torch_mlu "
                "{torch_mlu} requires; at import it logs 'Cambricon NEUWARE minimum version "
                "requirements not met! Require {label} minimum verion is {bound}'",
                label=label,
                version=version,
                bound=bound,
                torch_mlu=self.torch_mlu,
            )
        if pattern.startswith(">="):
            return Severity.WARNING, T(
                "{label} {version} is older than {label} {bound}, which torch_mlu {torch_mlu} is "
                "built against (a build requirement torch_mlu does not check at run time)",
                label=label,
                version=version,
                bound=bound,
                torch_mlu=self.torch_mlu,
            )
        return Severity.WARNING, T(
            "torch_mlu {torch_mlu} is published with {label} {pattern}, not {version}",
            torch_mlu=self.torch_mlu,
            label=label,
            pattern=pattern,
            version=version,
        )


def _torch_mlu_vs_driver(
    inventory: Inventory, torch_mlu: str, rows: list[Row], matrix: Matrix
) -> list[Finding]:
    driver = inventory.version("cambricon_driver")
    listed = [row for row in rows if row.patterns("cambricon_driver")]
    if not driver or not listed or any(r.matches("cambricon_driver", driver) for r in listed):
        return []
    patterns = [p for row in listed for p in row.patterns("cambricon_driver")]
    bound = lowest("cambricon_driver", patterns) or patterns[0]
    if (compare("cambricon_driver", driver, bound) or 0) >= 0:
        return []
    return [
        _finding(
            "torch_mlu-driver",
            Severity.ERROR,
            ("torch_mlu", "cambricon_driver"),
            T(
                "MLU driver {driver} is older than driver {bound}, the minimum torch_mlu "
                "{torch_mlu} requires {cite}; at import it logs 'Cambricon NEUWARE minimum "
                "version requirements not met! Require DRIVER minimum verion is {bound}'.",
                driver=driver,
                bound=bound,
                torch_mlu=torch_mlu,
                cite=cite(matrix, listed[0]),
            ),
            T(
                "Ask the administrator to install MLU driver {bound} or newer "
                "(cambricon-mlu-driver package from the Cambricon SDK, {sdk}) and reboot.",
                bound=bound,
                sdk=SDK,
            ),
        )
    ]


def _order(component: str, installed: str, pattern: str) -> int:
    """-1, 0 or 1 as `installed` is older than, within, or newer than `pattern`'s lower bound."""
    bound = lowest(component, [pattern])
    return (compare(component, installed, bound) or 0) if bound else 0


def _neuware_vs_driver(
    inventory: Inventory, matrix: Matrix, *, driver_checked: bool
) -> list[Finding]:
    neuware = inventory.version("neuware")
    driver = inventory.version("cambricon_driver")
    if not neuware or not driver:
        return []
    rows = matrix.table("neuware_driver").lookup(neuware)
    if not rows:
        return [] if driver_checked else [_neuware_unpaired_driver(neuware, driver, matrix)]
    patterns = list(dict.fromkeys(p for row in rows for p in row.patterns("cambricon_driver")))
    bound = lowest("cambricon_driver", patterns) or patterns[0]
    if _order("cambricon_driver", driver, bound) >= 0:
        return []
    return [_driver_older_than_neuware(neuware, driver, rows, matrix)]


def _neuware_unpaired_driver(neuware: str, driver: str, matrix: Matrix) -> Finding:
    """No pairing for this CNToolkit: name the nearest older one that is published."""
    table = matrix.table("neuware_driver")
    older = [row for row in table.rows if _order("neuware", neuware, row.first("neuware")) > 0]
    nearest = newest_row(older, "neuware")
    hint = (
        T(
            " The nearest published pairing is CNToolkit {neuware} with driver {drivers} {cite}.",
            neuware=nearest.first("neuware"),
            drivers=", ".join(nearest.patterns("cambricon_driver")),
            cite=cite(matrix, nearest),
        )
        if nearest is not None
        else ""
    )
    return _finding(
        "unknown-combination",
        Severity.WARNING,
        ("neuware", "cambricon_driver"),
        T(
            "CNToolkit {neuware} has no driver pairing in the matrix, so MLU driver "
            "{driver} cannot be checked against it.{hint}",
            neuware=neuware,
            driver=driver,
            hint=hint,
        ),
        T("Compare with the release notes of your Cambricon SDK."),
    )


def _driver_older_than_neuware(
    neuware: str, driver: str, rows: list[Row], matrix: Matrix
) -> Finding:
    """The driver is older than those CNToolkit is paired with; fixes: a newer driver, or the
    newest CNToolkit paired with this driver."""
    patterns = list(dict.fromkeys(p for row in rows for p in row.patterns("cambricon_driver")))
    bound = lowest("cambricon_driver", patterns) or patterns[0]
    newest = highest("cambricon_driver", patterns) or bound
    fixes: list[str] = [
        T(
            "Ask the administrator to install MLU driver {newest} or newer (paired with "
            "CNToolkit {neuware}: {patterns}) and reboot.",
            newest=newest,
            neuware=neuware,
            patterns=", ".join(patterns),
        )
    ]
    fitting = [
        row
        for row in matrix.table("neuware_driver").rows
        if _order(
            "cambricon_driver",
            driver,
            lowest("cambricon_driver", row.patterns("cambricon_driver")) or "",
        )
        >= 0
    ]
    best = newest_row(fitting, "neuware")
    if best is not None:
        fixes.append(
            T(
                "Or install CNToolkit {neuware}, paired with driver {drivers} {cite}.",
                neuware=best.first("neuware"),
                drivers=", ".join(best.patterns("cambricon_driver")),
                cite=cite(matrix, best),
            )
        )
    return _finding(
        "neuware-driver",
        Severity.WARNING,
        ("neuware", "cambricon_driver"),
        T(
            "CNToolkit {neuware} is newer than MLU driver {driver}: stacks built on it are "
            "paired with driver {patterns} {cite}. Cambricon states no CNToolkit-driver "
            "matrix, so this is the pairing in use, not a hard limit.",
            neuware=neuware,
            driver=driver,
            patterns=", ".join(patterns),
            cite=cite(matrix, rows[0]),
        ),
        join(fixes),
    )


def _torch_without_torch_mlu(inventory: Inventory, torch: str, matrix: Matrix) -> list[Finding]:
    if not (
        inventory.devices or inventory.version("neuware") or inventory.version("cambricon_driver")
    ):
        return []
    table = matrix.table("torch_mlu")
    best = _best_for_host([r for r in table.rows if r.matches("torch", torch)], inventory)
    if best is not None:
        fix = _torch_mlu_line(inventory, best.first("torch_mlu"))
    else:
        newest = _best_for_host([r for r in table.rows if r.patterns("torch")], inventory)
        fix = (
            T("No torch_mlu in the matrix is built for torch {torch}", torch=torch)
            if newest is None
            else join(
                [
                    _torch_line(inventory, newest.first("torch")),
                    _torch_mlu_line(inventory, newest.first("torch_mlu")),
                ],
                " && ",
            )
        )
    return [
        _finding(
            "torch-without-torch_mlu",
            Severity.INFO,
            ("torch", "torch_mlu"),
            T(
                "PyTorch {torch} is installed on an MLU host but torch_mlu is not, so PyTorch "
                "cannot use the MLUs.",
                torch=torch,
            ),
            fix,
        )
    ]
