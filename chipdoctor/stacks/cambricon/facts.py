"""The Cambricon stack's fixed names: where its files are, its commands and variables,
and the keys of the Inventory.facts its probe writes and its rules read."""

from __future__ import annotations

from chipdoctor.i18n import T

NEUWARE_ROOT = "/usr/local/neuware"
CNMON = "cnmon"
DRIVER_PACKAGE = "cambricon-mlu-driver"
#: Read by torch_mlu in this order; CUDA_VISIBLE_DEVICES counts only when the others are unset.
VISIBLE_VARIABLES = ("CN_VISIBLE_DEVICES", "MLU_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")
CONTAINER_FLAGS = T(
    "--device /dev/cambricon_ctl --device /dev/cambricon_dev0 (one per card) "
    "-v /usr/bin/cnmon:/usr/bin/cnmon"
)
