"""`chipdoctor fix` for NVIDIA through the real console script: exact pip lines, the driver
step, and recipes on pytorch/pytorch images."""

from __future__ import annotations

from pathlib import Path

from chipdoctor.recipes.data import images
from tests.conftest import SNAPSHOTS, run_cli
from tests.planning import emit, linted, plan_json, targets


def test_a_cpu_torch_gets_its_cuda_build_with_torchvision() -> None:
    code, plan = plan_json("--snapshot", str(SNAPSHOTS / "cuda-cpu-torch-on-gpu-host"))
    assert code == 0 and plan["status"] == "change"
    assert [s["commands"] for s in plan["steps"]] == [
        ["pip install torch==2.5.1+cu124 --index-url https://download.pytorch.org/whl/cu124"],
        [
            "pip install torchvision==0.20.1+cu124 "
            "--index-url https://download.pytorch.org/whl/cu124"
        ],
        ["chipdoctor check"],
    ]


def test_a_driver_change_is_asked_of_the_administrator() -> None:
    _, plan = plan_json(
        "--snapshot", str(SNAPSHOTS / "cuda-torch-too-new-for-driver"), "--torch", "2.13"
    )
    admin = plan["steps"][0]
    assert admin["kind"] == "admin" and admin["commands"] == []
    assert f"NVIDIA driver {targets(plan)['nvidia_driver']} or newer" in admin["title"]
    assert [s["kind"] for s in plan["steps"]] == ["admin", "pip", "verify"]


def test_a_toolkit_change_points_at_the_archive() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "multi-cuda-ascend"), "--stack", "cuda")
    (toolkit,) = [s for s in plan["steps"] if s["kind"] == "toolkit"]
    assert "CUDA toolkit 13.0" in toolkit["title"]
    assert "developer.nvidia.com/cuda-toolkit-archive" in toolkit["title"]


def test_the_recipe_is_a_pytorch_image_with_the_gpus(tmp_path: Path) -> None:
    dockerfile = emit(tmp_path, "cuda-healthy")
    text, base = linted(dockerfile)
    assert base in {i.reference for i in images() if i.stack == "cuda"}
    assert base.startswith("docker.io/pytorch/pytorch:")
    assert "#   docker run --rm -it --gpus all chipdoctor-cuda" in text
    assert "pip install --no-cache-dir torch" not in text  # the image has torch
    assert text.rstrip().endswith("&& chipdoctor check --strict")


def test_a_pin_no_image_has_is_bad_input(tmp_path: Path) -> None:
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "cuda-healthy"),
        "--torch",
        "2.5",
        "--emit-dockerfile",
        str(tmp_path / "Dockerfile"),
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("chipdoctor: error: no official cuda image is listed for the stack")
    assert not (tmp_path / "Dockerfile").exists()


def test_the_apptainer_definition_brings_the_gpus_with_nv(tmp_path: Path) -> None:
    definition = tmp_path / "cuda.def"
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "cuda-cpu-torch-on-gpu-host"),
        "--emit-apptainer",
        str(definition),
    )
    assert result.returncode == 0, result.stderr
    text = definition.read_text()
    assert "From: docker.io/pytorch/pytorch:" in text
    assert "    Run: apptainer exec --nv chipdoctor-cuda.sif python" in text
