"""The Hygon DCU stack's fixed names: where its files are, its commands and variables,
and the keys of the Inventory.facts its probe writes and its rules read."""

from __future__ import annotations

HY_SMI = "hy-smi"
ROCM_SMI = "rocm-smi"
HYHAL_ROOT = "/opt/hyhal"
DTK_ROOT = "/opt/dtk"
# NOTE: other DTK roots seen in probing code: /opt/hygondtk (reference B.4) and the versioned
# /opt/dtk-<ver> that /opt/dtk usually links to (`ln -s /opt/dtk-24.04.1 /opt/dtk`).
DTK_ROOTS = (DTK_ROOT, "/opt/hygondtk")
# NOTE: the DTK version is read from .info/version (gpustack pyrocmsmi, "24.04.3"),
# .info/version-dev (Hygon dcu-dcgm getDTKVersionByReadFile) or .dtk_version ("DTK-26.04-rc4").
DTK_VERSION_FILES = (".info/version", ".info/version-dev", ".dtk_version")
# NOTE: the driver module is hydcu up to driver 6.2.x and hycu from 6.3.x (K100_AI deployment
# notes, reference B.4); gpustack reads /sys/module/<module>/version.
DRIVER_MODULES = ("hycu", "hydcu")
VISIBLE_DEVICES = ("HIP_VISIBLE_DEVICES",)
DRIVER_DOWNLOAD = "https://download.sourcefind.cn:65024/6/main"

# Keys of Inventory.facts the rules read.
FACT_DTK_ROOT = "dcu.dtk.root"
