"""Operator names as users and files write them, reduced to the key the data uses.

The data names an operator `name` (its default overload) or `name.overload`, as the vendors'
files and native_functions.yaml do. A name read without an overload (a profiler event
`aten::add`) is "inexact": it stands for whichever overload ran.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, order=True)
class Op:
    namespace: str
    key: str  # `conv2d`, `add.Tensor`
    exact: bool = True

    def __str__(self) -> str:
        return f"{self.namespace}::{self.key}"


def parse_op(text: str) -> Op | None:
    """`aten::conv2d`, `aten::add.Tensor`, `aten.mm.default`, `torch.ops.aten.add.Tensor`;
    None when the text is no operator name."""
    text = text.strip()
    if text.startswith("torch.ops."):
        text = text[len("torch.ops.") :]
    if "::" in text:
        namespace, _, rest = text.partition("::")
        name, dot, overload = rest.partition(".")
        exact = bool(dot)
    else:
        parts = text.split(".")
        if len(parts) != 3:
            return None
        namespace, name, overload = parts
        exact = True
    if not (_NAME.fullmatch(namespace) and _NAME.fullmatch(name)) or (
        overload and not _NAME.fullmatch(overload)
    ):
        return None
    key = name if not overload or overload == "default" else f"{name}.{overload}"
    return Op(namespace, key, exact)
