"""`host.extension-torch` from the libraries themselves: an extension library needing torch
symbols that no library of the installed torch defines fails to import with `undefined symbol`
(extensions/symbols.py reads them). One finding per distribution.

The fix rebuilds the distribution against the installed torch: with `--no-build-isolation`
pip builds it with the torch already installed, not a fresh one from the index
(torch.utils.cpp_extension compiles against the torch it is imported from,
https://docs.pytorch.org/docs/stable/cpp_extension.html). flash-attn's `setup.py` then fetches
its prebuilt wheel for the installed torch's `major.minor` and C++ ABI (`get_wheel_url`: the
tag `torch<major.minor>cxx11abi<torch._C._GLIBCXX_USE_CXX11_ABI>`), and builds from source
with `FLASH_ATTENTION_FORCE_BUILD=TRUE`
(https://github.com/Dao-AILab/flash-attention/blob/main/setup.py).
"""

from __future__ import annotations

from chipdoctor.extensions.symbols import Gap, SymbolCheck
from chipdoctor.i18n import T, join
from chipdoctor.model import Finding, Severity
from chipdoctor.rules.common import pip_install, release_line, release_of
from chipdoctor.rules.extension_builds import built_against

CPP_EXTENSION_DOCS = "https://docs.pytorch.org/docs/stable/cpp_extension.html"
#: `_GLIBCXX_USE_CXX11_ABI` of each ABI name extensions/symbols.py gives.
_ABI_FLAG = {"cxx11": "1", "old": "0"}


def findings(check: SymbolCheck, torch: str, reported: set[str]) -> list[Finding]:
    """One error per distribution with an unloadable library, except those in `reported`
    (the flash-attn release rule already named them)."""
    by_dist: dict[tuple[str, str], list[Gap]] = {}
    for gap in check.gaps:
        if gap.dist not in reported:
            by_dist.setdefault((gap.dist, gap.version), []).append(gap)
    return [
        _finding(dist, version, gaps, torch, check.torch_abi)
        for (dist, version), gaps in by_dist.items()
    ]


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
            theirs=_ABI_FLAG[other],
            ours=_ABI_FLAG[torch_abi],
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
    rebuild = pip_install(
        "--no-build-isolation", "--no-cache-dir", "--force-reinstall", f"{dist}=={version}"
    )
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
