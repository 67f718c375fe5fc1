"""`chipdoctor fix` for Cambricon through the real console script: the torch and torch_mlu
wheels, the SDK step, and recipes (no listed image fits a stack the matrix knows)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SNAPSHOTS, run_cli
from tests.planning import plan_json


def test_torch_goes_back_to_its_cpu_wheel_for_torch_mlu() -> None:
    code, plan = plan_json("--snapshot", str(SNAPSHOTS / "cambricon-torch-mismatch"))
    assert code == 0 and plan["status"] == "change"
    assert [s["commands"] for s in plan["steps"]] == [
        ["pip install torch==2.4.0 --index-url https://download.pytorch.org/whl/cpu"],
        ["chipdoctor check"],
    ]


def test_torch_mlu_comes_from_the_sdk_as_a_wheel_file() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "cambricon-mlu370-healthy"), "--torch", "2.4")
    (step,) = [s for s in plan["steps"] if "torch-mlu" in s["title"]]
    assert "not on a package index" in step["title"] and "sdk.cambricon.com" in step["title"]
    assert step["commands"] == [
        "pip install ./torch_mlu-1.22.0+torch2.4.0-cp310-cp310-linux_x86_64.whl"
    ]


def test_toolkit_changes_name_the_sdk_packages() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "cambricon-torch_mlu-driver-too-old"))
    (toolkit,) = [s for s in plan["steps"] if s["kind"] == "toolkit"]
    assert toolkit["title"].startswith("Install CNToolkit ")
    assert "from the Cambricon SDK" in toolkit["title"]


def test_no_listed_image_holds_a_stack_the_matrix_knows(tmp_path: Path) -> None:
    """The one published Cambricon PyTorch tag (torch_mlu 1.23.1) is not in the matrix."""
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "cambricon-torch-mismatch"),
        "--emit-dockerfile",
        str(tmp_path / "Dockerfile"),
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("chipdoctor: error: no official cambricon image is listed")
    assert not (tmp_path / "Dockerfile").exists()
