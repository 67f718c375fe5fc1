"""The C++ ABI (`_GLIBCXX_USE_CXX11_ABI`) the installed torch was built with: read from its own
libc10.so where it is there (extensions/symbols.py: which form of `c10::detail::torchCheckFail`
it exports), else what PyTorch's published Linux x86_64 wheels of that release use.

PyTorch's pip wheels were built with `_GLIBCXX_USE_CXX11_ABI=0` (maintainers in
https://github.com/pytorch/pytorch/issues/17492 and /51039: "the pip wheel file is built with
cxx11_abi=0"); the Linux builds switched to manylinux_2_28 and `_GLIBCXX_USE_CXX11_ABI=1` in
the nightlies of December 2024 (https://github.com/pytorch/pytorch/pull/143423, RFC
https://github.com/pytorch/pytorch/issues/123649), so from torch 2.7 on ("we do expect 2.7 to
be cxx11 ABI by default", https://github.com/pytorch/pytorch/issues/143962). In 2.6 the
builds differ: those with CUDA 12.6.3, ROCm 6.2.4 and XPU use `_GLIBCXX_USE_CXX11_ABI=1`
(release blog, https://pytorch.org/blog/pytorch2-6/), the CPU build and the other CUDA ones
the pre-C++11 ABI ("only cuda-12.6 binaries should be like that", #143962;
https://github.com/pytorch/xla/issues/8641); any other 2.6 build is left unsaid. A `cxx11` in
the local tag (`2.6.0+cpu.cxx11.abi`) names the C++11 build. Other platforms are not said.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from chipdoctor.versions import public_version

CXX11, OLD = "cxx11", "old"
#: `_GLIBCXX_USE_CXX11_ABI` of each ABI name.
FLAG = {CXX11: "1", OLD: "0"}
PUBLISHED_SOURCE = (
    "https://github.com/pytorch/pytorch/issues/51039, https://pytorch.org/blog/pytorch2-6/, "
    "https://github.com/pytorch/pytorch/pull/143423"
)
#: The builds before 2.6 that #51039 speaks of (PyPI's, CPU, CUDA, ROCm); an XPU build of then
#: is left unsaid.
_BEFORE_2_6 = ("cpu", "cu", "rocm")
#: torch 2.6's local tags by ABI ("": the wheel on PyPI, not a cu126 one).
_2_6 = {
    CXX11: ("cu126", "rocm6.2.4", "xpu"),
    OLD: ("", "cpu", "cu118", "cu124"),
}


def published_abi(version: str, machine: str) -> str | None:
    """The C++ ABI of PyTorch's published Linux wheel of `version` on `machine`, where sourced."""
    if machine != "x86_64":
        return None
    local = version.partition("+")[2].lower()
    if "cxx11" in local:
        return CXX11
    try:
        parsed = Version(public_version(version))
    except InvalidVersion:
        return None
    release = parsed.release[:2]
    if release == (2, 6):  # the nightlies switched during 2.6's cycle
        return (
            None if parsed.is_prerelease else next((a for a, t in _2_6.items() if local in t), None)
        )
    if release > (2, 6):
        return CXX11
    return OLD if local == "" or local.startswith(_BEFORE_2_6) else None
