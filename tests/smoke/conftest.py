"""An interpreter with a real CPU torch for the `--deep` tests."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: The torch the issue names; the CPU wheel installs offline on the development machines.
TORCH = "torch==2.13.0"
VENV = Path(os.environ.get("CHIPDOCTOR_TEST_TORCH_VENV", "/tmp/chipdoctor-test-torch"))


def _has_torch(python: Path) -> bool:
    if not python.is_file():
        return False
    probe = subprocess.run(
        [str(python), "-c", "import torch"], capture_output=True, timeout=120, check=False
    )
    return probe.returncode == 0


@pytest.fixture(scope="session")
def torch_python() -> str:
    """$CHIPDOCTOR_TORCH_PYTHON, or a virtualenv with CPU torch made (once) under /tmp."""
    given = os.environ.get("CHIPDOCTOR_TORCH_PYTHON")
    if given:
        if not _has_torch(Path(given)):
            pytest.fail(f"CHIPDOCTOR_TORCH_PYTHON={given} cannot import torch")
        return given
    python = VENV / "bin" / "python"
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with (VENV.parent / f"{VENV.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test session may be making it right now
        if not _has_torch(python):
            _make_venv(python)
    return str(python)


def _make_venv(python: Path) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--clear", str(VENV)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode == 0:
        made = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", TORCH],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    if made.returncode != 0 or not _has_torch(python):
        reason = made.stderr.strip()[-300:] or "no output"
        pytest.skip(f"cannot install {TORCH} into {VENV} (no index reachable?): {reason}")
