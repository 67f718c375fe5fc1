"""Names the MUSA probe and rules share: inventory fact keys and Moore Threads' download places.

Sources: docs/matrix-sources/musa.md.
"""

from __future__ import annotations

from chipdoctor.i18n import T

#: Inventory.facts key: the toolkit root found on disk, whether or not its version was read.
FACT_TOOLKIT_HOME = "musa.toolkit_home"
#: torch_musa README, Prerequisites: MUSA-SDK (driver, musa_toolkit, muDNN, MCCL).
SDK_DOWNLOAD = "https://developer.mthreads.com/sdk/download/musa"
#: torch_musa README "From Python wheels": torch and torch_musa wheels.
RELEASES = "https://github.com/MooreThreads/torch_musa/releases"
#: torch_musa README "Docker Image".
IMAGE = "registry.mthreads.com/mcconline/musa-pytorch-release-public"
#: Inventory.facts key: the MCCL library found in a toolkit root's lib/ (a path), or "" where the
#: probe saw such a lib/ holding files but no libmccl.so*. torch_musa links MCCL unless built
#: with USE_MCCL=0 (MooreThreads/torch_musa CMakeLists.txt @ 8b583b3: `option(USE_MCCL "USE
#: MCCL" ON)`, MCCL_LIB_DIR defaulting to ${MUSA_PATH}/lib; @ 671ef35, v1.0.0's README era: the
#: fallback /usr/local/musa/lib/libmccl.so). README @ 8b583b3: the MUSA SDK includes "MCCL(S4000
#: only)"; "For S80/S3000 users, since the MCCL library is not provided for such architectures,
#: please add USE_MCCL=0 whilst building torch_musa".
FACT_MCCL = "musa.mccl"
#: Inventory.facts key: the lib/ folders seen without MCCL, space-separated.
FACT_MCCL_DIRS = "musa.mccl_dirs"

#: How to get MCCL (torch_musa README @ 8b583b3: the MUSA SDK includes it; the image carries it).
MCCL_FIX = T(
    "Install MCCL from the MUSA SDK ({url}; torch_musa README: the SDK includes "
    "MCCL) into $MUSA_HOME/lib (/usr/local/musa/lib), or run torch_musa in the image "
    "{image}, which carries mccl; where Moore Threads provides no MCCL for the GPU "
    "(MTT S80/S3000), build torch_musa with USE_MCCL=0.",
    url=SDK_DOWNLOAD,
    image=IMAGE,
)
