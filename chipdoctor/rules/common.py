"""Helpers every stack's rules share: findings and citations, version comparison against
matrix rows, pip lines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from chipdoctor.i18n import T
from chipdoctor.matrix.model import Matrix, Row
from chipdoctor.model import Finding, Severity, Symptom
from chipdoctor.torchwheels import source_option
from chipdoctor.versions import InvalidVersion, parse_vendor, public_version, scheme_for

#: PyTorch's CPU wheel index: torch_npu and torch_mlu run on a CPU build of torch on x86_64,
#: and the index serves the matching aarch64 wheels too (Ascend/pytorch README, "Install PyTorch").
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def stack_finding(
    name: str,
    severity: Severity,
    components: tuple[str, ...],
    message: str,
    fix: str = "",
    *,
    stack: str,
) -> Finding:
    """A finding of `stack` (`<stack>.<name>`); each rules module binds its stack once."""
    return Finding(f"{stack}.{name}", severity, components, message, fix)


def logged(symptom: Symptom) -> str:
    """The one way a finding cites the failed job's log (`check --log`)."""
    return T("as the log shows at line {line}: '{quote}'", line=symptom.line, quote=symptom.text)


def cite(matrix: Matrix, row: Row) -> str:
    """The one citation format of a matrix row: its source's title and URL, then where the row
    stands (`cuda.yaml:281` for a bundled row, the full path for a site file's)."""
    return T(
        "(source: {source}; {origin})",
        source=matrix.source_text(row),
        origin=matrix.short_origin(row),
    )


def release_of(version: str) -> str:
    """`2.1.0.post10` -> `2.1.0`, `2.3.0+cu121` -> `2.3.0`: the torch release a build is for."""
    try:
        return Version(public_version(version)).base_version
    except _PackagingInvalid:
        return public_version(version)


def release_line(version: str) -> str:
    """`2.3.0+cu121` -> `2.3`: the major.minor line a release belongs to."""
    return ".".join(release_of(version).split(".")[:2])


def is_final(version: str | None) -> bool:
    """A final (or post) release; False for a pre-release, a nightly or an unreadable version."""
    try:
        return version is not None and not Version(version).is_prerelease
    except _PackagingInvalid:
        return False


def same_release(a: str, b: str) -> bool:
    try:
        return Version(release_of(a)) == Version(release_of(b))
    except _PackagingInvalid:
        return release_of(a) == release_of(b)


def compare(component: str, installed: str, reference: str) -> int | None:
    """-1, 0 or 1 as `installed` is older, the same release line, or newer; None if unreadable."""
    scheme = scheme_for(component)
    try:
        if scheme.matches(reference, installed):
            return 0
        left, right = scheme.parse(installed), scheme.parse(_bare(reference))
    except InvalidVersion:
        return None
    if left < right:
        return -1
    return 1


def _bare(pattern: str) -> str:
    """The version in a plain or `>=` pattern (the lower bound of a range)."""
    first = pattern.split(",", maxsplit=1)[0].strip().lstrip("<>=!~ ")
    for suffix in (".X", ".x", ".*"):
        if first.endswith(suffix):
            return first[: -len(suffix)]
    return first


def lowest(component: str, patterns: Iterable[str]) -> str | None:
    """The oldest version any of `patterns` admits (by their lower bounds)."""
    return _extreme(component, patterns, newest=False)


def highest(component: str, patterns: Iterable[str]) -> str | None:
    """The newest version named by `patterns` (by their lower bounds)."""
    return _extreme(component, patterns, newest=True)


def _extreme(component: str, patterns: Iterable[str], *, newest: bool) -> str | None:
    scheme = scheme_for(component)
    best: tuple[Any, str] | None = None
    for pattern in patterns:
        text = _bare(pattern)
        try:
            parsed = scheme.parse(text)
        except InvalidVersion:
            continue
        if best is None or (parsed > best[0] if newest else parsed < best[0]):
            best = (parsed, text)
    return None if best is None else best[1]


def newest_row(rows: Iterable[Row], component: str) -> Row | None:
    """The row whose first pattern for `component` is the newest release (pre-releases skipped:
    a fix should never steer a user to an rc or dev build)."""
    best: tuple[object, Row] | None = None
    scheme = scheme_for(component)
    for row in rows:
        try:
            parsed = scheme.parse(_bare(row.first(component)))
        except InvalidVersion:
            continue
        if getattr(parsed, "is_prerelease", False):
            continue
        if best is None or parsed > best[0]:  # type: ignore[operator]
            best = (parsed, row)
    return None if best is None else best[1]


def vendor_in_ranges(version: str, ranges: Iterable[tuple[str, str | None]]) -> bool | None:
    """Whether a vendor version lies in any `[lo,hi]` range as Huawei's version files write them.

    NOTE: an upper bound such as `24.1.` (trailing dot) means "any 24.1 release", and a bound
    like `7.7.99` is inclusive; a range with only one end is that one release line.
    """
    try:
        value = parse_vendor(version)
    except InvalidVersion:
        return None
    seen = False
    for low, high in ranges:
        try:
            lo = parse_vendor(low.rstrip("."))
            hi = parse_vendor((high or low).rstrip("."))
        except InvalidVersion:
            continue
        seen = True
        if value.startswith(lo) or value.startswith(hi) or lo <= value <= hi:
            return True
    return False if seen else None


def pip_install(*requirements: str, index_url: str | None = None) -> str:
    """One pasteable line: a requirement the shell would mangle (`<`, `>`, `!`, a `*` glob, a
    marker's `;`) is quoted."""
    line = "pip install " + " ".join(
        f'"{r}"' if any(c in r for c in "<>!*; ") else r for r in requirements
    )
    return f"{line} {source_option(index_url)} {index_url}" if index_url else line


def tag_cuda(version: str) -> str | None:
    """The CUDA version a `+cuXYZ` tag names, whose last digit is the minor (`cu92`: 9.2,
    `cu113`: 11.3, `cu130`: 13.0); None for any other version."""
    local = version.partition("+")[2].lower()
    digits = local[2:]
    if not local.startswith("cu") or not digits.isdigit() or len(digits) < 2:
        return None
    return f"{int(digits[:-1])}.{digits[-1]}"


def cuda_tag(cuda: str) -> str:
    """`12.6` -> `cu126`: the local tag of PyTorch's wheels for a CUDA release (tag_cuda's
    inverse)."""
    return "cu" + cuda.replace(".", "")
