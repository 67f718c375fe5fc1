"""One module per recorded source; `PARSERS` maps the source directory's name to its parser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chipdoctor.matrix.refresh.model import Generated
from chipdoctor.matrix.refresh.parsers import (
    cann_release_notes,
    hcu_dcgm_compatibility,
    hiascend_cann_release_notes,
    nvidia_driver_redist,
    pta_compatibility,
    pta_release_notes,
    pytorch_release_matrix,
    rocm_compatibility_matrix,
    torch_mlu_build_property,
)


@dataclass(frozen=True)
class Parser:
    name: str  # the generator name written on every row, and the source directory's name
    stack: str
    parse: Callable[[Path], Generated]
    #: names a fetched copy by its content (a release's version), so a new release is a new file
    label: Callable[[str], str] | None = None


PARSERS: dict[str, Parser] = {
    parser.name: parser
    for parser in (
        Parser(pta_release_notes.NAME, "ascend", pta_release_notes.parse, pta_release_notes.label),
        Parser(
            cann_release_notes.NAME, "ascend", cann_release_notes.parse, cann_release_notes.label
        ),
        Parser(pta_compatibility.NAME, "ascend", pta_compatibility.parse),
        Parser(hiascend_cann_release_notes.NAME, "ascend", hiascend_cann_release_notes.parse),
        Parser(pytorch_release_matrix.NAME, "cuda", pytorch_release_matrix.parse),
        Parser(nvidia_driver_redist.NAME, "cuda", nvidia_driver_redist.parse),
        Parser(rocm_compatibility_matrix.NAME, "rocm", rocm_compatibility_matrix.parse),
        Parser(torch_mlu_build_property.NAME, "cambricon", torch_mlu_build_property.parse),
        Parser(hcu_dcgm_compatibility.NAME, "dcu", hcu_dcgm_compatibility.parse),
    )
}
