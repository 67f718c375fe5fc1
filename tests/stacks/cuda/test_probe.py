"""The CUDA probe: nvidia-smi and /proc, the toolkit's version files, cuDNN, visible devices."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from chipdoctor.evidence.base import (
    CommandResult,
)
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, SnapshotEvidence, write_snapshot
from chipdoctor.model import Inventory, Severity
from chipdoctor.stacks.cuda.probe import CudaProbe, parse_visible_devices
from tests.conftest import FIXTURES, SNAPSHOTS, write_tool

SMI = FIXTURES / "nvidia_smi"
PROC = FIXTURES / "nvidia_proc_version"
VERSION_JSON_1152 = (SNAPSHOTS / "cuda-healthy/files/usr/local/cuda-11.5/version.json").read_text()
VERSION_JSON_1331 = (SNAPSHOTS / "multi-cuda-ascend/files/usr/local/cuda/version.json").read_text()
CUDNN_911 = "#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 1\n#define CUDNN_PATCHLEVEL 1\n"


def smi(name: str, exit_code: int = 0) -> CommandResult:
    return CommandResult("nvidia-smi", exit_code, (SMI / name).read_text(encoding="utf-8"))


@dataclass
class Machine:
    """What a test machine holds: files, environment, packages and nvidia-smi's answer.

    `collect` writes it as a real snapshot directory and probes it through SnapshotEvidence,
    the evidence the snapshot tests and `check --snapshot` use; the tests with HostEvidence
    below cover the live host.
    """

    files: dict[str, str] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)
    env: dict[str, str] = field(default_factory=dict)
    packages: Mapping[str, str] = field(default_factory=dict)
    nvidia_smi: CommandResult | None = None
    machine: str = "x86_64"

    def write(self, root: Path) -> Path:
        for path, text in self.files.items():
            local = root / "files" / path.lstrip("/")
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_text(text, encoding="utf-8")
        commands: dict[str, dict[str, object]] = {}
        if self.nvidia_smi is not None:
            (root / "commands").mkdir(parents=True)
            (root / "commands/nvidia-smi.txt").write_text(self.nvidia_smi.stdout, encoding="utf-8")
            (root / "commands/nvidia-smi.err").write_text(self.nvidia_smi.stderr, encoding="utf-8")
            commands["nvidia-smi"] = {
                "exit": self.nvidia_smi.exit,
                "stdout": "commands/nvidia-smi.txt",
                "stderr": "commands/nvidia-smi.err",
                "timed_out": self.nvidia_smi.timed_out,
                "error": self.nvidia_smi.error,
            }
        document = {
            "format": "chipdoctor-snapshot/1",
            "platform": {"system": "Linux", "machine": self.machine},
            "python": {"version": "3.11.5", "packages": dict(self.packages)},
            "env": dict(self.env),
            "commands": commands,
            "unreadable": dict.fromkeys(sorted(self.unreadable), "permission denied"),
        }
        (root / "snapshot.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
        return root


def collect(machine: Machine) -> Inventory:
    with tempfile.TemporaryDirectory() as directory:
        return CudaProbe().collect(SnapshotEvidence(machine.write(Path(directory))))


def versions(inv: Inventory) -> dict[str, tuple[str, str]]:
    return {c.id: (c.version, c.source) for c in inv.components}


def ids(inv: Inventory) -> dict[str, Severity]:
    return {f.id: f.severity for f in inv.findings}


def test_nothing_installed_is_no_stack() -> None:
    inv = collect(Machine())
    assert inv.stacks == [] and inv.components == [] and inv.findings == []


def test_pip_cudnn_and_a_dangling_cuda_home_alone_are_no_stack() -> None:
    # Every x86_64 `pip install torch` brings nvidia-cudnn-cu12; that is not a CUDA host.
    inv = collect(Machine(packages={"nvidia-cudnn-cu12": "9.1.0.70"}, env={"CUDA_HOME": "/x"}))
    assert inv.stacks == [] and inv.components == [] and inv.findings == []


def test_healthy_nvidia_smi() -> None:
    inv = collect(Machine(nvidia_smi=smi("580.65.06_rtx4090_procs.txt")))
    assert inv.stacks == ["cuda"]
    assert versions(inv) == {
        "nvidia_driver": ("580.65.06", "nvidia-smi"),
        "cuda_driver_api": ("13.0", "nvidia-smi"),
    }
    assert [(d.stack, d.index, d.name, d.health) for d in inv.devices] == [
        ("cuda", 0, "NVIDIA GeForce RTX 4090", "OK")
    ]
    assert inv.findings == []


def test_kmd_version_header_of_r610() -> None:
    inv = collect(Machine(nvidia_smi=smi("610.57.04_kmd_umd_7x_b300_prompt.txt")))
    assert versions(inv)["nvidia_driver"] == ("610.57.04", "nvidia-smi")
    assert versions(inv)["cuda_driver_api"] == ("13.3", "nvidia-smi")
    assert len(inv.devices) == 7


def test_cuda_version_na_records_no_driver_api() -> None:
    inv = collect(Machine(nvidia_smi=smi("550.54.14_mig_enabled_cuda_na.txt")))
    assert "cuda_driver_api" not in versions(inv)
    assert versions(inv)["nvidia_driver"] == ("550.54.14", "nvidia-smi")


def test_err_marker_is_a_device_health_warning() -> None:
    inv = collect(Machine(nvidia_smi=smi("err_fan_gpu14_rtx4000ada_excerpt.txt")))
    assert [(d.index, d.health) for d in inv.devices] == [(13, "OK"), (14, "ERR!")]
    (finding,) = inv.findings
    assert finding.id == "cuda.device-health" and finding.severity is Severity.WARNING
    assert "nvidia-smi -q -i 14" in finding.fix


def test_driver_from_proc_when_nvidia_smi_is_absent() -> None:
    inv = collect(
        Machine(files={"/proc/driver/nvidia/version": (PROC / "565.57.01_open.txt").read_text()})
    )
    assert inv.stacks == ["cuda"]
    assert versions(inv) == {"nvidia_driver": ("565.57.01", "/proc/driver/nvidia/version")}


def test_nvidia_smi_wins_over_proc() -> None:
    inv = collect(
        Machine(
            files={"/proc/driver/nvidia/version": (PROC / "580.95.05_open.txt").read_text()},
            nvidia_smi=smi("580.105.08_t4_excerpt.txt"),
        )
    )
    assert versions(inv)["nvidia_driver"] == ("580.105.08", "nvidia-smi")


def test_version_mismatch_names_the_kernel_module_and_library() -> None:
    inv = collect(
        Machine(
            files={
                "/proc/driver/nvidia/version": (PROC / "580.173.02_proprietary.txt").read_text()
            },
            nvidia_smi=smi("error_nvml_mismatch_library_version.txt", exit_code=255),
        )
    )
    (finding,) = inv.findings
    assert finding.id == "cuda.nvidia-smi-failed" and finding.severity is Severity.ERROR
    assert "kernel module 580.173.02" in finding.message
    assert "NVML library 580.178" in finding.message
    assert finding.fix.startswith("Reboot the node")
    assert versions(inv)["nvidia_driver"] == ("580.173.02", "/proc/driver/nvidia/version")


@pytest.mark.parametrize(
    ("name", "fix_start"),
    [
        ("error_couldnt_communicate_prompt.txt", "Load the driver"),
        ("error_nvml_unknown_error.txt", "Inside a container: recreate it"),
        ("error_libnvidia_ml_missing.txt", "Install the NVIDIA driver's user-space libraries"),
        ("error_no_devices_found.txt", "Check `dmesg | grep -i nvrm`"),
        ("error_device_handle_unknown.txt", "A GPU fell off the bus"),
    ],
)
def test_failures_are_driver_errors_with_their_fix(name: str, fix_start: str) -> None:
    inv = collect(Machine(nvidia_smi=smi(name, exit_code=255)))
    assert inv.stacks == ["cuda"]
    (finding,) = inv.findings
    assert (finding.id, finding.severity) == ("cuda.nvidia-smi-failed", Severity.ERROR)
    assert finding.fix.startswith(fix_start)


def test_unreachable_gpu_beside_working_ones_is_a_health_warning() -> None:
    # Constructed from two real outputs: the device-handle line above a working table.
    lost = (SMI / "error_device_handle_unknown.txt").read_text().splitlines()[1]
    table = (SMI / "535.104.05_colab_t4_no_processes.txt").read_text()
    inv = collect(Machine(nvidia_smi=CommandResult("nvidia-smi", 0, f"{lost}\n{table}")))
    assert ids(inv) == {"cuda.device-health": Severity.WARNING}
    assert len(inv.devices) == 1


def test_unrecognised_failure_quotes_the_output() -> None:
    result = CommandResult("nvidia-smi", 6, "", "Segmentation fault\n")
    (finding,) = collect(Machine(nvidia_smi=result)).findings
    assert finding.id == "cuda.nvidia-smi-failed"
    assert "exited with status 6: Segmentation fault" in finding.message


def test_hanging_nvidia_smi(tmp_path: Path) -> None:
    """The real subprocess path: a tool that never answers is killed and reported."""
    bin_dir = tmp_path / "bin"
    write_tool(bin_dir, "nvidia-smi", "sleep 30\n")
    evidence = HostEvidence(
        root=str(tmp_path), env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, timeout=0.5
    )
    (finding,) = CudaProbe().collect(evidence).findings
    assert finding.id == "cuda.nvidia-smi-failed"
    assert "hangs" in finding.fix


def test_real_tool_on_a_real_tree(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    write_tool(bin_dir, "nvidia-smi", f"cat '{SMI / '535.104.05_colab_t4_no_processes.txt'}'\n")
    json_path = tmp_path / "usr/local/cuda/version.json"
    json_path.parent.mkdir(parents=True)
    json_path.write_text(VERSION_JSON_1331)
    evidence = HostEvidence(root=str(tmp_path), env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    inv = CudaProbe().collect(evidence)
    assert versions(inv)["nvidia_driver"] == ("535.104.05", "nvidia-smi")
    assert versions(inv)["cuda"] == ("13.3.1", "/usr/local/cuda/version.json")


# --- the toolkit ----------------------------------------------------------------------------


def test_version_json_under_usr_local_cuda() -> None:
    inv = collect(Machine(files={"/usr/local/cuda/version.json": VERSION_JSON_1152}))
    assert inv.stacks == ["cuda"]
    assert versions(inv) == {"cuda": ("11.5.2", "/usr/local/cuda/version.json")}


def test_version_txt_of_older_toolkits() -> None:
    inv = collect(Machine(files={"/usr/local/cuda/version.txt": "CUDA Version 10.0.130\n"}))
    assert versions(inv) == {"cuda": ("10.0.130", "/usr/local/cuda/version.txt")}


def test_version_json_wins_over_a_stale_version_txt() -> None:
    files = {
        "/usr/local/cuda/version.json": VERSION_JSON_1331,
        "/usr/local/cuda/version.txt": "CUDA Version 10.2.89\n",
    }
    assert versions(collect(Machine(files=files)))["cuda"][0] == "13.3.1"


@pytest.mark.parametrize("variable", ["CUDA_HOME", "CUDA_PATH"])
def test_cuda_home_comes_first(variable: str) -> None:
    files = {
        "/usr/local/cuda-11.5/version.json": VERSION_JSON_1152,
        "/usr/local/cuda/version.json": VERSION_JSON_1331,
    }
    inv = collect(Machine(files=files, env={variable: "/usr/local/cuda-11.5/"}))
    assert versions(inv)["cuda"] == ("11.5.2", "/usr/local/cuda-11.5/version.json")


def test_missing_cuda_home_warns_and_falls_back() -> None:
    inv = collect(
        Machine(
            files={"/usr/local/cuda/version.json": VERSION_JSON_1331},
            env={"CUDA_HOME": "/opt/cuda-12.4"},
        )
    )
    assert ids(inv) == {"cuda.cuda-home-missing": Severity.WARNING}
    assert versions(inv)["cuda"][0] == "13.3.1"


def test_garbage_version_json_is_a_warning_and_version_txt_still_counts() -> None:
    files = {
        "/usr/local/cuda/version.json": "{ truncated",
        "/usr/local/cuda/version.txt": "CUDA Version 10.2.89\n",
    }
    inv = collect(Machine(files=files))
    assert ids(inv) == {"cuda.toolkit-version-unreadable": Severity.WARNING}
    assert versions(inv)["cuda"][0] == "10.2.89"


def test_unreadable_version_file_is_a_finding_not_a_crash() -> None:
    inv = collect(
        Machine(
            files={"/usr/local/cuda/version.json": VERSION_JSON_1331},
            unreadable={"/usr/local/cuda/version.json", "/proc/driver/nvidia/version"},
        )
    )
    assert ids(inv) == {"cuda.unreadable-file": Severity.WARNING}
    assert inv.stacks == ["cuda"]
    assert "cuda" not in versions(inv)


def test_proc_version_without_nvrm_line() -> None:
    inv = collect(Machine(files={"/proc/driver/nvidia/version": "garbage\n"}))
    assert ids(inv) == {"cuda.driver-version-unreadable": Severity.WARNING}
    assert inv.stacks == ["cuda"]


# --- cuDNN ------------------------------------------------------------------------------------


def test_cudnn_from_the_pip_package_torch_loads() -> None:
    inv = collect(
        Machine(
            files={"/usr/include/cudnn_version.h": CUDNN_911},
            packages={"nvidia-cudnn-cu12": "9.5.1.17"},
            nvidia_smi=smi("580.65.06_rtx4090_procs.txt"),
        )
    )
    assert versions(inv)["cudnn"] == ("9.5.1.17", "package metadata: nvidia-cudnn-cu12")


@pytest.mark.parametrize(
    ("path", "machine"),
    [
        ("/usr/local/cuda/include/cudnn_version.h", "x86_64"),
        ("/usr/include/cudnn_version.h", "x86_64"),
        ("/usr/include/x86_64-linux-gnu/cudnn_version_v9.h", "x86_64"),
        ("/usr/include/aarch64-linux-gnu/cudnn_version_v9.h", "aarch64"),
        ("/usr/include/cudnn.h", "x86_64"),
    ],
)
def test_cudnn_headers(path: str, machine: str) -> None:
    inv = collect(
        Machine(
            files={path: CUDNN_911, "/usr/local/cuda/version.json": VERSION_JSON_1331},
            machine=machine,
        )
    )
    assert versions(inv)["cudnn"] == ("9.1.1", path)


# --- CUDA_VISIBLE_DEVICES ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("0,1", ([0, 1], "")),
        ("0,2,-1,1", ([0, 2], "-1")),
        ("1gpu2,2ampere", ([1, 2], "")),
        ("", ([], "")),
        ("-1", ([], "-1")),
        ("GPU-9e4aeb94-01c0-5173-4811-4ca60f77b3a9", None),
        ("MIG-c42101f0-a1fa-5b68-8908-7c5c887f28bd", None),
    ],
)
def test_parse_visible_devices(value: str, parsed: tuple[list[int], str] | None) -> None:
    assert parse_visible_devices(value) == parsed


def visible(value: str, name: str = "390.25_8x_gtx1080ti_procs.txt") -> dict[str, Severity]:
    return ids(collect(Machine(env={"CUDA_VISIBLE_DEVICES": value}, nvidia_smi=smi(name))))


def test_valid_visible_devices_are_fine() -> None:
    assert visible("0,7") == {}
    assert visible("GPU-9e4aeb94-01c0-5173-4811-4ca60f77b3a9") == {}


def test_a_missing_first_device_hides_every_gpu() -> None:
    assert visible("8") == {"cuda.visible-devices": Severity.ERROR}


def test_a_missing_later_device_truncates_the_list() -> None:
    inv = collect(
        Machine(
            env={"CUDA_VISIBLE_DEVICES": "0,9,1"},
            nvidia_smi=smi("390.25_8x_gtx1080ti_procs.txt"),
        )
    )
    (finding,) = inv.findings
    assert finding.severity is Severity.WARNING
    assert finding.fix == "export CUDA_VISIBLE_DEVICES=0"


def test_minus_one_hides_the_gpus_on_purpose() -> None:
    assert visible("-1") == {"cuda.visible-devices": Severity.WARNING}


def test_mig_hosts_are_not_checked() -> None:
    assert visible("5", "570.148.08_a100_mig_devices.txt") == {}


def test_live_check_and_its_snapshot_agree(tmp_path: Path) -> None:
    """Everything the probe reads is recorded, so its own snapshot gives the same inventory."""
    root = tmp_path / "root"
    shutil.copytree(SNAPSHOTS / "cuda-healthy" / "files", root)
    (root / "usr/include/x86_64-linux-gnu").mkdir(parents=True)
    (root / "usr/include/x86_64-linux-gnu/cudnn_version_v9.h").write_text(CUDNN_911)
    output = SNAPSHOTS / "cuda-healthy" / "commands" / "nvidia-smi.txt"
    tools = write_tool(tmp_path / "bin", "nvidia-smi", f"cat '{output}'\n").parent
    env = {"PATH": f"{tools}:/usr/bin:/bin", "CUDA_HOME": "/usr/local/cuda-11.5"}
    live = HostEvidence(root=str(root), env=env)
    recorder = RecordingEvidence(live)
    inventory = CudaProbe().collect(recorder)
    assert versions(inventory)["cuda"] == ("11.5.2", "/usr/local/cuda-11.5/version.json")
    listed = {
        f"{p.rstrip('/')}/{e}": live.is_dir(f"{p.rstrip('/')}/{e}")
        for p, entries in recorder.recording.dirs.items()
        for e in entries or []
    }
    out = tmp_path / "snap"
    write_snapshot(out, recorder.recording, live.platform, live.python, is_dir=listed)
    again = CudaProbe().collect(SnapshotEvidence(out))
    assert (again.components, again.devices, again.findings, again.stacks) == (
        inventory.components,
        inventory.devices,
        inventory.findings,
        inventory.stacks,
    )
