"""The pip lines of the Ascend fixes: torch from its CPU index (torch_npu runs on the CPU build
of torch), torch_npu from PyPI or the Ascend release page."""

from __future__ import annotations

from chipdoctor.i18n import T
from chipdoctor.rules.common import TORCH_CPU_INDEX, pip_install, release_of, same_release

RELEASES_URL = "https://gitcode.com/Ascend/pytorch/releases"


def torch_line(version: str) -> str:
    return pip_install(f"torch=={version}", index_url=TORCH_CPU_INDEX)


def torch_npu_line(torch_npu: str, torch: str | None) -> str:
    """torch_npu, with the torch release it is built for first where the installed one differs."""
    line = pip_install(f"torch-npu=={torch_npu}")
    if torch is not None and not same_release(torch, torch_npu):
        line = f"{torch_line(release_of(torch_npu))} && {line}"
    return T("{command}   # wheels not on PyPI: {url}", command=line, url=RELEASES_URL)
