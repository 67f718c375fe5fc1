"""The NVIDIA CUDA stack's fixed names: where its files are, its commands and variables,
and the keys of the Inventory.facts its probe writes and its rules read."""

from __future__ import annotations

NVIDIA_SMI = "nvidia-smi"
#: Each GPU's compute capability (an R470 driver refuses the field, huggingface/candle#733;
#: which later branch first prints it is not published: such a host falls back to the name).
QUERY_CAPABILITY = "nvidia-smi --query-gpu=index,name,compute_cap --format=csv,noheader"
#: Where a CUDA build of torch keeps its kernels, under a site directory.
TORCH_CUDA_LIBRARY = "torch/lib/libtorch_cuda.so"
PROC_VERSION = "/proc/driver/nvidia/version"
DEFAULT_CUDA_HOME = "/usr/local/cuda"
HOME_VARIABLES = ("CUDA_HOME", "CUDA_PATH")
VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES"
DRIVER_DOWNLOAD = "https://www.nvidia.com/en-us/drivers/unix/"
# NOTE: PyTorch's CUDA wheels depend on these (cuDNN 9 for CUDA 12 and 13, cuDNN 8 for 11.x).
CUDNN_PACKAGES = ("nvidia-cudnn-cu13", "nvidia-cudnn-cu12", "nvidia-cudnn-cu11")
# NOTE: NCCL as pip installs it (PyTorch's CUDA wheels depend on one of these; they exist for
# CUDA 11, 12 and 13, each versioned as NCCL itself, e.g. 2.21.5), then as the NVIDIA NCCL
# Installation Guide's packages install it (https://docs.nvidia.com/deeplearning/nccl/
# install-guide/): libnccl2 (deb) under the multiarch directory, libnccl (rpm) under /usr/lib64,
# the O/S-agnostic tar copied into the CUDA home; each as libnccl.so.X.Y.Z beside its
# libnccl.so.2 link. Published listings: `find /usr /opt -name "libnccl.so*"` giving
# /usr/lib/x86_64-linux-gnu/libnccl.so.2.23.4, `find /usr -name "libnccl*"` in an NGC arm64
# container giving /usr/lib/aarch64-linux-gnu/libnccl.so.2.29.7, `rpm -ql` of libnccl 2.8.3
# giving /usr/lib64/libnccl.so.2.8.3, and the tar copied into /usr/local/cuda/lib64
# (wilsonify/FreshInstall ubuntu/tensorflow/nccl_2.8.sh).
NCCL_PACKAGES = ("nvidia-nccl-cu13", "nvidia-nccl-cu12", "nvidia-nccl-cu11")
NCCL_LIBRARY = "libnccl"
NCCL_SYSTEM_DIRS = ("/usr/lib/{arch}-linux-gnu", "/usr/lib64")

#: Other accelerators' PyTorch extensions: beside them a CPU build of torch is expected.
OTHER_EXTENSIONS = ("torch_npu", "torch_mlu")

# Keys of Inventory.facts the rules read.
FACT_OTHER_EXTENSION = "cuda.other_extension"
FACT_GPU_COUNT = "cuda.gpu_count"
#: `cuda.capability.<index>` = "8.6"; where it came from: "nvidia-smi" or "name".
FACT_CAPABILITY = "cuda.capability."
FACT_CAPABILITY_SOURCE = "cuda.capability_source"
#: The cubins and PTX of the installed torch (`sm_80 sm_90`, `compute_90`) and the library read.
FACT_TORCH_NATIVE = "cuda.torch_native"
FACT_TORCH_PORTABLE = "cuda.torch_portable"
FACT_TORCH_LIBRARY = "cuda.torch_library"
#: The torch extensions read for device code, numbered from 0: `cuda.extension.<n>` = the
#: library's path, with `.dist`, `.version`, `.native` and `.portable` beside it.
FACT_EXTENSION = "cuda.extension."
