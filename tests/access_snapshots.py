"""Record the `access-*` scenario snapshots from real trees and real containers.

    python -m tests.access_snapshots            # needs root (mknod) and a Docker Engine

Host scenarios: a tree from tests/access_trees.py (shared objects cross-built for aarch64,
device nodes made with mknod, the healthy 910B host's files), checked as the aarch64 openEuler
host of `ascend-910b-healthy` would be, by the user named in each scenario; the recording is
the snapshot. Container scenarios: `chipdoctor snapshot` run inside a real container (built as
tests/docker/python_image.py builds it, `--network none`), with real `--device` nodes and
without the mount the scenario is about. `expected.yaml` files are written by hand.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from chipdoctor.engine import collect
from chipdoctor.evidence.base import Identity
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, write_snapshot
from tests.access_trees import (
    HWHIAIUSER,
    NPU_SMI_OUTPUT,
    OPENEULER,
    AscendHost,
    Seen,
    alice,
    env_for,
    python_of,
)
from tests.conftest import SNAPSHOTS, write_tool

IN_GROUP = alice({HWHIAIUSER: "HwHiAiUser"})

#: scenario -> (what the tree has, set_env.sh sourced, who runs the check)
HOST_SCENARIOS: dict[str, tuple[AscendHost, bool, Identity]] = {
    "access-ascend-healthy": (AscendHost(), True, IN_GROUP),
    "access-cann-not-sourced": (AscendHost(), False, IN_GROUP),
    "access-nnal-missing": (AscendHost(vllm_ascend=True), True, IN_GROUP),
    "access-davinci-permission": (AscendHost(), True, alice()),
    "access-wrong-arch": (AscendHost(toolkit_arch="x86_64"), True, IN_GROUP),
}


def record_host(scenario: str, target: Path) -> None:
    host, sourced, identity = HOST_SCENARIOS[scenario]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "root"
        host.build(root)
        env = env_for(host, sourced=sourced)
        tools = write_tool(Path(scratch) / "bin", "npu-smi", f"cat '{NPU_SMI_OUTPUT}'\n").parent
        env["PATH"] = f"{tools}:{env['PATH']}"
        live = HostEvidence(root=str(root), env=env)
        seen = Seen(live, platform=OPENEULER, identity=identity, python=python_of(root))
        recorder = RecordingEvidence(seen)
        collect(recorder)
        recorder.recording.env["PATH"] = env["PATH"].split(":", 1)[1]  # not the scratch dir
        listed = {
            f"{p.rstrip('/')}/{e}": live.is_dir(f"{p.rstrip('/')}/{e}")
            for p, entries in recorder.recording.dirs.items()
            for e in entries or []
        }
        _replace(target)
        write_snapshot(target, recorder.recording, OPENEULER, seen.python, is_dir=listed)


def record_container(scenario: str, target: Path, run: Callable[[Path], None]) -> None:
    """`run(out)` starts the container with `out` mounted at /out."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        out.mkdir()
        run(out)
        _replace(target)
        shutil.copytree(out / "snap", target, dirs_exist_ok=True)


def _replace(target: Path) -> None:
    if target.exists():
        for name in ("snapshot.yaml", "files", "commands"):
            path = target / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    target.mkdir(parents=True, exist_ok=True)


def main() -> None:
    for scenario in HOST_SCENARIOS:
        record_host(scenario, SNAPSHOTS / scenario)
        print(f"recorded {scenario}")
    from tests.docker.access_images import record_container_scenarios

    record_container_scenarios(record_container)
    sys.stdout.write("done\n")


if __name__ == "__main__":
    main()
