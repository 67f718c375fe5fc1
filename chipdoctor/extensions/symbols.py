"""Which torch symbols each installed extension library needs that the installed torch does not
export: the `ImportError: …/<ext>.so: undefined symbol: _ZN3c10…` of an extension built against
another torch (or the other C++ ABI), told without importing anything.

Per extension library (extensions/installed.py), its undefined symbols in torch's namespaces
(loader/symbols.py) are looked up in torch's own libraries (`torch/lib/*.so` of the site that
holds torch) and in the extension's other libraries (torch_npu's `_C` needs `libtorch_npu.so`);
and in the vendor extensions' libraries (an extension built for torch_musa needs
`c10::musa::…`, which torch_musa defines, not torch: MooreThreads/torch_musa
torch_musa/csrc/core/MUSAStream.h); what none of them defines is what
the loader cannot resolve. One evidence read per library
(`unresolved_symbols`), so a snapshot records what was missing, not the thousands of names a
large extension needs. Where a library (or one of torch's) cannot be read, nothing is claimed
for it: a symbol an unread library might define is not "missing".
"""

from __future__ import annotations

from dataclasses import dataclass

from chipdoctor.evidence.base import Evidence, NotRecorded, UnreadableError
from chipdoctor.extensions import VENDOR_EXTENSIONS
from chipdoctor.extensions.installed import dist_infos, torch_extensions
from chipdoctor.loader.symbols import TORCH_ABI_PROBES

#: torch's libraries read, at most (a CUDA wheel's torch/lib holds about a dozen).
MAX_TORCH_LIBRARIES = 32
#: torch's own libraries (libc10.so, libc10_cuda.so, libtorch_cpu.so, libtorch_python.so, …),
#: read before the others a wheel bundles in torch/lib (a ROCm wheel's hip, rocBLAS, MIOpen
#: …), so that the cap never leaves out a library that defines torch's symbols.
TORCH_OWN = ("libc10", "libtorch", "libcaffe2", "libshm")
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
    """The `*.so` files of torch/lib in the site that holds the installed torch, torch's own
    kept first where there are more than are read."""
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
    names.sort(key=lambda name: (not name.startswith(TORCH_OWN), name))
    # NOTE: in name order again: a snapshot answers for the providers it asked, in its order.
    return [f"{directory}/{name}" for name in sorted(names[:MAX_TORCH_LIBRARIES])]


def check(
    evidence: Evidence, infos: dict[tuple[str, str], tuple[str, str]] | None = None
) -> SymbolCheck:
    """The extension libraries with torch symbols no library of torch defines (none where
    nothing can be told: no torch, no extension library, a library that cannot be read), and
    the C++ ABI torch's libc10.so was built with."""
    if "torch" not in evidence.python.packages:
        return SymbolCheck(None, ())
    infos = dist_infos(evidence) if infos is None else infos
    libraries = torch_libraries(evidence, infos)
    torch_abi = _torch_abi(evidence, libraries)
    if not libraries:
        return SymbolCheck(torch_abi, ())
    gaps: list[Gap] = []
    extensions = torch_extensions(evidence, infos)
    vendors = [lib for ext in extensions if ext.name in VENDOR_EXTENSIONS for lib in ext.libraries]
    for extension in extensions:
        for library in extension.libraries:
            # NOTE: a library of its own may define them (torch_npu's `_C` needs
            # libtorch_npu.so), so the distribution's other libraries are asked after torch's,
            # then the vendor extensions'.
            own = [lib for lib in extension.libraries if lib != library]
            others = tuple(dict.fromkeys([*own, *(lib for lib in vendors if lib != library)]))
            try:
                found = evidence.unresolved_symbols(library, (*libraries, *others))
            except (NotRecorded, UnreadableError):
                continue
            if found is not None and found.count:
                gaps.append(
                    Gap(
                        extension.name,
                        extension.version,
                        library,
                        found.first[:MAX_SHOWN],
                        found.count,
                        found.abi,
                    )
                )
    return SymbolCheck(torch_abi, tuple(gaps))


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
