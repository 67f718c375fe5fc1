"""Every crasher the fuzzing found stays fixed: tests/fixtures/crashers/<kind>/<name>/.

Each crasher holds its input and a one-line README, `exit N: what it was`; checking it must
exit N (2 for bad input unless the README says otherwise) with no probe or access-check crash
in the report, no traceback, and within the fuzz test's memory and time caps.
"""

from __future__ import annotations

import platform
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, SNAPSHOTS
from tests.fuzz.harness import Job, run_jobs

CRASHERS = FIXTURES / "crashers"
_README = re.compile(r"exit (\d): \S")


def _cases() -> list[Path]:
    return sorted(p.parent for p in CRASHERS.glob("*/*/README"))


def _argv(case: Path) -> list[str]:
    kind = case.parent.name
    common = ["check", "--format", "json", "--lang", "en"]
    if kind == "snapshot":
        return [*common, "--snapshot", str(case)]
    if kind == "archive":
        return [*common, "--snapshot", str(next(case.glob("*.tar.gz")))]
    target = SNAPSHOTS / "ascend-torch-mismatch"
    option = "--matrix" if kind == "matrix" else "--policy"
    return [*common, "--snapshot", str(target), option, str(next(case.glob("*.yaml")))]


def test_there_are_crashers() -> None:
    assert _cases(), f"no crasher fixtures under {CRASHERS}"


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_crasher_stays_fixed(case: Path, tmp_path: Path) -> None:
    readme = (case / "README").read_text(encoding="utf-8")
    match = _README.match(readme)
    assert match and readme.count("\n") == 1, f"{case}/README: one line, 'exit N: what it was'"
    job = Job(_argv(case), tmp_path)
    run_jobs([job])
    outcome = job.outcome
    assert outcome is not None
    assert outcome.code == int(match.group(1)), (readme, outcome.describe())
    assert not outcome.crash_findings, (readme, outcome.crash_findings)


@pytest.mark.parametrize("home", ["usr/local/Ascend/ascend-toolkit/latest", "/usr/" + "y" * 300])
def test_ascend_home_path_on_a_live_host_is_a_finding(home: str, tmp_path: Path) -> None:
    """The live-host side of the ascend-home-* crashers: a finding, not a probe crash."""
    from chipdoctor.evidence.host import HostEvidence
    from chipdoctor.stacks.ascend.probe import AscendProbe

    shutil.copytree(CRASHERS / "snapshot" / "ascend-home-relative" / "files", tmp_path / "root")
    toolkit = tmp_path / "root/usr/local/Ascend/ascend-toolkit/latest"
    shutil.copytree(toolkit / "aarch64-linux", toolkit / f"{platform.machine()}-linux")
    inventory = AscendProbe().collect(
        HostEvidence(root=str(tmp_path / "root"), env={"ASCEND_HOME_PATH": home, "PATH": ""})
    )
    (finding,) = [f for f in inventory.findings if f.id == "ascend.env-not-sourced"]
    assert home in finding.message
