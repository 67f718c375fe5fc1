"""Cambricon: the smoke test's known failures (torch_mlu, Neuware: other-stacks.md A.1 and A.6).

`FAILURES` name a reason; `NO_DEVICE` only say that torch counted no device, and are searched
after every stack's `FAILURES`, because the warnings printed while counting are part of the text.
"""

from __future__ import annotations

from chipdoctor.i18n import T
from chipdoctor.smoke.failures import KnownFailure, known

FAILURES: tuple[KnownFailure, ...] = (
    # NOTE: torch_mlu codegen/templates/version.cpp ("verion" is the source's own typo).
    known(
        r"NEUWARE minimum version requirements not met",
        T("a Neuware library (CNNL, CNCL) or the driver is older than this torch_mlu requires"),
        T("Upgrade Neuware or the driver to the minimum versions the message names"),
        related=("cambricon.torch_mlu-*", "cambricon.neuware-driver"),
    ),
    # NOTE: the environment torch_mlu's README sets.
    known(
        r"lib(?:cnrt|cndrv|cnnl|cncl|cndev|cnpapi|cnnl_extra|mluops|cnbin)\.so\S*: "
        r"cannot open shared object file",
        T("Neuware is not installed, or $NEUWARE_HOME/lib64 is not on LD_LIBRARY_PATH"),
        T(
            "export NEUWARE_HOME=/usr/local/neuware; "
            "export LD_LIBRARY_PATH=$NEUWARE_HOME/lib64:$LD_LIBRARY_PATH"
        ),
        related=("cambricon.torch_mlu-without-neuware", "cambricon.*env*"),
    ),
)

NO_DEVICE: tuple[KnownFailure, ...] = (
    # NOTE: the smoke script's own text (chipdoctor/smoke/script.py); the devices: other-stacks.md
    # A.6.
    known(
        r"torch\.mlu\.is_available\(\) == False",
        T(
            "no MLU is visible to this process: /dev/cambricon_ctl and /dev/cambricon_devN were "
            "not passed into this container, or CN_VISIBLE_DEVICES / MLU_VISIBLE_DEVICES hide "
            "them"
        ),
        T(
            "Check `cnmon`. In Docker pass --device /dev/cambricon_ctl --device "
            "/dev/cambricon_dev0 (one per card)."
        ),
        related=("cambricon.visible-devices",),
        stacks=("cambricon",),
    ),
)
