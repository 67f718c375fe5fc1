"""The AMD ROCm stack's fixed names: where its files are, its commands and variables,
and the keys of the Inventory.facts its probe writes and its rules read."""

from __future__ import annotations

ROCM_ROOT = "/opt/rocm"
# NOTE: gpustack's pyrocmsmi tries these under $ROCM_HOME / $ROCM_PATH / /opt/rocm; `version`
# holds the release ("7.2.0"), `version-dev` the build ("7.2.1-43", sometimes empty).
VERSION_FILES = (".info/version", ".info/version-rocm", ".info/version-dev", ".info/version-libs")
# NOTE: file names seen in environment reports of ROCm installs in public repositories (found
# by code search; no AMD document lists them): /opt/rocm/lib/librccl.so.1.0.60401 (ROCm
# 6.4.1), /opt/rocm-7.2.0/lib/librccl.so.1.0.70200 (soname librccl.so.1) and
# librccl.so.1.0.70101 in a ROCm base image.
RCCL_LIBRARY = "librccl"
AMDGPU_MODULE = "/sys/module/amdgpu"
AMDGPU_VERSION = f"{AMDGPU_MODULE}/version"
ROCM_SMI = "rocm-smi"
AMD_SMI = "amd-smi version"
VISIBLE_DEVICES = ("HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES")
DOCKER_DOCS = "https://rocm.docs.amd.com/projects/install-on-linux/en/latest/how-to/docker.html"

# Keys of Inventory.facts the rules read.
FACT_AMDGPU_LOADED = "rocm.amdgpu.loaded"
FACT_TOOLS = "rocm.tools"  # the ROCm tools found on PATH, comma-separated
