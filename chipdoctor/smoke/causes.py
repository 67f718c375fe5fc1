"""Known failure classes of the smoke test: error text -> likely cause and fix.

Tables of data, searched in order (most specific first): the first entry whose pattern matches
the error text of a failed step (or a line of the failed job's log, `check --log`) gives the
cause and the fix. Each stack lists its own
(chipdoctor/stacks/<name>/smoke.py, through its descriptor's `known_failures`); the entries
here hold for any stack. Each entry cites where its text was seen; /work/shared/reference/
ascend.md §7 and other-stacks.md collect them. `related` lists (fnmatch patterns of) the static
check's finding ids that explain the same failure, so a diagnosis can point at the matrix
finding when the normal check found one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache

from chipdoctor.i18n import T
from chipdoctor.model import FACT_TORCH_CUDA, Inventory
from chipdoctor.smoke.failures import KnownFailure, known
from chipdoctor.stacks import STACKS
from chipdoctor.symptoms.kinds import (
    CXX_RUNTIME_TOO_OLD,
    GLIBC_TOO_OLD,
    LIBRARY_MISSING,
    TORCHVISION_CUDA,
    UNDEFINED_SYMBOL,
)


@dataclass(frozen=True)
class Diagnosis:
    cause: str
    fix: str
    #: Ids of the static check's findings that explain the same failure.
    related: tuple[str, ...]


#: Reasons that hold whatever the stack, searched before the stacks' own.
ANY_STACK_FIRST: tuple[KnownFailure, ...] = (
    # NOTE: flagos-ai/build-infra vllm-repack/E2E-REPORT.md §2.4.
    known(
        r"_ARRAY_API not found|compiled using NumPy 1\.x cannot be run in",
        T("this build was compiled against NumPy 1.x, but NumPy 2 is installed"),
        T('pip install "numpy<2"'),
    ),
    # NOTE: glibc's dynamic loader (elf/dl-version.c, match_symbol: "version `%s' not found
    # (required by %s)", after the providing library's name;
    # https://sourceware.org/git/?p=glibc.git;a=blob;f=elf/dl-version.c); FFTAI/Wiki-GRx-Gym#6
    # (GLIBCXX_3.4.32, a conda environment's libstdc++), pytorch/pytorch#123649 (GLIBC_2.28,
    # libtorch_python.so). rules/runtime_versions.py names the GCC release or glibc needed.
    # The library is read from a word's start only: from every position, a long word is
    # scanned again and again (seconds for a 4 MiB log; bench_log.py).
    known(
        r"(?:(?<!\S)(?P<library>\S*libstdc\+\+\.so[\d.]*): )?version [`'\u2018]"
        r"(?P<symver>(?:GLIBCXX|CXXABI)_[\d.]*\d)['\u2019] not found"
        r"(?: \(required by (?P<consumer>[^)]+)\))?",
        T(
            "the libstdc++ the loader took is older than the C++ runtime {symver} needs: the "
            "library was built by a newer GCC"
        ),
        T(
            "In a conda environment: conda install -c conda-forge libstdcxx-ng (a newer GCC "
            "runtime); otherwise upgrade the system's libstdc++. LD_PRELOAD of a newer "
            "libstdc++.so.6 is a workaround only"
        ),
        related=("host.libstdcxx-too-old",),
    ).in_log(kind=CXX_RUNTIME_TOO_OLD),
    known(
        r"version [`'\u2018]GLIBC_(?P<glibc>[\d.]*\d)['\u2019] not found"
        r"(?: \(required by (?P<consumer>[^)]+)\))?",
        T("this system's glibc is older than {glibc}, which the library was built for"),
        T(
            "Run it on a system or container image with glibc {glibc} or newer, or install a "
            "build of the package made for this system's glibc"
        ),
        related=("host.glibc-too-old",),
    ).in_log(kind=GLIBC_TOO_OLD),
)

#: The last resort, after every stack's reasons and no-device entries.
ANY_STACK_LAST: tuple[KnownFailure, ...] = (
    # NOTE: torch 2.5+ loads device extensions at `import torch` (TORCH_DEVICE_BACKEND_AUTOLOAD,
    # ascend.md §6.5); the library it failed on is named earlier in the text and matched above.
    known(
        r"Failed to load the backend extension: (?P<module>\w+)",
        T("`import torch` loads {module} automatically, and loading it failed"),
        T(
            "Fix the error the message names; to import torch without {module} meanwhile: "
            "export TORCH_DEVICE_BACKEND_AUTOLOAD=0"
        ),
    ),
    # NOTE: pip's conflict report after an install: "{name} {version} requires {requirement},
    # but you have {dep_name} {dep_version} which is incompatible." (pip 23.2.1,
    # pip/_internal/commands/install.py, _warn_about_conflicts); pip 20.2 and older wrote "has
    # requirement …, but you'll have …" (as pytorch/pytorch#40013 and
    # MicrosoftDocs/pytorchfundamentals#23 show it).
    known(
        r"(?<![\w.-])(?P<name>[\w.-]+) (?P<version>\S+) (?:has requirement|requires) "
        r"(?P<requirement>.{1,300}?), "
        r"but you(?:'ll)? have (?P<dep>[\w.-]+) (?P<dep_version>\S+) which is incompatible",
        T("{name} {version} needs {requirement}, but {dep} {dep_version} is installed"),
        T(
            "Install the {dep} that {name} {version} names ({requirement}), or the {name} made "
            "for {dep} {dep_version} (the findings of `chipdoctor check` name the exact line)"
        ),
        related=("host.unmet-requirement",),
    ),
    # NOTE: torchvision/extension.py `_check_cuda_version`, run at `import torchvision`:
    # "Detected that PyTorch and torchvision were compiled with different CUDA versions.
    # PyTorch has CUDA Version={t_major}.{t_minor} and torchvision has CUDA
    # Version={tv_major}.{tv_minor}. Please reinstall the torchvision that matches your PyTorch
    # install." (major and minor compared, as in the torchvision 0.15.2 wheel); from 0.16.0
    # (pytorch/vision#7726) "... different CUDA major versions. ..." and the major alone (the
    # 0.16.0 wheel). The versions are optional: a wrapped log line keeps only the head.
    known(
        r"PyTorch and torchvision were compiled with different CUDA (?:major )?versions"
        r"(?:\.\s*PyTorch has CUDA Version=(?P<pytorch_cuda>\d+\.\d+) and torchvision has "
        r"CUDA Version=(?P<vision_cuda>\d+\.\d+))?",
        T(
            "torchvision was compiled for another CUDA than the installed torch, and its own "
            "check refuses it at import"
        ),
        T(
            "Install the torchvision build made for torch {torch} (the findings of `chipdoctor "
            "check` name the exact line)"
        ),
        related=("host.companion-build",),
    ).in_log(finding="host.companion-build", kind=TORCHVISION_CUDA),
    # NOTE: torch.library.register_fake on an operator no library registered: torch 2.13.0
    # raises "RuntimeError: operator torchvision::nms does not exist" (run with its CPU wheel);
    # torchvision registers torchvision::nms's fake kernel at import
    # (torchvision/_meta_registrations.py), so a torchvision whose C++ ops did not load against
    # the installed torch fails so (pytorch/pytorch#122494, Lightning-AI/torchmetrics#3098).
    known(
        r"operator (?P<operator>torchvision::\w+) does not exist",
        T(
            "torchvision's compiled operators did not load: this torchvision is not the build "
            "made for the installed torch ({operator} is missing)"
        ),
        T(
            "Install the torchvision build made for torch {torch} (the findings of `chipdoctor "
            "check` name the exact line)"
        ),
        related=("host.companion-build", "host.companion-release", "host.unmet-requirement"),
    ),
    # NOTE: CPython's ModuleNotFoundError text (Lib/importlib/_bootstrap.py: _ERR_MSG_PREFIX =
    # 'No module named ', the name after it as its repr).
    known(
        r"No module named '(?P<module>[\w.]+)'",
        T("{module} is not installed in this interpreter"),
        T(
            "Install it into the interpreter chipdoctor inspected (the findings of "
            "`chipdoctor check` name the version that fits)"
        ),
    ),
    # NOTE: glibc's dynamic loader (elf/dl-load.c, _dl_map_object: _dl_signal_error (errno,
    # name, NULL, N_("cannot open shared object file")); dlerror writes "<name>: <that>:
    # <strerror>"; https://sourceware.org/git/?p=glibc.git;a=blob;f=elf/dl-load.c).
    known(
        r"(?<![\w.+-])(?P<library>lib[\w.+-]+?\.so(?:\.[\d.]+)?): cannot open shared object "
        r"file",
        T(
            "the dynamic loader cannot find {library}: the package that ships it is not "
            "installed, or its directory is not on LD_LIBRARY_PATH"
        ),
        T(
            "Find it with `ldconfig -p | grep {library}` and add its directory to "
            "LD_LIBRARY_PATH, or install the package that provides it"
        ),
        related=("*.library-not-found",),
    ).in_log(kind=LIBRARY_MISSING),
    # NOTE: glibc's dynamic loader (elf/dl-lookup.c, _dl_lookup_symbol_x: "undefined symbol:
    # " and the symbol's name; https://sourceware.org/git/?p=glibc.git;a=blob;f=elf/dl-lookup.c).
    known(
        r"undefined symbol: (?P<symbol>\S+)",
        T(
            "a compiled extension was built against other versions of the libraries it links "
            "to (undefined symbol {symbol})"
        ),
        T(
            "Reinstall the package whose library the error names, in the build that matches the "
            "installed torch and toolkit"
        ),
        related=(
            "host.extension-torch",
            "ascend.torch-torch_npu",
            "ascend.torch_npu-cann",
            "cambricon.torch-torch_mlu",
        ),
    ).in_log(kind=UNDEFINED_SYMBOL),
)


@cache
def known_failures() -> tuple[KnownFailure, ...]:
    """Every known failure in search order: any stack's first reasons, each stack's reasons,
    each stack's no-device entries, then the last resort (shared entries listed once)."""
    pairs = [stack.known_failures() for stack in STACKS.values()]
    ordered = [
        *ANY_STACK_FIRST,
        *(f for reasons, _ in pairs for f in reasons),
        *(f for _, no_device in pairs for f in no_device),
        *ANY_STACK_LAST,
    ]
    return tuple(dict.fromkeys(ordered))


def diagnose(
    text: str,
    *,
    stacks: Collection[str],
    context: Mapping[str, str],
    finding_ids: Collection[str],
) -> Diagnosis | None:
    """The first known failure `text` matches, with its templates filled in; None if unknown.

    `context` fills the templates' placeholders (`set_env`, `torch`, `torch_cuda`);
    `finding_ids` are the static check's findings, searched for `related` ones.
    """
    for failure in known_failures():
        if failure.stacks and not set(failure.stacks) & set(stacks):
            continue
        match = failure.pattern.search(text)
        if match is None:
            continue
        values = {k: v for k, v in match.groupdict().items() if v}
        return fill(failure, values, context=context, finding_ids=finding_ids)
    return None


def fill(
    failure: KnownFailure,
    values: Mapping[str, str],
    *,
    context: Mapping[str, str],
    finding_ids: Collection[str],
) -> Diagnosis:
    """`failure`'s cause and fix for the values its pattern matched, with the static check's
    findings that explain it."""
    params = {**context, **values}
    related = tuple(
        finding_id
        for finding_id in finding_ids
        if any(fnmatchcase(finding_id, pattern) for pattern in failure.related)
    )
    # NOTE: an entry's own parameters (a URL it names) stay; the matched values fill the rest.
    return Diagnosis(
        T(failure.cause.template, **{**failure.cause.params, **params}),
        T(failure.fix.template, **{**failure.fix.params, **params}),
        related,
    )


def context_of(inventory: Inventory) -> dict[str, str]:
    """What fills the catalog's placeholders (`set_env`, `torch`, `torch_cuda`) on this host."""
    from chipdoctor.stacks.ascend.facts import DEFAULT_SET_ENV, FACT_SET_ENV

    torch = inventory.version("torch") or ""
    return {
        "set_env": inventory.facts.get(FACT_SET_ENV) or DEFAULT_SET_ENV,
        "torch": torch.split("+", 1)[0] or "<version>",
        "torch_cuda": inventory.facts.get(FACT_TORCH_CUDA) or "unknown",
    }
