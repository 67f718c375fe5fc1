"""`host.extension-torch` from what is installed: an extension library needing torch symbols
that no library of the installed torch defines fails to import with `undefined symbol`
(extensions/symbols.py reads them), and so does a flash-attn wheel built for another torch
line or C++ ABI than the installed torch's (extensions/wheels.py reads which wheel it was).
One finding per distribution: the wheel's, where both name it.

The fix rebuilds the distribution against the installed torch: with `--no-build-isolation`
pip builds it with the torch already installed, not a fresh one from the index, and with
`--no-deps` `--force-reinstall` leaves torch itself alone
(torch.utils.cpp_extension compiles against the torch it is imported from,
https://docs.pytorch.org/docs/stable/cpp_extension.html). flash-attn's `setup.py` then fetches
its prebuilt wheel for the installed torch's `major.minor` and C++ ABI (`get_wheel_url`: the
tag `torch<major.minor>cxx11abi<torch._C._GLIBCXX_USE_CXX11_ABI>`), and builds from source
with `FLASH_ATTENTION_FORCE_BUILD=TRUE`
(https://github.com/Dao-AILab/flash-attention/blob/main/setup.py).
"""

from __future__ import annotations

from chipdoctor.evidence.base import Evidence
from chipdoctor.extensions import CPP_EXTENSION_DOCS, rebuild_line
from chipdoctor.extensions.installed import dist_infos
from chipdoctor.extensions.symbols import Gap, check
from chipdoctor.extensions.torch_abi import FLAG, PUBLISHED_SOURCE, published_abi
from chipdoctor.extensions.wheels import FlashWheel, flash_wheels
from chipdoctor.i18n import T, join
from chipdoctor.model import Finding, Severity
from chipdoctor.rules.common import pip_install, release_line, release_of
from chipdoctor.rules.extension_builds import FLASH_ATTN_BUILT_AGAINST, built_against
from chipdoctor.versions import public_version


def findings(evidence: Evidence, torch: str, reported: set[str]) -> list[Finding]:
    """One error per torch extension that cannot load into the installed torch, except those
    in `reported` (the flash-attn release rule already named them)."""
    infos = dist_infos(evidence)
    result = check(evidence, infos)
    torch_abi, how = result.torch_abi, T("read from its libc10.so")
    if torch_abi is None:
        torch_abi = published_abi(torch, evidence.platform.machine)
        how = T(
            "as PyTorch's Linux x86_64 wheels of that release: {source}", source=PUBLISHED_SOURCE
        )
    out: list[Finding] = []
    named = set(reported)
    for wheel in flash_wheels(evidence, infos):
        if wheel.dist not in named and (found := _wheel_finding(wheel, torch, torch_abi, how)):
            out.append(found)
            named.add(wheel.dist)
    by_dist: dict[tuple[str, str], list[Gap]] = {}
    for gap in result.gaps:
        if gap.dist not in named:
            by_dist.setdefault((gap.dist, gap.version), []).append(gap)
    out += [
        _finding(dist, version, gaps, torch, torch_abi) for (dist, version), gaps in by_dist.items()
    ]
    return out


def _wheel_finding(
    wheel: FlashWheel, torch: str, torch_abi: str | None, how: str
) -> Finding | None:
    """An error where the wheel's torch line or C++ ABI is not the installed torch's."""
    line = release_line(torch)
    cxx11 = wheel.cxx11 if torch_abi is None else torch_abi == "cxx11"
    reasons = []
    if wheel.torch_line != line:
        reasons.append(
            T(
                "it is the wheel for torch {wheel_line}, not {line}",
                wheel_line=wheel.torch_line,
                line=line,
            )
        )
    if cxx11 != wheel.cxx11:
        reasons.append(
            T(
                "it was built with _GLIBCXX_USE_CXX11_ABI={theirs} (cxx11abi{tag}) while torch "
                "{torch} uses _GLIBCXX_USE_CXX11_ABI={ours} ({how})",
                theirs=FLAG["cxx11" if wheel.cxx11 else "old"],
                tag="TRUE" if wheel.cxx11 else "FALSE",
                torch=torch,
                ours=FLAG["cxx11" if cxx11 else "old"],
                how=how,
            )
        )
    if not reasons:
        return None
    rebuild = rebuild_line(wheel.dist, wheel.version)
    known = public_version(wheel.version) in FLASH_ATTN_BUILT_AGAINST
    if known and built_against(wheel.version, torch) is None:
        fix = T(
            "flash-attn {version} has no wheel for torch {line}: build it from source against "
            "the installed torch: FLASH_ATTENTION_FORCE_BUILD=TRUE {rebuild}",
            version=wheel.version,
            line=line,
            rebuild=rebuild,
        )
    elif torch_abi is None or not known:  # its setup.py asks torch, and builds where none
        fix = T(
            "Let flash-attn's setup.py pick its wheel for the installed torch: {rebuild}",
            rebuild=rebuild,
        )
    else:
        fixed = wheel.renamed(line, cxx11)
        fix = T(
            "Install the flash-attn {version} wheel for torch {line} and this C++ ABI: {install}; "
            "or let its setup.py pick it for the installed torch: {rebuild}",
            version=wheel.version,
            line=line,
            install=pip_install("--force-reinstall", "--no-deps", wheel.url(fixed)),
            rebuild=rebuild,
        )
    message = T(
        "flash-attn {version} was installed from {file}, which does not fit the installed "
        "torch {torch}: {reasons}; importing it fails with `undefined symbol`.",
        version=wheel.version,
        file=wheel.file_name,
        torch=torch,
        reasons=join(reasons, "; "),
    )
    return Finding("host.extension-torch", Severity.ERROR, (), message, fix)


def _finding(
    dist: str, version: str, gaps: list[Gap], torch: str, torch_abi: str | None
) -> Finding:
    libraries = join(
        [
            T(
                "{library} needs {count} torch symbol(s) that no library of torch defines "
                "(undefined symbol: {symbols})",
                library=gap.library,
                count=gap.count,
                symbols=", ".join(gap.missing),
            )
            for gap in gaps
        ],
        "; ",
    )
    other = next((g.abi for g in gaps if g.abi and torch_abi and g.abi != torch_abi), None)
    if other is not None and torch_abi is not None:
        message = T(
            "{dist} {version} was built with the other C++ ABI than the installed torch "
            "{torch} (_GLIBCXX_USE_CXX11_ABI={theirs}, torch uses {ours}): {libraries}; "
            "importing it fails with `undefined symbol`.",
            dist=dist,
            version=version,
            torch=torch,
            theirs=FLAG[other],
            ours=FLAG[torch_abi],
            libraries=libraries,
        )
    else:
        message = T(
            "{dist} {version} was built against another torch than the installed torch "
            "{torch}: {libraries}; importing it fails with `undefined symbol`.",
            dist=dist,
            version=version,
            torch=torch,
            libraries=libraries,
        )
    return Finding("host.extension-torch", Severity.ERROR, (), message, _fix(dist, version, torch))


def _fix(dist: str, version: str, torch: str) -> str:
    rebuild = rebuild_line(dist, version)
    if dist != "flash-attn":
        return T(
            "Rebuild {dist} against the installed torch: {line} ({docs}).",
            dist=dist,
            line=rebuild,
            docs=CPP_EXTENSION_DOCS,
        )
    built = built_against(version, torch)
    forced = f"FLASH_ATTENTION_FORCE_BUILD=TRUE {rebuild}"
    if built is not None and built != release_of(torch):
        return T(
            "flash-attn {version}'s prebuilt wheel for torch {line} was built against torch "
            "{built}, not {torch}: build it from source against the installed torch: {forced}",
            version=version,
            line=release_line(torch),
            built=built,
            torch=torch,
            forced=forced,
        )
    return T(
        "Reinstall flash-attn for the installed torch: {rebuild} (its setup.py fetches the "
        "prebuilt wheel for torch {line} and torch's C++ ABI); or build it from source "
        "against the installed torch: {forced}",
        rebuild=rebuild,
        line=release_line(torch),
        forced=forced,
    )
