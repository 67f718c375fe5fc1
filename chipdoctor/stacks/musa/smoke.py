"""Moore Threads MUSA: the known failures of torch_musa (check --deep, check --log)."""

from __future__ import annotations

from chipdoctor.i18n import T
from chipdoctor.smoke.failures import KnownFailure, known
from chipdoctor.stacks.musa.facts import MCCL_FIX
from chipdoctor.symptoms.kinds import LIBRARY_MISSING

FAILURES: tuple[KnownFailure, ...] = (
    # NOTE: MooreThreads/torch_musa #5 and #102 ("ImportError: libmccl.so.2: cannot open shared
    # object file" on `import torch_musa`); torch_musa links MCCL unless built with USE_MCCL=0
    # (chipdoctor/stacks/musa/facts.py, FACT_MCCL).
    known(
        r"(?P<library>libmccl\.so[\d.]*): cannot open shared object file",
        T("MCCL, the collective library torch_musa links, is not installed or not on the path"),
        MCCL_FIX,
        related=("musa.mccl-missing",),
    ).in_log(kind=LIBRARY_MISSING),
)
