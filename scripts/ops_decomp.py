"""Record what each CompositeImplicitAutograd operator decomposes into, by running it with torch.

    PYTHONPATH=NUMPY_AND_EXPECTTEST TORCH_PYTHON scripts/ops_decomp.py matrices/ops/pytorch.json

Runs under the torch it is given (the bundled data was made with CPU torch 2.13.0): for every
OpInfo of torch's own test suite (torch.testing._internal.common_methods_invocations, which needs
numpy and expecttest), each composite overload of its ATen name is called on the OpInfo's sample
inputs under a TorchDispatchMode. That mode sits below the composite kernels, so it sees the
operators a backend is handed. Those every sample dispatched (the intersection: an operator
only some inputs need, such as the `unsqueeze` of an unbatched conv2d, is left out) are the
decomposition written to FILE's "decompositions" (other keys are kept). A composite with no
OpInfo, or whose samples do not fit its schema, is left out; `chipdoctor ops` says so for it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

SAMPLES_PER_OP = 4
BUDGET_S = 600.0


def _name(func: Any) -> str:
    overload = func._overloadname
    base = func._overloadpacket.__name__
    return base if overload == "default" else f"{base}.{overload}"


def main(argv: list[str]) -> int:
    import torch
    from torch.testing._internal.common_methods_invocations import op_db
    from torch.utils._python_dispatch import TorchDispatchMode

    target = Path(argv[0])
    data = json.loads(target.read_text())
    implicit = {name for name, kind in data["composite"].items() if kind == "implicit"}
    seen: dict[str, set[str]] = {}

    class Recorder(TorchDispatchMode):
        def __init__(self) -> None:
            super().__init__()
            self.ops: set[str] = set()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            self.ops.add(_name(func))
            return func(*args, **(kwargs or {}))

    started = time.monotonic()
    for info in op_db:
        if time.monotonic() - started > BUDGET_S:
            break
        base = info.aten_name or info.name
        packet = getattr(torch.ops.aten, base, None)
        if packet is None:
            continue
        overloads = [
            o for o in packet.overloads() if (base if o == "default" else f"{base}.{o}") in implicit
        ]
        if not overloads:
            continue
        for key, ops in _trace(info, packet, overloads, Recorder):
            parts = ops - {key}
            seen[key] = seen[key] & parts if key in seen else parts
    data["decompositions"] = {name: sorted(ops) for name, ops in sorted(seen.items()) if ops}
    data["decompositions_traced_with"] = f"torch {torch.__version__} ({torch.version.git_version})"
    target.write_text(json.dumps(data, indent=0, ensure_ascii=False) + "\n")
    print(f"{len(data['decompositions'])} decompositions written to {target}")
    return 0


def _trace(
    info: Any, packet: Any, overloads: list[str], recorder: Any
) -> list[tuple[str, set[str]]]:
    """(overload, the operators it dispatched) for each sample that fits each overload."""
    import torch

    base = packet._qualified_op_name.split("::")[-1]
    try:
        samples = list(info.sample_inputs("cpu", torch.float32, requires_grad=False))
    except Exception:  # an OpInfo that cannot make float32 samples
        return []
    traced = []
    for sample in samples[:SAMPLES_PER_OP]:
        for overload in overloads:
            mode = recorder()
            try:
                with mode:
                    getattr(packet, overload)(sample.input, *sample.args, **sample.kwargs)
            except Exception:  # the sample does not fit this overload
                continue
            traced.append((base if overload == "default" else f"{base}.{overload}", mode.ops))
    return traced


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
