"""The symptom kinds the rules read (chipdoctor/stacks/*/rules.py): names only, no imports."""

from __future__ import annotations

#: "Torch not compiled with CUDA enabled": the installed torch is a build without CUDA.
TORCH_NOT_CUDA = "torch-not-cuda"
#: "Torch not compiled with CUDA enabled" where torch runs on its CPU build by design (torch_npu):
#: code asked CUDA for a device.
TORCH_CUDA_CALL = "torch-cuda-call"
#: "<library>: cannot open shared object file": the dynamic loader found no such library.
LIBRARY_MISSING = "library-missing"
#: "undefined symbol: <symbol>": a library was built against another version of one it links.
UNDEFINED_SYMBOL = "undefined-symbol"
#: "PyTorch and torchvision were compiled with different CUDA (major) versions": torchvision's own
#: check at import refused a torchvision built for another CUDA than torch.
TORCHVISION_CUDA = "torchvision-cuda"
#: "version `GLIBCXX_3.4.NN' not found": the loaded libstdc++ is older than a library needs.
CXX_RUNTIME_TOO_OLD = "cxx-runtime-too-old"
#: "version `GLIBC_2.NN' not found": the system's C library is older than a library needs.
GLIBC_TOO_OLD = "glibc-too-old"
