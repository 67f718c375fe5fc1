"""The CUDA scenario snapshots through the real console script: inventories, fixes, mixed hosts."""

from __future__ import annotations

from typing import Any

from tests.cli.test_scenarios import check_json
from tests.conftest import SNAPSHOTS


def versions(report: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["version"] for c in report["components"]}


def finding(report: dict[str, Any], finding_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in report["findings"] if f["id"] == finding_id]
    assert len(found) == 1, found
    return found[0]


def test_healthy_inventory() -> None:
    code, report = check_json(SNAPSHOTS / "cuda-healthy")
    assert code == 0
    assert report["stacks"] == ["cuda"]
    assert {k: v for k, v in versions(report).items() if k not in ("os", "glibc", "arch")} == {
        "python": "3.11.5",
        "torch": "2.7.1+cu126",
        "nvidia_driver": "580.65.06",
        "cuda_driver_api": "13.0",
        "cuda": "11.5.2",
        "cudnn": "9.5.1.17",
    }
    sources = {c["id"]: c["source"] for c in report["components"]}
    assert sources["nvidia_driver"] == "nvidia-smi"
    assert sources["cuda"] == "/usr/local/cuda-11.5/version.json"
    assert report["devices"] == [
        {"stack": "cuda", "index": 0, "name": "NVIDIA GeForce RTX 4090", "health": "OK"}
    ]


def test_driver_too_old_gives_both_ways_out() -> None:
    _, report = check_json(SNAPSHOTS / "cuda-torch-too-new-for-driver")
    fix = finding(report, "cuda.torch-driver")["fix"].splitlines()
    assert fix[0].startswith("Ask the administrator for NVIDIA driver 560.28.03 or newer")
    assert fix[1].endswith(
        "pip install torch==2.7.1+cu118 --index-url https://download.pytorch.org/whl/cu118"
    )


def test_cpu_torch_fix_is_the_cuda_wheel_index() -> None:
    _, report = check_json(SNAPSHOTS / "cuda-cpu-torch-on-gpu-host")
    assert finding(report, "cuda.torch-cpu-build")["fix"] == (
        "pip install torch==2.5.1+cu124 torchvision==0.20.1+cu124 "
        "--index-url https://download.pytorch.org/whl/cu124"
    )


def test_mismatch_reports_the_kernel_module_from_proc() -> None:
    _, report = check_json(SNAPSHOTS / "cuda-driver-mismatch")
    assert versions(report)["nvidia_driver"] == "550.144.03"
    failed = finding(report, "cuda.nvidia-smi-failed")
    assert "kernel module 550.144.03" in failed["message"]
    assert failed["fix"].startswith("Reboot the node")


def test_mixed_host_lists_both_stacks_and_names_each_finding_s_stack() -> None:
    code, report = check_json(SNAPSHOTS / "multi-cuda-ascend")
    assert code == 0
    assert report["stacks"] == ["ascend", "cuda"]
    assert {d["stack"] for d in report["devices"]} == {"ascend", "cuda"}
    assert {"torch_npu", "cann", "nvidia_driver", "cuda"} <= set(versions(report))
    for item in report["findings"]:
        assert item["id"].split(".")[0] in report["stacks"]
    assert finding(report, "cuda.toolkit-driver")["severity"] == "warning"
