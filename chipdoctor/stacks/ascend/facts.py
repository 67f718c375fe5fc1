"""The Ascend stack's fixed names: where its files are, its commands and variables,
and the keys of the Inventory.facts its probe writes and its rules read."""

from __future__ import annotations

ASCEND_ROOT = "/usr/local/Ascend"
DRIVER_INFO = f"{ASCEND_ROOT}/driver/version.info"
FIRMWARE_INFO = f"{ASCEND_ROOT}/firmware/version.info"
CANN_INSTALL_INFO = "/etc/Ascend/ascend_cann_install.info"
NPU_SMI = "npu-smi info"
VISIBLE_DEVICES = "ASCEND_RT_VISIBLE_DEVICES"
DRIVER_PACKAGE = "Ascend-hdk-<chip>-npu-driver_<version>_linux-<arch>.run"
#: Where every CANN package (toolkit, kernels/ops, NNAL) is downloaded.
CANN_DOWNLOAD = "https://www.hiascend.com/developer/download/community/result?module=cann"

#: The packages of a CANN release besides the toolkit (ascend.md §0, from the hiascend MindSDK
#: 7.3.0 Index guide and Ascend/cann-container-image's Dockerfiles): the operator kernels
#: before 8.5.0 and the ops package from 8.5.0 (named in packages.py), and NNAL (ATB,
#: libatb.so).
NNAL_PACKAGE = "Ascend-cann-nnal_{version}_linux-{arch}.run"
NNAL_SET_ENV = "{ascend}/nnal/atb/set_env.sh"
#: Distributions that run ATB operators through torch_npu, so need NNAL: vllm-ascend
#: ("If you encounter 'libatb.so not found' errors ... ensure NNAL is properly installed",
#: vllm-ascend installation docs, vllm-project/vllm-ascend PR #5235 and issue #2727).
ATB_USERS = ("vllm-ascend",)
#: Packages whose pairing with CANN, torch_npu and vLLM the projects publish as tables only
#: (matrices/ascend.yaml: vllm_ascend, vllm_ascend_cann, triton_ascend); PEP 503 names.
ECOSYSTEM = ("vllm-ascend", "vllm", "triton-ascend")

# Keys of Inventory.facts the rules read.
FACT_ATB_USERS = "ascend.atb_users"
#: `ascend.package.<name>`: the installed version of each ECOSYSTEM package.
FACT_PACKAGE = "ascend.package.{name}"
#: The stack packages vllm-ascend's own Requires-Dist names (space-separated PEP 503 names),
#: present only where its METADATA was read: a pin there is judged by the requirements rule.
FACT_VLLM_ASCEND_PINS = "ascend.vllm-ascend.requires"
FACT_TOOLKIT_COMPATIBLE = "ascend.toolkit.compatible_version"
FACT_DRIVER_INNER = "ascend.driver.innerversion"
FACT_DRIVER_FW_RANGE = "ascend.driver.compatible_version_fw"
FACT_FIRMWARE_DRV_RANGE = "ascend.firmware.compatible_version_drv"
FACT_DRIVER_INFO_SOURCE = "ascend.driver.source"
FACT_TOOLKIT_SOURCE = "ascend.toolkit.source"
FACT_SET_ENV = "ascend.set_env"
DEFAULT_SET_ENV = "/usr/local/Ascend/ascend-toolkit/set_env.sh"  # ascend.md §3.6
