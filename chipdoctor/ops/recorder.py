"""Run a user's script under a TorchDispatchMode and write the ATen operators it dispatched.

Executed by `chipdoctor ops --run` in a child process on the chosen interpreter:
    python recorder.py OUT.json TRACEBACK.txt SCRIPT [ARGS...]
The mode sits below autograd and the CompositeImplicitAutograd kernels, so it sees each
operator as a device backend would be handed it. Standard library and torch only (Python 3.9+,
plain os.path), because it runs under interpreters chipdoctor does not control.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import sys
import traceback
from typing import Any


def _recorder(counts: dict[str, int]) -> Any:
    """A TorchDispatchMode counting each operator overload (`aten.convolution.default`)."""
    dispatch = importlib.import_module("torch.utils._python_dispatch")

    def handler(self: Any, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        name = str(func)
        counts[name] = counts.get(name, 0) + 1
        return func(*args, **(kwargs or {}))

    mode = type("Recorder", (dispatch.TorchDispatchMode,), {"__torch_dispatch__": handler})
    return mode()


def main() -> None:
    out, traceback_file, script = sys.argv[1:4]
    counts: dict[str, int] = {}
    recorder = _recorder(counts)
    sys.argv = [script, *sys.argv[4:]]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    code = 0
    try:
        with recorder:
            runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        with open(traceback_file, "w", encoding="utf-8") as handle:
            handle.write(traceback.format_exc())
        code = 1
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(counts, handle)
    sys.exit(code)


if __name__ == "__main__":
    main()
