"""The AMD ROCm stack's fixed names: where its files are, its commands and variables,
and the keys of the Inventory.facts its probe writes and its rules read."""

from __future__ import annotations

ROCM_ROOT = "/opt/rocm"
# NOTE: gpustack's pyrocmsmi tries these under $ROCM_HOME / $ROCM_PATH / /opt/rocm; `version`
# holds the release ("7.2.0"), `version-dev` the build ("7.2.1-43", sometimes empty).
VERSION_FILES = (".info/version", ".info/version-rocm", ".info/version-dev", ".info/version-libs")
AMDGPU_MODULE = "/sys/module/amdgpu"
AMDGPU_VERSION = f"{AMDGPU_MODULE}/version"
ROCM_SMI = "rocm-smi"
AMD_SMI = "amd-smi version"
VISIBLE_DEVICES = ("HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES")
DOCKER_DOCS = "https://rocm.docs.amd.com/projects/install-on-linux/en/latest/how-to/docker.html"

# Keys of Inventory.facts the rules read.
FACT_AMDGPU_LOADED = "rocm.amdgpu.loaded"
FACT_TOOLS = "rocm.tools"  # the ROCm tools found on PATH, comma-separated
