"""`chipdoctor check --deep` for real: CPU torch, and fake vendor packages that fail the way the
real ones do (their published error texts), crash, or hang."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema

from tests.conftest import SNAPSHOTS, run_cli, write_tool

ROOT = Path(__file__).resolve().parents[2]
REPORT_SCHEMA = json.loads((ROOT / "chipdoctor" / "schemas" / "report.schema.json").read_text())
# ascend.md §7, verbatim from LinZhekai/X-Oscar #4 (torch_npu's module_loader.py words it).
LIBHCCL_ERROR = (
    "libhccl.so: cannot open shared object file: No such file or directory. Please check that "
    "the cann package is installed. Please run 'source set_env.sh' in the CANN installation path."
)
# pytorch/pytorch c10/cuda/CUDAFunctions.cpp, as torch.cuda.is_available() warns it.
DRIVER_TOO_OLD = (
    "CUDA initialization: The NVIDIA driver on your system is too old (found version 11040). "
    "Please update your GPU driver by downloading and installing a new version from the URL: "
    "http://www.nvidia.com/Download/index.aspx Alternatively, go to: https://pytorch.org to "
    "install a PyTorch version that has been compiled with your version of the CUDA driver. "
    "(Triggered internally at /pytorch/c10/cuda/CUDAFunctions.cpp:119.)"
)


def write_package(root: Path, name: str, version: str, init: str, dist: str = "") -> None:
    """An importable package `name` whose `__init__.py` is `init`, with a dist-info so the
    inventory sees distribution `dist` (default `name`) installed at `version`."""
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / name / "__init__.py").write_text(init, encoding="utf-8")
    info = root / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist or name}\nVersion: {version}\n", encoding="utf-8"
    )


def deep_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--deep", "--format", "json", *args, env=env)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, REPORT_SCHEMA)
    return result.returncode, report


def findings(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in report["findings"]}


def test_cpu_torch_imports_multiplies_and_says_no_accelerator(torch_python: str) -> None:
    code, report = deep_json("--python", torch_python)
    assert code == 0
    found = findings(report)
    assert found["deep.import-torch"]["severity"] == "info"
    assert "import torch: passed in" in found["deep.import-torch"]["message"]
    assert "torch 2.13.0" in found["deep.import-torch"]["message"]
    assert found["deep.matmul-cpu"]["severity"] == "info"
    assert "64x64 matmul correct" in found["deep.matmul-cpu"]["message"]
    assert found["deep.no-accelerator"]["severity"] == "info"
    assert report["components"] == deep_json_without_deep(torch_python)["components"]


def deep_json_without_deep(python: str) -> dict[str, Any]:
    result = run_cli("check", "--format", "json", "--python", python)
    return dict(json.loads(result.stdout))


def test_the_table_has_a_smoke_test_section(torch_python: str) -> None:
    result = run_cli("check", "--deep", "--python", torch_python)
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("Smoke test (--deep)", 1)[1]
    assert "import-torch" in section and "matmul-cpu" in section
    assert "✓ passed" in section and " s " in section  # each row has its time


def _user_cann(home: Path) -> Path:
    """A CANN toolkit installed under $HOME/Ascend (a user install the probe looks for)."""
    arch = "aarch64-linux" if platform.machine() in ("aarch64", "arm64") else "x86_64-linux"
    toolkit = home / "Ascend" / "ascend-toolkit"
    info = toolkit / "latest" / arch / "ascend_toolkit_install.info"
    info.parent.mkdir(parents=True)
    info.write_text("package_name=Ascend-cann-toolkit\nversion=8.0.0\n", encoding="utf-8")
    (toolkit / "set_env.sh").write_text("export ASCEND_TOOLKIT_HOME=...\n", encoding="utf-8")
    return toolkit / "set_env.sh"


def test_missing_cann_is_diagnosed_with_the_set_env_line(torch_python: str, tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_package(site, "torch_npu", "2.6.0", f"raise ImportError({LIBHCCL_ERROR!r})\n")
    home = tmp_path / "home"
    set_env = _user_cann(home)
    code, report = deep_json(
        "--python", torch_python, env={"PYTHONPATH": str(site), "HOME": str(home)}
    )
    assert code == 1
    assert report["stacks"] == ["ascend"]
    found = findings(report)
    assert found["deep.import-torch"]["severity"] == "info"
    failed = found["deep.import-torch_npu"]
    assert failed["severity"] == "error"
    assert failed["components"] == ["torch_npu"]
    assert f"ImportError: {LIBHCCL_ERROR}" in failed["message"]
    cause = "Likely cause: CANN is not installed, or its set_env.sh was not sourced"
    assert cause in failed["message"]
    assert "ascend.env-not-sourced" in failed["message"]  # the static check's own finding
    assert failed["fix"].startswith(f"source {set_env}")
    assert not any(f.startswith("deep.devices-") for f in found)  # nothing after the failure


def test_a_crash_mid_way_keeps_the_earlier_steps(torch_python: str, tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_package(
        site, "torch_npu", "2.6.0", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"
    )
    code, report = deep_json("--python", torch_python, env={"PYTHONPATH": str(site)})
    assert code == 1
    found = findings(report)
    assert found["deep.import-torch"]["severity"] == "info"
    assert found["deep.matmul-cpu"]["severity"] == "info"
    crashed = found["deep.import-torch_npu"]
    assert crashed["severity"] == "error"
    assert "killed by signal SIGSEGV" in crashed["message"]


def _dead(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return True
    return state in ("Z", "X")


def test_a_hang_is_killed_with_its_whole_process_group(torch_python: str, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pid_file = tmp_path / "helper.pid"
    write_package(
        site,
        "torch_npu",
        "2.6.0",
        "import subprocess, sys, time\n"
        "helper = subprocess.Popen(['sleep', '300'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(helper.pid))\n"
        "sys.stderr.write('waiting for the device\\n'); sys.stderr.flush()\n"
        "time.sleep(300)\n",
    )
    started = time.monotonic()
    code, report = deep_json(
        "--python", torch_python, "--deep-timeout", "4", env={"PYTHONPATH": str(site)}
    )
    assert time.monotonic() - started < 60
    assert code == 1
    hung = findings(report)["deep.import-torch_npu"]
    assert "did not finish within 4 s" in hung["message"]
    assert "waiting for the device" in hung["message"]
    helper = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while not _dead(helper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _dead(helper), "the helper the step started outlived the timeout"


FAKE_CUDA_TORCH = f"""
import warnings
from . import version

__version__ = "2.7.1+cu126"


class _Ones:
    def __init__(self, side):
        self.side = side

    def __matmul__(self, other):
        return {{(0, 0): _Value(self.side)}}


class _Value(float):
    def cpu(self):
        return self


def ones(shape, device="cpu"):
    return _Ones(shape[0])


class cuda:
    @staticmethod
    def is_available():
        warnings.warn({DRIVER_TOO_OLD!r}, UserWarning)
        return False

    @staticmethod
    def device_count():
        return 0
"""


def test_an_old_nvidia_driver_is_diagnosed(tmp_path: Path, tool_dir: Path) -> None:
    """A CUDA 12.6 torch (a small fake that warns exactly as torch does) on a driver that
    supports CUDA 11.4 (a real nvidia-smi output from the scenario snapshots)."""
    site = tmp_path / "site"
    write_package(site, "torch", "2.7.1+cu126", FAKE_CUDA_TORCH)
    (site / "torch" / "version.py").write_text(
        "from typing import Optional\n__version__ = '2.7.1+cu126'\n"
        "cuda: Optional[str] = '12.6'\nhip: Optional[str] = None\n",
        encoding="utf-8",
    )
    smi = SNAPSHOTS / "cuda-torch-too-new-for-driver" / "commands" / "nvidia-smi.txt"
    write_tool(tool_dir, "nvidia-smi", f"cat '{smi}'\n")
    env = {"PYTHONPATH": str(site), "PATH": f"{tool_dir}:{os.environ['PATH']}"}
    code, report = deep_json("--python", sys.executable, env=env)
    assert code == 1
    assert "cuda" in report["stacks"]
    found = findings(report)
    assert found["deep.matmul-cpu"]["severity"] == "info"
    counted = found["deep.devices-cuda"]
    assert counted["severity"] == "error"
    assert counted["components"] == ["torch", "nvidia_driver"]
    assert "torch.cuda.is_available() == False" in counted["message"]
    assert "The NVIDIA driver on your system is too old (found version 11040)" in counted["message"]
    assert "too old for the CUDA runtime this torch build ships (CUDA 12.6)" in counted["message"]
    assert "cuda.torch-driver" in counted["message"]
    assert counted["fix"].startswith("Upgrade the NVIDIA driver")


def test_no_torch_means_nothing_to_run(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    code, report = deep_json("--python", str(venv / "bin" / "python"))
    assert code == 0
    found = findings(report)
    skipped = found["deep.import-torch"]
    assert skipped["severity"] == "info"
    assert "torch is not installed" in skipped["message"]
    assert [f for f in found if f.startswith("deep.")] == ["deep.import-torch"]


def test_deep_needs_this_machine() -> None:
    result = run_cli("check", "--deep", "--snapshot", str(SNAPSHOTS / "no-accelerator"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "chipdoctor: error: --deep runs on this machine and cannot be combined with --snapshot"
    ]
