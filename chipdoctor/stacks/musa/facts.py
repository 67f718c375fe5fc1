"""Names the MUSA probe and rules share: inventory fact keys and Moore Threads' download places.

Sources: docs/matrix-sources/musa.md.
"""

from __future__ import annotations

#: Inventory.facts key: the toolkit root found on disk, whether or not its version was read.
FACT_TOOLKIT_HOME = "musa.toolkit_home"
#: torch_musa README, Prerequisites: MUSA-SDK (driver, musa_toolkit, muDNN, MCCL).
SDK_DOWNLOAD = "https://developer.mthreads.com/sdk/download/musa"
#: torch_musa README "From Python wheels": torch and torch_musa wheels.
RELEASES = "https://github.com/MooreThreads/torch_musa/releases"
#: torch_musa README "Docker Image".
IMAGE = "registry.mthreads.com/mcconline/musa-pytorch-release-public"
