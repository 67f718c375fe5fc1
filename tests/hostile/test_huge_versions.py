"""A version with a number of thousands of digits (past int()'s 4,300-digit limit) is bad
input wherever the user writes it: exit 2 and one line, never an internal error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.hostile.refusal import HEALTHY, assert_refused, run_capped

HUGE = "1" * 5000


@pytest.mark.parametrize("component", ["torch", "cann"])
def test_require(component: str) -> None:
    result = run_capped("check", "--snapshot", str(HEALTHY), "--require", f"{component}>=2.{HUGE}")
    assert_refused(result, "--require", "more than 64 digits")


@pytest.mark.parametrize("component", ["torch", "cann", "nvidia_driver"])
def test_policy(tmp_path: Path, component: str) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"# huge\nversions:\n  {component}: '>=2.{HUGE}'\n", encoding="utf-8")
    result = run_capped("check", "--snapshot", str(HEALTHY), "--policy", str(policy))
    assert_refused(result, f"{policy}:3: ", "more than 64 digits")


def test_a_version_file_on_the_machine_is_an_unreadable_version(tmp_path: Path) -> None:
    """Evidence, not the user's input: the check judges what it can, like any unread version."""
    snapshot = tmp_path / "snap"
    shutil.copytree(HEALTHY, snapshot)
    info = snapshot / "files/usr/local/Ascend/ascend-toolkit/latest/aarch64-linux"
    info = info / "ascend_toolkit_install.info"
    info.write_text(info.read_text().replace("version=8.2.RC1", f"version=8.2.RC{HUGE}"))
    result = run_capped("check", "--snapshot", str(snapshot))
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert "internal error" not in result.stderr
