"""`host.libstdcxx-too-old`, `host.glibc-too-old`: a library needs a newer C++ runtime or C
library than the one the dynamic loader found, read from the failed job's log (`check --log`).

glibc's loader refuses a library whose needed symbol version the providing library lacks:
"<provider>: version `<name>' not found (required by <library>)" (elf/dl-version.c,
match_symbol; https://sourceware.org/git/?p=glibc.git;a=blob;f=elf/dl-version.c). A
`GLIBCXX_*`/`CXXABI_*` version is libstdc++'s: the library was built by a newer GCC than the one
whose runtime was loaded, often a conda environment's own `libstdcxx-ng`, which the loader finds
before the system's. A `GLIBC_*` version is the C library's: the library was built for a newer
glibc than this system's (a wheel's `manylinux_2_NN` tag names the glibc it needs, PEP 600).

Which GCC release first provides each libstdc++ symbol version is GCC's own table ("Symbol
versioning on the libstdc++.so binary", libstdc++ manual, ABI Policy and Guidelines,
https://gcc.gnu.org/onlinedocs/libstdc++/manual/abi.html, read from its source
libstdc++-v3/doc/xml/manual/abi.xml). conda-forge ships GCC's C++ runtime as `libstdcxx-ng`
(`libstdcxx` in its newer builds), versioned as the GCC release it comes from
(https://github.com/conda-forge/ctng-compilers-feedstock).
"""

from __future__ import annotations

from chipdoctor.i18n import T
from chipdoctor.model import Finding, Inventory, Severity, Symptom
from chipdoctor.rules.common import logged
from chipdoctor.symptoms.kinds import CXX_RUNTIME_TOO_OLD, GLIBC_TOO_OLD

CXX_FINDING = "host.libstdcxx-too-old"
GLIBC_FINDING = "host.glibc-too-old"
ABI_MANUAL = "https://gcc.gnu.org/onlinedocs/libstdc++/manual/abi.html"
#: PyTorch's Linux wheels moved to manylinux_2_28 (glibc 2.28 or later).
TORCH_GLIBC_SOURCES = (
    "https://github.com/pytorch/pytorch/issues/126551, "
    "https://github.com/pytorch/pytorch/pull/138732"
)

#: The first GCC release whose libstdc++ defines each symbol version (the ABI manual's list:
#: a release not listed has the labels of the one before it). CXXABI_1.3.16 is left out: the
#: manual gives it for RISC-V only (GCC 15.1.0).
FIRST_GCC: dict[str, str] = {
    "GLIBCXX_3.4": "3.4.0",
    "GLIBCXX_3.4.1": "3.4.1",
    "GLIBCXX_3.4.2": "3.4.2",
    "GLIBCXX_3.4.3": "3.4.3",
    "GLIBCXX_3.4.4": "4.0.0",
    "GLIBCXX_3.4.5": "4.0.1",
    "GLIBCXX_3.4.6": "4.0.2",
    "GLIBCXX_3.4.7": "4.0.3",
    "GLIBCXX_3.4.8": "4.1.1",
    "GLIBCXX_3.4.9": "4.2.0",
    "GLIBCXX_3.4.10": "4.3.0",
    "GLIBCXX_3.4.11": "4.4.0",
    "GLIBCXX_3.4.12": "4.4.1",
    "GLIBCXX_3.4.13": "4.4.2",
    "GLIBCXX_3.4.14": "4.5.0",
    "GLIBCXX_3.4.15": "4.6.0",
    "GLIBCXX_3.4.16": "4.6.1",
    "GLIBCXX_3.4.17": "4.7.0",
    "GLIBCXX_3.4.18": "4.8.0",
    "GLIBCXX_3.4.19": "4.8.3",
    "GLIBCXX_3.4.20": "4.9.0",
    "GLIBCXX_3.4.21": "5.1.0",
    "GLIBCXX_3.4.22": "6.1.0",
    "GLIBCXX_3.4.23": "7.1.0",
    "GLIBCXX_3.4.24": "7.2.0",
    "GLIBCXX_3.4.25": "8.1.0",
    "GLIBCXX_3.4.26": "9.1.0",
    "GLIBCXX_3.4.27": "9.2.0",
    "GLIBCXX_3.4.28": "9.3.0",
    "GLIBCXX_3.4.29": "11.1.0",
    "GLIBCXX_3.4.30": "12.1.0",
    "GLIBCXX_3.4.31": "13.1.0",
    "GLIBCXX_3.4.32": "13.2.0",
    "GLIBCXX_3.4.33": "14.1.0",
    "GLIBCXX_3.4.34": "15.1.0",
    "CXXABI_1.3": "3.4.0",
    "CXXABI_1.3.1": "4.0.0",
    "CXXABI_1.3.2": "4.3.0",
    "CXXABI_1.3.3": "4.4.0",
    "CXXABI_1.3.4": "4.5.0",
    "CXXABI_1.3.5": "4.6.0",
    "CXXABI_1.3.6": "4.7.0",
    "CXXABI_1.3.7": "4.8.0",
    "CXXABI_1.3.8": "4.9.0",
    "CXXABI_1.3.9": "5.1.0",
    "CXXABI_1.3.10": "6.1.0",
    "CXXABI_1.3.11": "7.1.0",
    "CXXABI_1.3.12": "9.1.0",
    "CXXABI_1.3.13": "11.1.0",
    "CXXABI_1.3.14": "13.1.0",
    "CXXABI_1.3.15": "14.1.0",
    "CXXABI_1.3.17": "16.1.0",
}


def findings(inventory: Inventory) -> list[Finding]:
    out: list[Finding] = []
    cxx = inventory.symptom(CXX_RUNTIME_TOO_OLD)
    if cxx is not None:
        out.append(_cxx(cxx))
    glibc = inventory.symptom(GLIBC_TOO_OLD)
    if glibc is not None:
        out.append(_glibc(glibc, inventory.version("glibc")))
    return out


def _cxx(symptom: Symptom) -> Finding:
    symver = symptom.value("symver")
    consumer = symptom.value("consumer") or T("a library")
    library = symptom.value("library") or "libstdc++.so.6"
    gcc = FIRST_GCC.get(symver)
    if gcc is None:
        needs = T(
            "{consumer} needs the C++ runtime symbol version {symver}, newer than the {library} "
            "the loader took provides",
            consumer=consumer,
            symver=symver,
            library=library,
        )
        package = "libstdcxx-ng"
    else:
        needs = T(
            "{consumer} needs the C++ runtime symbol version {symver}, which libstdc++ has from "
            "GCC {gcc} on (GCC's libstdc++ ABI manual, {manual}), but the {library} the loader "
            "took is from an older GCC",
            consumer=consumer,
            symver=symver,
            gcc=gcc,
            manual=ABI_MANUAL,
            library=library,
        )
        package = f'"libstdcxx-ng>={".".join(gcc.split(".")[:2])}"'
    return Finding(
        CXX_FINDING,
        Severity.ERROR,
        (),
        T(
            "{needs} ({logged}). It was built by a newer GCC than the C++ runtime it runs "
            "with: often a conda environment's own libstdc++ (libstdcxx-ng), which the loader "
            "finds before the system's.",
            needs=needs,
            logged=logged(symptom),
        ),
        T(
            "In a conda environment, install a newer C++ runtime there: conda install -c "
            "conda-forge {package} (conda-forge's GCC runtime, versioned as its GCC release). "
            "Otherwise upgrade the libstdc++ of the system the loader takes it from, or rebuild "
            "the library with the GCC whose runtime is installed. A workaround only: start the "
            "job with LD_PRELOAD pointing at a newer libstdc++.so.6 (`ldconfig -p | grep "
            "libstdc++` lists the system's).",
            package=package,
        ),
    )


def _glibc(symptom: Symptom, have: str | None) -> Finding:
    needed = symptom.value("glibc")
    raw = symptom.value("consumer")
    consumer = raw or T("a library")
    torch = T(
        " PyTorch's Linux wheels are built on manylinux_2_28 and need glibc 2.28 or newer "
        "({sources}).",
        sources=TORCH_GLIBC_SOURCES,
    )
    note = torch if "torch" in raw else ""
    if have and _dotted(have) >= _dotted(needed):
        return Finding(
            GLIBC_FINDING,
            Severity.WARNING,
            (),
            T(
                "{consumer} needs glibc {needed} or newer ({logged}), but this machine has glibc "
                "{have}: the log may come from another machine or container than the one "
                "checked.",
                consumer=consumer,
                needed=needed,
                logged=logged(symptom),
                have=have,
            ),
            T(
                "Check the environment the job ran in: run chipdoctor there, or with --python "
                "pointing at the job's interpreter."
            ),
        )
    here = T(", and this machine has glibc {have}", have=have) if have else ""
    return Finding(
        GLIBC_FINDING,
        Severity.ERROR,
        (),
        T(
            "{consumer} needs glibc {needed} or newer ({logged}){here}: it was built for a newer "
            "C library than this system's.{note}",
            consumer=consumer,
            needed=needed,
            logged=logged(symptom),
            here=here,
            note=note,
        ),
        T(
            "Run it on a system or in a container image with glibc {needed} or newer, or install "
            "a build of that package made for this system's glibc (a wheel whose manylinux tag "
            "is not above it: manylinux_2_17 runs on glibc 2.17).",
            needed=needed,
        ),
    )


def _dotted(version: str) -> tuple[int, ...]:
    """`2.28` -> (2, 28); what is not a number counts as 0."""
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))
