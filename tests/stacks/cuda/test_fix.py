"""`chipdoctor fix` for NVIDIA through the real console script: exact pip lines, the driver
step, and recipes on pytorch/pytorch images."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from chipdoctor.recipes.data import images
from tests.conftest import SNAPSHOTS, run_cli
from tests.planning import emit, linted, plan_json, targets

PREFLIGHT = "chipdoctor check --strict --policy /tmp/chipdoctor/chipdoctor-preflight.yaml"


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
    assert text.rstrip().endswith(f"&& {PREFLIGHT}")
    assert base.endswith("-runtime")  # nothing is compiled in the recipe


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


def test_the_runtime_flavor_is_preferred_where_both_are_published(tmp_path: Path) -> None:
    text, base = linted(emit(tmp_path, "cuda-healthy", "--torch", "2.11"))
    assert base == "docker.io/pytorch/pytorch:2.11.0-cuda12.8-cudnn9-runtime"
    assert "cudnn-devel" not in text and "nvidia/cuda" not in text


def test_a_cudnn_wheel_comes_with_the_torch_that_needs_it() -> None:
    """cu126 -> cu118 on driver 535: the torch line brings cuDNN 9.1.0.70 as nvidia-cudnn-cu11,
    and the step says the CUDA 12 wheels of the old build stay."""
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "cuda-minor-version-compat"))
    assert targets(plan)["cudnn"] == "9.1.0.70"
    pip, verify = plan["steps"]
    assert (pip["commands"], verify["kind"]) == (
        ["pip install torch==2.7.1+cu118 --index-url https://download.pytorch.org/whl/cu118"],
        "verify",
    )
    assert "it brings nvidia-cudnn-cu11 9.1.0.70" in pip["title"]
    assert "nvidia-*-cu12 packages of the CUDA 12 build stay installed" in pip["title"]


def test_a_cudnn_of_another_major_under_the_same_torch_is_its_own_line(tmp_path: Path) -> None:
    """The healthy host with nvidia-cudnn-cu12 8.9.2.26: the line is `check`'s own fix."""
    host = tmp_path / "cudnn8"
    shutil.copytree(SNAPSHOTS / "cuda-healthy", host)
    doc = yaml.safe_load((host / "snapshot.yaml").read_text())
    doc["python"]["packages"]["nvidia-cudnn-cu12"] = "8.9.2.26"
    (host / "snapshot.yaml").write_text(yaml.safe_dump(doc))
    check = json.loads(run_cli("check", "--snapshot", str(host), "--format", "json").stdout)
    (warning,) = [f for f in check["findings"] if f["id"] == "cuda.cudnn-torch"]
    _, plan = plan_json("--snapshot", str(host))
    assert [s["commands"] for s in plan["steps"]] == [[warning["fix"]], ["chipdoctor check"]]
    assert warning["fix"] == "pip install nvidia-cudnn-cu12==9.5.1.17"


def image_at_build_time(tmp_path: Path, flavor: str) -> Path:
    """A pytorch/pytorch image as `docker build` sees it (a chipdoctor-snapshot/2): in a
    container (the recorded /proc/self/mountinfo of `access-rocm-no-kfd`), with torch
    2.13.0+cu132, its cuDNN wheel and the Dockerfile's ENV lines, but no driver libraries, no
    nvidia-smi and no /dev/nvidia*. `devel` adds the CUDA toolkit of its nvidia/cuda base."""
    snapshot = tmp_path / f"pytorch-{flavor}-building"
    files = snapshot / "files"
    (files / "proc/self").mkdir(parents=True)
    shutil.copy(
        SNAPSHOTS / "access-rocm-no-kfd/files/proc/self/mountinfo", files / "proc/self/mountinfo"
    )
    site = "/opt/conda/lib/python3.11/site-packages"
    (files / site.lstrip("/") / "torch").mkdir(parents=True)
    (files / site.lstrip("/") / "torch/version.py").write_text(
        "__version__ = '2.13.0+cu132'\ncuda = '13.2'\nhip = None\n"
    )
    path = "/opt/conda/bin:/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/sbin:/usr/bin:/bin"
    if flavor == "devel":
        (files / "usr/local/cuda").mkdir(parents=True)
        (files / "usr/local/cuda/version.json").write_text(
            json.dumps({"cuda": {"name": "CUDA SDK", "version": "13.2.0"}})
        )
    doc = {
        "format": "chipdoctor-snapshot/2",
        "platform": {"system": "Linux", "machine": "x86_64", "glibc": "2.35"},
        "python": {
            "version": "3.11.13",
            "packages": {"torch": "2.13.0+cu132", "nvidia-cudnn-cu13": "9.20.0.48"},
            "paths": [site],
        },
        # pytorch/pytorch Dockerfile, `official` stage
        "env": {
            "PATH": path,
            "NVIDIA_VISIBLE_DEVICES": "all",
            "NVIDIA_DRIVER_CAPABILITIES": "compute,utility",
            "LD_LIBRARY_PATH": "/usr/local/nvidia/lib:/usr/local/nvidia/lib64",
        },
        "commands": {},
        "identity": {"uid": 0, "gid": 0, "user": "root", "groups": [{"gid": 0, "name": "root"}]},
        "stats": {"/.dockerenv": {"type": "file", "mode": "0755", "uid": 0, "gid": 0}},
    }
    (snapshot / "snapshot.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return snapshot


@pytest.mark.parametrize("flavor", ["devel", "runtime"])
def test_the_preflight_policy_demotes_exactly_what_the_host_brings(
    tmp_path: Path, flavor: str
) -> None:
    """A devel image has its toolkit, so `check` finds the stack and misses what --gpus all
    brings; a runtime image shows no NVIDIA stack until it runs. With the recipe's policy both
    pass `check --strict`."""
    emit(tmp_path, "cuda-torch-too-new-for-driver")  # its recipe is on the 13.2 devel image
    policy = yaml.safe_load((tmp_path / "chipdoctor-preflight.yaml").read_text())
    image = image_at_build_time(tmp_path, flavor)
    strict = run_cli("check", "--snapshot", str(image), "--strict", "--format", "json")
    report = json.loads(strict.stdout)
    failing = {f["id"]: f["severity"] for f in report["findings"] if f["severity"] != "info"}
    if flavor == "devel":
        assert strict.returncode == 1 and report["stacks"] == ["cuda"]
        assert failing == {"cuda.library-not-mounted": "error", "cuda.device-missing": "error"}
        assert {entry["id"] for entry in policy["ignore"]} == set(failing)
    else:
        assert (strict.returncode, report["stacks"], failing) == (0, [], {})
    passed = run_cli(
        "check",
        "--snapshot",
        str(image),
        "--strict",
        "--policy",
        str(tmp_path / "chipdoctor-preflight.yaml"),
    )
    assert passed.returncode == 0, passed.stdout
