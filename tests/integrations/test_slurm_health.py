"""The Slurm health check wrapper and the NHC check, run for real with a stand-in chipdoctor:
drain (or `die 1`) on exit 1 only, never on chipdoctor's own failure unless the site asks.
The drain itself on a real slurmd is tests/integrations/test_slurm_cluster.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS, chipdoctor_argv, write_tool
from tests.integrations.test_shell_scripts import shellcheck

ROOT = Path(__file__).resolve().parents[2]
HEALTHCHECK = ROOT / "integrations" / "slurm" / "healthcheck.sh"
NHC_CHECK = ROOT / "integrations" / "slurm" / "chipdoctor.nhc"

FAILING = (
    'echo "::error title=ascend.torch-torch_npu::torch_npu 2.5.1 needs torch 2.5.1"\n'
    'echo "::error title=ascend.cann-driver::cann too new"\nexit 1\n'
)


def healthcheck(tmp_path: Path, chipdoctor: str, **settings: str) -> tuple[int, str, list[str]]:
    """Run the wrapper as slurmd does (no PATH, only SLURMD_NODENAME); `scontrol` records argv."""
    calls = tmp_path / "scontrol.calls"
    scontrol = write_tool(tmp_path / "bin", "scontrol", f'printf "%s\\n" "$@" >> {calls}\n')
    conf = tmp_path / "healthcheck.conf"
    lines = [f"CHIPDOCTOR={chipdoctor}", f"SCONTROL={scontrol}"]
    lines += [f"{key}='{value}'" for key, value in settings.items()]
    conf.write_text("\n".join(lines) + "\n")
    env = {"SLURMD_NODENAME": "npu-node-07", "CHIPDOCTOR_HEALTHCHECK_CONF": str(conf)}
    done = subprocess.run(
        ["/bin/bash", str(HEALTHCHECK)], capture_output=True, text=True, env=env, timeout=60,
        check=False,
    )  # fmt: skip
    recorded = calls.read_text().splitlines() if calls.exists() else []
    return done.returncode, done.stderr, recorded


def test_incompatible_stack_drains_with_the_finding_ids(tmp_path: Path) -> None:
    doctor = write_tool(tmp_path / "bin", "chipdoctor", FAILING)
    code, stderr, calls = healthcheck(tmp_path, str(doctor))
    assert code == 0  # slurmd would re-run a failing program before registering
    assert calls == [
        "update",
        "nodename=npu-node-07",
        "state=drain",
        "reason=chipdoctor: ascend.cann-driver,ascend.torch-torch_npu",
    ]
    assert "node npu-node-07 drained: chipdoctor: ascend.cann-driver" in stderr


@pytest.mark.parametrize("status", [0, 2, 3])
def test_no_drain_unless_incompatible(tmp_path: Path, status: int) -> None:
    doctor = write_tool(tmp_path / "bin", "chipdoctor", f"echo oops >&2\nexit {status}\n")
    code, stderr, calls = healthcheck(tmp_path, str(doctor))
    assert (code, calls) == (0, [])
    assert (f"could not check the stack (exit {status}): oops" in stderr) is (status != 0)


def test_the_site_may_drain_on_chipdoctor_s_own_failure(tmp_path: Path) -> None:
    doctor = write_tool(tmp_path / "bin", "chipdoctor", "exit 3\n")
    _, _, calls = healthcheck(tmp_path, str(doctor), CHIPDOCTOR_DRAIN_ON_FAILURE="yes")
    assert calls[-1] == "reason=chipdoctor: could not check (exit 3)"


def test_a_hanging_check_is_cut_and_does_not_drain(tmp_path: Path) -> None:
    doctor = write_tool(tmp_path / "bin", "chipdoctor", "sleep 30\n")
    code, stderr, calls = healthcheck(tmp_path, str(doctor), CHIPDOCTOR_TIMEOUT="1")
    assert (code, calls) == (0, [])
    assert "(exit 124)" in stderr


def test_not_installed_does_not_drain(tmp_path: Path) -> None:
    code, stderr, calls = healthcheck(tmp_path, str(tmp_path / "absent"))
    assert (code, calls) == (0, [])
    assert "(exit 127)" in stderr and "is not installed" in stderr


# NHC's own unit tests (mej/nhc test/nhc-test @ 00f73fb, test_checks) define `die` like this to
# record what a check reports; NHC itself drains the node with the message.
NHC_HARNESS = """
function die() { DIE_RC="$1"; DIE_MSG="${*:2}"; return $DIE_RC; }
DIE_RC=""; DIE_MSG=""
. "$1"
shift
check_accel_chipdoctor "$@"
echo "rc=$? die_rc=$DIE_RC die_msg=$DIE_MSG"
"""


def nhc(chipdoctor: str, *args: str, **env: str) -> str:
    done = subprocess.run(
        ["/bin/bash", "-c", NHC_HARNESS, "nhc", str(NHC_CHECK), *args],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "CHIPDOCTOR": chipdoctor, **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_nhc_check_dies_naming_the_findings(tmp_path: Path) -> None:
    doctor = write_tool(tmp_path / "bin", "chipdoctor", FAILING)
    assert nhc(str(doctor)) == (
        "rc=1 die_rc=1 die_msg=chipdoctor: ascend.cann-driver,ascend.torch-torch_npu"
    )


@pytest.mark.parametrize("status", [0, 2, 3])
def test_nhc_check_passes_unless_incompatible(tmp_path: Path, status: int) -> None:
    doctor = write_tool(tmp_path / "bin", "chipdoctor", f"exit {status}\n")
    assert nhc(str(doctor)) == "rc=0 die_rc= die_msg="
    asked = nhc(str(doctor), CHIPDOCTOR_DRAIN_ON_FAILURE="yes")
    expected = f"rc=1 die_rc=1 die_msg=chipdoctor: could not check (exit {status})"
    assert asked == ("rc=0 die_rc= die_msg=" if status == 0 else expected)


def test_nhc_check_with_real_chipdoctor_and_its_arguments(tmp_path: Path) -> None:
    argv = chipdoctor_argv()
    doctor = (
        argv[0]
        if len(argv) == 1
        else str(write_tool(tmp_path / "bin", "chipdoctor", f'exec {" ".join(argv)} "$@"\n'))
    )
    failing = nhc(doctor, "--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"))
    assert failing == "rc=1 die_rc=1 die_msg=chipdoctor: ascend.torch-torch_npu"
    healthy = nhc(doctor, "--snapshot", str(SNAPSHOTS / "ascend-910b-healthy"))
    assert healthy == "rc=0 die_rc= die_msg="


def test_nhc_check_passes_shellcheck() -> None:
    done = subprocess.run(
        [shellcheck(), "--severity=style", str(NHC_CHECK)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
