"""`rocminfo`: the HSA agents, and for each GPU agent its gfx target (`Name:    gfx90a`); and
`amd-smi static`: each `GPU: N` block's `TARGET_GRAPHICS_VERSION` and `MARKET_NAME`.

Format (ROCm's rocminfo, tests/fixtures/rocminfo/SOURCES.md): a `HSA Agents` section of blocks
headed `Agent N` between lines of asterisks; each block's first `Name:` is the agent's name
(a CPU's model, a GPU's gfx target), `Marketing Name:` the product, `Device Type:` CPU or GPU.
Lines nested deeper (the `ISA Info` block's own `Name:`) belong to sub-blocks and are skipped.
GPU agents are numbered from 0 in the order listed, as HIP enumerates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AGENT = re.compile(r"^Agent\s+(\d+)\s*$")
_FIELD = re.compile(r"^  (?P<key>[A-Za-z][A-Za-z .]*?):\s*(?P<value>.*?)\s*$")
_GFX = re.compile(r"^gfx[0-9a-f]{3,5}$")


@dataclass(frozen=True)
class HsaGpu:
    index: int  # among the GPU agents, from 0
    target: str  # gfx90a
    marketing_name: str


def parse_rocminfo(text: str) -> list[HsaGpu]:
    """The GPU agents rocminfo lists; [] for output that lists none (or is not rocminfo's)."""
    agents: list[dict[str, str]] = []
    for line in text.splitlines():
        if _AGENT.match(line.strip()):
            agents.append({})
            continue
        if not agents:
            continue
        match = _FIELD.match(line)
        if match and match.group("key") not in agents[-1]:
            agents[-1][match.group("key")] = match.group("value")
    gpus: list[HsaGpu] = []
    for agent in agents:
        name = agent.get("Name", "")
        if agent.get("Device Type") != "GPU" or not _GFX.match(name):
            continue
        gpus.append(HsaGpu(len(gpus), name, agent.get("Marketing Name", "")))
    return gpus


_GPU_BLOCK = re.compile(r"^GPU:\s*(\d+)\s*$")
_STATIC_FIELD = re.compile(r"^\s+(TARGET_GRAPHICS_VERSION|MARKET_NAME):\s*(.*?)\s*$")


def parse_amd_smi_static(text: str) -> list[HsaGpu]:
    """The GPUs `amd-smi static` lists with a gfx target (fixtures: tests/fixtures/
    amd_smi_static/SOURCES.md); `N/A` and blocks without one are left out."""
    blocks: list[tuple[int, dict[str, str]]] = []
    for line in text.splitlines():
        header = _GPU_BLOCK.match(line)
        if header:
            blocks.append((int(header.group(1)), {}))
            continue
        field = _STATIC_FIELD.match(line)
        if field and blocks:
            blocks[-1][1].setdefault(field.group(1), field.group(2))
    return [
        HsaGpu(index, fields["TARGET_GRAPHICS_VERSION"], fields.get("MARKET_NAME", ""))
        for index, fields in blocks
        if _GFX.match(fields.get("TARGET_GRAPHICS_VERSION", ""))
    ]
