"""Which torch symbols each installed extension library needs that the installed torch does not
export: the `ImportError: …/<ext>.so: undefined symbol: _ZN3c10…` of an extension built against
another torch (or the other C++ ABI), told without importing anything.

Per extension library (extensions/installed.py), its undefined symbols in torch's namespaces
(loader/symbols.py) are looked up in torch's own libraries (`torch/lib/*.so` of the site that
holds torch) and in the extension's other libraries (torch_npu's `_C` needs `libtorch_npu.so`);
what none of them defines is what the loader cannot resolve. All through the evidence, so a
snapshot records and replays the same reads. Where a library of torch cannot be read, nothing
is claimed: a symbol it might define is not "missing".
"""

from __future__ import annotations

from dataclasses import dataclass

from chipdoctor.evidence.base import Evidence, NotRecorded, UnreadableError
from chipdoctor.extensions.installed import Extension, dist_infos, torch_extensions
from chipdoctor.loader.symbols import TORCH_ABI_PROBES, cxx11_marked, old_abi_marked

#: torch's libraries read, at most (a CUDA wheel's torch/lib holds about a dozen).
MAX_TORCH_LIBRARIES = 32
#: The missing symbols kept per library (the count is kept whole).
MAX_SHOWN = 3


@dataclass(frozen=True)
class Gap:
    """One extension library the loader cannot load into the installed torch."""

    dist: str
    version: str
    library: str
    missing: tuple[str, ...]  # the first MAX_SHOWN, in the library's own order
    count: int
    #: "cxx11" or "old": the C++ ABI of the library's string-taking torch symbols, where any.
    abi: str | None


@dataclass(frozen=True)
class SymbolCheck:
    torch_abi: str | None  # "cxx11", "old", or None where libc10.so does not say
    gaps: tuple[Gap, ...]


def torch_libraries(evidence: Evidence, infos: dict[tuple[str, str], tuple[str, str]]) -> list[str]:
    """The `*.so` files of torch/lib in the site that holds the installed torch."""
    version = evidence.python.packages.get("torch")
    where = infos.get(("torch", version)) if version else None
    if where is None:
        return []
    directory = f"{where[0]}/torch/lib"
    try:
        entries = evidence.list_dir(directory) or []
    except UnreadableError:
        return []
    names = [entry for entry in entries if entry.startswith("lib") and entry.endswith(".so")]
    return [f"{directory}/{name}" for name in sorted(names)[:MAX_TORCH_LIBRARIES]]


def check(
    evidence: Evidence, infos: dict[tuple[str, str], tuple[str, str]] | None = None
) -> SymbolCheck:
    """The extension libraries with torch symbols no library of torch defines (none where
    nothing can be told: no torch, no extension library, a torch library unreadable), and
    the C++ ABI torch's libc10.so was built with."""
    if "torch" not in evidence.python.packages:
        return SymbolCheck(None, ())
    infos = dist_infos(evidence) if infos is None else infos
    libraries = torch_libraries(evidence, infos)
    torch_abi = _torch_abi(evidence, libraries)
    extensions = [e for e in torch_extensions(evidence, infos) if e.libraries]
    needs = _needs(evidence, extensions) if libraries else {}
    wanted = {n for names in needs.values() for n in names}
    unresolved = _unresolved(evidence, libraries, wanted) if wanted else None
    if unresolved is None:  # nothing needed, or a library of torch that cannot be read
        return SymbolCheck(torch_abi, ())
    gaps: list[Gap] = []
    for extension in extensions:
        own = [lib for lib in extension.libraries if lib in needs]
        asked = {n for lib in own for n in needs[lib] if n in unresolved}
        # NOTE: a library of its own may define them (torch_npu's `_C` needs libtorch_npu.so);
        # a distribution of one library has nothing else to ask.
        others = list(extension.libraries) if len(extension.libraries) > 1 else []
        left = _unresolved(evidence, others, asked) if asked else set()
        if left is None:
            continue
        for lib in own:
            missing = [name for name in needs[lib] if name in left]
            if missing:
                gaps.append(
                    Gap(
                        extension.name,
                        extension.version,
                        lib,
                        tuple(missing[:MAX_SHOWN]),
                        len(missing),
                        _abi(needs[lib]),
                    )
                )
    return SymbolCheck(torch_abi, tuple(gaps))


def _needs(evidence: Evidence, extensions: list[Extension]) -> dict[str, tuple[str, ...]]:
    """Library -> the torch symbols it needs; a library that cannot be read is left out."""
    found: dict[str, tuple[str, ...]] = {}
    for extension in extensions:
        for library in extension.libraries:
            try:
                names = evidence.needed_symbols(library)
            except (NotRecorded, UnreadableError):
                continue
            if names:
                found[library] = names
    return found


def _unresolved(evidence: Evidence, libraries: list[str], wanted: set[str]) -> set[str] | None:
    """The names of `wanted` none of `libraries` defines, each library asked only for what
    the earlier ones left; None when a library that exists cannot be read."""
    left = set(wanted)
    for library in libraries:
        if not left:
            break
        try:
            found = evidence.defined_symbols(library, tuple(sorted(left)))
        except (NotRecorded, UnreadableError):
            return None
        left -= found or frozenset()
    return left


def _abi(names: tuple[str, ...]) -> str | None:
    if any(cxx11_marked(name) for name in names):
        return "cxx11"
    if any(old_abi_marked(name) for name in names):
        return "old"
    return None


def _torch_abi(evidence: Evidence, libraries: list[str]) -> str | None:
    """The C++ ABI libc10.so was built with: which form of torchCheckFail it exports."""
    c10 = next((lib for lib in libraries if lib.endswith("/libc10.so")), None)
    if c10 is None:
        return None
    try:
        found = evidence.defined_symbols(c10, tuple(sorted(TORCH_ABI_PROBES.values())))
    except (NotRecorded, UnreadableError):
        return None
    abis = [abi for abi, name in TORCH_ABI_PROBES.items() if name in (found or ())]
    return abis[0] if len(abis) == 1 else None
