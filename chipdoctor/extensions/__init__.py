"""Torch extensions installed beside torch: which they are, and whether their native libraries
still fit the installed torch (stack-independent: they fail on a CPU host too).

Only the question "is any installed?" lives here, importing nothing more: `check` asks it on
every host with torch, and most have none.
"""

from __future__ import annotations

from chipdoctor.evidence.base import Evidence
from chipdoctor.rules.stack_packages import requirers

#: PyTorch's page on building C++/CUDA extensions against the installed torch (and for chosen
#: GPUs: "Compute capabilities", TORCH_CUDA_ARCH_LIST="6.1 8.6").
CPP_EXTENSION_DOCS = "https://docs.pytorch.org/docs/stable/cpp_extension.html"
#: The vendors' PyTorch extensions (PEP 503 names), torch extensions by what they are.
VENDOR_EXTENSIONS = ("torch-npu", "torch-mlu", "torch-musa")


def rebuild_line(dist: str, version: str) -> str:
    """pip's line that rebuilds `dist` against the installed torch: `--no-build-isolation`
    builds with that torch rather than a fresh one from the index, `--no-deps` keeps
    `--force-reinstall` from reinstalling torch itself, and `--no-binary` builds from source
    where the index also has a wheel (else pip reinstalls the very wheel that does not fit;
    `--no-cache-dir`: nor one it built before)."""
    from chipdoctor.rules.common import pip_install

    return pip_install(
        "--no-build-isolation", "--no-cache-dir", "--force-reinstall", "--no-deps",
        f"{dist}=={version}", "--no-binary", dist,
    )  # fmt: skip


def extension_names(evidence: Evidence) -> list[str]:
    """The installed torch extensions' names, sorted: the distributions whose `Requires-Dist`
    names torch, and the vendor extensions (their libraries link against torch's, whatever
    their metadata says)."""
    packages = evidence.python.packages
    vendors = [name for name in VENDOR_EXTENSIONS if name in packages]
    return sorted({*requirers(evidence.requires_dist(), "torch"), *vendors})
