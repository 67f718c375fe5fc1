"""The smoke test `chipdoctor check --deep` runs in the inspected interpreter.

It imports torch and the vendor extensions, counts devices, allocates a small tensor on each
and runs a tiny matmul, printing one JSON line when a step starts and one with its result, each
flushed at once, so a crash or a kill mid-way still leaves every earlier step behind. Standard
library only, Python 3.8 syntax, because it runs under interpreters chipdoctor does not control.

    python script.py [--backend DEVICE[:MODULE]]...   e.g. --backend npu:torch_npu --backend cuda
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

#: Every line this script prints for chipdoctor starts with this, so output a vendor library
#: prints to stdout cannot be mistaken for a step.
MARKER = "@chipdoctor-smoke "
_MAX_TEXT = 4000
_SIDE = 64  # a 64x64 matrix of ones squared is 64 everywhere: cheap and easy to verify


def _emit(**fields: Any) -> None:
    sys.stdout.write(MARKER + json.dumps(fields) + "\n")
    sys.stdout.flush()


def _step(name: str, action: Callable[[], str]) -> bool:
    """Run `action`; print its result, time and the warnings it raised. True when it passed."""
    _emit(event="start", step=name)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            detail, ok, error = action(), True, ""
        except (Exception, SystemExit) as exc:  # any failure is the result being measured
            detail, ok = "", False
            error = f"{type(exc).__name__}: {exc}"[:_MAX_TEXT]
    _emit(
        event="end",
        step=name,
        ok=ok,
        seconds=round(time.perf_counter() - start, 3),
        detail=detail[:_MAX_TEXT],
        error=error,
        warnings=[str(w.message)[:_MAX_TEXT] for w in caught[:10]],
    )
    return ok


def _import_torch(state: dict[str, Any]) -> str:
    torch = importlib.import_module("torch")
    state["torch"] = torch
    built = [
        f"{label} {value}"
        for label, value in (
            ("CUDA", getattr(torch.version, "cuda", None)),
            ("HIP", getattr(torch.version, "hip", None)),
        )
        if value
    ]
    suffix = f" ({', '.join(built)})" if built else ""
    return f"torch {torch.__version__}{suffix}"


def _import_module(name: str) -> str:
    module = importlib.import_module(name)
    return f"{name} {getattr(module, '__version__', '')}".strip()


def _count(torch: Any, device: str, counted: list[int]) -> str:
    backend = getattr(torch, device)
    available = bool(backend.is_available())
    count = int(backend.device_count())
    counted.append(count if available else 0)
    if not available and device == "cuda" and not (torch.version.cuda or torch.version.hip):
        raise RuntimeError(
            "torch.cuda.is_available() == False: this torch has no GPU support "
            "(torch.version.cuda and torch.version.hip are None)"
        )
    if not available or count == 0:
        raise RuntimeError(
            f"torch.{device}.is_available() == False (torch.{device}.device_count() == {count})"
        )
    return f"{count} device(s)"


def _alloc(torch: Any, device: str, index: int, held: dict[str, Any]) -> str:
    name = f"{device}:{index}"
    held[name] = torch.ones((_SIDE, _SIDE), device=name)
    label = ""
    get_name = getattr(getattr(torch, device, None), "get_device_name", None)
    if get_name is not None:
        try:
            label = f" ({get_name(index)})"
        except Exception:  # the name is a nicety; the allocation is what was tested
            label = ""
    return f"{_SIDE}x{_SIDE} tensor on {name}{label}"


def _matmul(tensor: Any) -> str:
    value = float((tensor @ tensor)[0, 0].cpu())
    if value != float(_SIDE):
        raise ArithmeticError(f"a {_SIDE}x{_SIDE} matmul of ones gave {value}, not {_SIDE}")
    return f"{_SIDE}x{_SIDE} matmul correct"


def _cpu_matmul(torch: Any) -> str:
    _matmul(torch.ones((_SIDE, _SIDE)))
    return f"{_SIDE}x{_SIDE} matmul correct"


def _backends(argv: list[str]) -> list[tuple[str, str]]:
    backends = []
    for flag, value in zip(argv, argv[1:]):
        if flag == "--backend":
            device, _, module = value.partition(":")
            backends.append((device, module))
    return backends


def _devices(torch: Any, device: str, module: str) -> None:
    """The steps of one backend; each stops at its first failure, as later ones would too."""
    if module and not _step("import-" + module, lambda: _import_module(module)):
        return
    counted: list[int] = []
    if not _step("devices-" + device, lambda: _count(torch, device, counted)):
        return
    held: dict[str, Any] = {}
    for index in range(counted[0]):
        name = f"{device}:{index}"
        suffix = f"{device}-{index}"
        if _step("alloc-" + suffix, lambda i=index: _alloc(torch, device, i, held)):  # type: ignore[misc]
            _step("matmul-" + suffix, lambda n=name: _matmul(held[n]))  # type: ignore[misc]


def main(argv: list[str]) -> int:
    # NOTE: `python script.py` puts this file's directory first on sys.path; drop it so no
    # chipdoctor module can shadow a package the user has installed.
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or ".") == here:
        del sys.path[0]
    state: dict[str, Any] = {}
    if not _step("import-torch", lambda: _import_torch(state)):
        return 0
    torch = state["torch"]
    _step("matmul-cpu", lambda: _cpu_matmul(torch))
    for device, module in _backends(argv):
        _devices(torch, device, module)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
