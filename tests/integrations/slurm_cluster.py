"""A real single-node Slurm cluster on 127.0.0.1 for the integration tests: munged, slurmctld and
slurmd from Debian's `munge` and `slurm-wlm`, in a temporary directory, as root.

What works in a container without systemd or a writable cgroup tree: process tracking by
/proc (proctrack/linuxproc), no task plugin, no accounting."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

DAEMONS = ("/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd")
TOOLS = ("scontrol", "sinfo", "srun")


def missing() -> str | None:
    """Why no cluster can start here, or None."""
    if os.geteuid() != 0:
        return "the Slurm daemons run as root"
    absent = [p for p in DAEMONS if not os.access(p, os.X_OK)]
    absent += [t for t in TOOLS if shutil.which(t) is None]
    if absent:
        return "not installed: " + ", ".join(absent) + " (apt-get install -y slurm-wlm munge)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    def __init__(self, root: Path, node: str) -> None:
        self.root = root
        self.node = node
        self.env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}

    def run(self, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv), capture_output=True, text=True, env=self.env, timeout=timeout, check=False
        )

    def node_fields(self) -> dict[str, str]:
        """`scontrol show node` as key=value pairs (Reason's value runs to the line's end)."""
        out = self.run("scontrol", "show", "node", self.node).stdout
        fields: dict[str, str] = {}
        for raw in out.splitlines():
            line = raw.strip()
            if line.startswith("Reason="):
                fields["Reason"] = line[len("Reason=") :]
                continue
            for word in line.split():
                key, _, value = word.partition("=")
                fields[key] = value
        return fields

    def wait_for(
        self, what: str, test: Callable[[dict[str, str]], bool], seconds: float = 60
    ) -> dict[str, str]:
        deadline = time.monotonic() + seconds
        fields: dict[str, str] = {}
        while time.monotonic() < deadline:
            fields = self.node_fields()
            if test(fields):
                return fields
            time.sleep(0.5)
        logs = "\n".join(
            f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
            for p in sorted((self.root / "log").glob("*.log"))
        )
        raise AssertionError(f"node never {what}: {fields}\n{logs}")


@contextmanager
def cluster(root: Path, health_check: Path, interval: int) -> Iterator[Cluster]:
    """Start munged, slurmctld and slurmd (HealthCheckProgram=`health_check` every `interval`
    seconds); stop them (by their pid files) and wait for them on the way out."""
    node = socket.gethostname().split(".")[0]
    for sub in ("state", "spool", "log"):
        (root / sub).mkdir(parents=True)
    key = root / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    sock = root / "munge.sock"
    (root / "slurm.conf").write_text(
        f"""ClusterName=chipdoctor-test
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/linear
ReturnToService=2
HealthCheckProgram={health_check}
HealthCheckInterval={interval}
NodeName={node} NodeAddr=127.0.0.1 CPUs=1 State=UNKNOWN
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP
""",
        encoding="utf-8",
    )
    running = Cluster(root, node)
    started: list[subprocess.Popen[bytes]] = []
    try:
        munged = [
            "/usr/sbin/munged", "-F", "-f", f"--socket={sock}", f"--key-file={key}",
            f"--log-file={root}/log/munged.log", f"--pid-file={root}/munged.pid",
            f"--seed-file={root}/munged.seed",
        ]  # fmt: skip
        started.append(_daemon(munged, running.env))
        _wait_path(sock)
        started.append(_daemon(["/usr/sbin/slurmctld", "-D", "-i"], running.env))
        _wait_ok(running, "scontrol", "ping")
        started.append(_daemon(["/usr/sbin/slurmd", "-D"], running.env))
        yield running
    finally:
        for process in reversed(started):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _daemon(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_path(path: Path, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.1)


def _wait_ok(cluster: Cluster, *argv: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while cluster.run(*argv, timeout=10).returncode != 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"{' '.join(argv)} never succeeded")
        time.sleep(0.3)
