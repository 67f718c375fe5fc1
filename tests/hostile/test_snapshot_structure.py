"""A snapshot is complete or refused: every structural fault in `snapshot.yaml` is exit 2 with
one line naming the file and the line, never a probe crash that hides a stack (and exits 0)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS
from tests.hostile.refusal import assert_refused, run_capped

#: An intact snapshot that exits 1 (torch does not match torch_npu): a refused one must not
#: slip to 0 by losing its stack.
MISMATCH = SNAPSHOTS / "ascend-torch-mismatch"
HUGE = "1" * 5000


def _with(tmp_path: Path, pattern: str, new: str) -> tuple[Path, int]:
    """A copy of MISMATCH with `pattern` replaced once; the line where the change starts."""
    snapshot = tmp_path / "snap"
    shutil.copytree(MISMATCH, snapshot)
    path = snapshot / "snapshot.yaml"
    text = path.read_text(encoding="utf-8")
    match = re.search(pattern, text, flags=re.MULTILINE)
    assert match is not None, pattern
    path.write_text(text[: match.start()] + new + text[match.end() :], encoding="utf-8")
    return snapshot, text.count("\n", 0, match.start()) + 1


def test_the_intact_snapshot_exits_1() -> None:
    assert run_capped("check", "--snapshot", str(MISMATCH)).returncode == 1


_STDOUT = r"stdout: commands/npu-smi-info\.txt"
CASES = {
    "env-null": (r"^env:\n(  .*\n)*", "env: null\n", "env must be a mapping, not null"),
    "commands-null": (r"^commands:\n(  .*\n)*", "commands: null\n", "must be a mapping"),
    "stdout-missing": (_STDOUT, "stdout: commands/gone.txt", "is missing"),
    "stdout-escapes": (_STDOUT, "stdout: ../../etc/passwd", "leaves the snapshot"),
    "stdout-nul": (_STDOUT, 'stdout: "commands/a\\0b"', "a NUL character"),
    "stdout-directory": (_STDOUT, "stdout: commands", "is a directory"),
    "stdout-list": (_STDOUT, "stdout: [a]", "must be text"),
    "env-nul": (r"^  HOME: /root", '  HOME: "/ro\\0ot"', "a NUL character"),
    "os-release-list": (r"os_release: \{.*\}", "os_release: [openEuler]", "must be a mapping"),
    "huge-package-version": (r'torch: "2\.4\.0"', f'torch: "2.{HUGE}"', "more than 64 digits"),
    "python-version-mapping": (r'^  version: "3\.11\.6"', "  version: {a: 1}", "must be text"),
    "site-dir-relative": (r"^python:\n", "python:\n  paths: [lib/site]\n", "not absolute"),
    "exit-text": (r"exit: 0", "exit: zero", "must be an integer"),
    "unknown-command-key-type": (r'"npu-smi info"', "[npu, smi]", "mapping key"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_structural_fault_is_exit_2_with_its_line(tmp_path: Path, case: str) -> None:
    pattern, new, expected = CASES[case]
    snapshot, line = _with(tmp_path, pattern, new)
    result = run_capped("check", "--snapshot", str(snapshot))
    # site-dir-relative: the fault is on the line after `python:`
    line += case == "site-dir-relative"
    assert_refused(result, f"{snapshot}/snapshot.yaml:{line}: ", expected)
