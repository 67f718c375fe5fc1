"""Moore Threads MUSA: torch_musa, the MUSA toolkit, the driver and GPUs from mthreads-gmi.

No resolver, fix steps, smoke backend or official image yet: `fix --stack musa` says so in one
line (exit 2) and `check --deep` runs the torch steps only. Sources: docs/matrix-sources/musa.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chipdoctor.stacks.interface import Stack
from chipdoctor.versions import DOTTED, Scheme

if TYPE_CHECKING:
    from chipdoctor.matrix.model import Matrix
    from chipdoctor.model import Finding, Inventory
    from chipdoctor.probes.base import Probe
    from chipdoctor.smoke.failures import KnownFailure

#: NOTE: mthreads-gmi prints drivers as `3.3.5-server` and `2.9.2-000`: the leading dotted
#: number is the version (docs/matrix-sources/musa.md).
MUSA_DRIVER = Scheme("musa-driver", "vendor", leading=True)


class Musa(Stack):
    name = "musa"
    title = "Moore Threads MUSA"
    components = ("torch_musa", "musa_toolkit", "musa_driver")
    fleet_equal = ("torch_musa", "musa_toolkit", "musa_driver")
    schemes = {"musa_toolkit": DOTTED, "musa_driver": MUSA_DRIVER}
    environment = ("MUSA_",)  # MUSA_HOME, MUSA_VISIBLE_DEVICES
    commands = {
        "mthreads-gmi": ("mthreads-gmi",),
        "musa_version_query": ("musa_version_query",),
    }

    def probe(self) -> Probe:
        from chipdoctor.stacks.musa.probe import MusaProbe

        return MusaProbe()

    def evaluate(self, inventory: Inventory, matrix: Matrix) -> list[Finding]:
        from chipdoctor.stacks.musa.rules import evaluate

        return evaluate(inventory, matrix)

    def known_failures(self) -> tuple[Sequence[KnownFailure], Sequence[KnownFailure]]:
        from chipdoctor.stacks.musa import smoke

        return smoke.FAILURES, ()


STACK = Musa()
