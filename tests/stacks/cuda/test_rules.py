"""CUDA verdicts on hand-built inventories, judged against the bundled matrix."""

from __future__ import annotations

from functools import partial

import pytest

from chipdoctor.matrix.model import Matrix
from chipdoctor.model import (
    FACT_TORCH_BUILD_SOURCE,
    FACT_TORCH_CUDA,
    FACT_TORCH_DEFAULT_BUILD,
    FACT_TORCH_HIP,
    Device,
    Inventory,
    Severity,
)
from chipdoctor.stacks.cuda import facts
from chipdoctor.stacks.cuda.rules import evaluate
from tests import planning
from tests.planning import fixed

VERSION_PY = "/usr/lib/python3/dist-packages/torch/version.py"


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return fixed().get("cuda")


inventory = partial(planning.host, "cuda")


def test_published_stack_is_clean(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.7.1+cu126",
        nvidia_driver="580.65.06",
        cuda_driver_api="13.0",
        cuda="12.6.20241114",
        cudnn="9.5.1.17",
        sources={"cudnn": "package metadata: nvidia-cudnn-cu12"},
    )
    assert evaluate(inv, matrix) == []


# --- torch's CUDA build vs the driver -----------------------------------------------------


def test_driver_below_the_family_minimum_is_an_error(matrix: Matrix) -> None:
    inv = inventory(torch="2.7.1+cu126", nvidia_driver="470.63.01", cuda_driver_api="11.4")
    finding = planning.by_id(evaluate(inv, matrix))["cuda.torch-driver"]
    assert finding.severity is Severity.ERROR
    assert finding.components == ("torch", "nvidia_driver")
    assert "needs NVIDIA driver >=525" in finding.message
    assert "cuda.yaml:" in finding.message
    first, second = finding.fix.splitlines()
    assert first.startswith("Ask the administrator for NVIDIA driver 560.28.03 or newer")
    assert second.endswith(
        "pip install torch==2.7.1+cu118 --index-url https://download.pytorch.org/whl/cu118"
    )


def test_cuda_13_build_on_a_cuda_12_driver(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.9.1+cu130",
        torchvision="0.24.1+cu130",
        nvidia_driver="570.148.08",
        cuda_driver_api="12.8",
    )
    finding = planning.by_id(evaluate(inv, matrix))["cuda.torch-driver"]
    assert finding.severity is Severity.ERROR
    assert "needs NVIDIA driver >=580" in finding.message
    assert finding.fix.splitlines()[1].endswith(
        "pip install torch==2.9.1+cu128 torchvision==0.24.1+cu128 "
        "--index-url https://download.pytorch.org/whl/cu128"
    )


def test_below_the_release_driver_within_the_family_is_a_warning(matrix: Matrix) -> None:
    inv = inventory(torch="2.7.1+cu126", nvidia_driver="535.104.05", cuda_driver_api="12.2")
    finding = planning.by_id(evaluate(inv, matrix))["cuda.torch-driver"]
    assert finding.severity is Severity.WARNING
    assert "minor-version compatibility" in finding.message
    assert finding.fix.startswith("Ask the administrator for NVIDIA driver 560.28.03 or newer")


def test_version_py_build_without_a_local_tag(matrix: Matrix) -> None:
    # NGC builds carry no +cuXYZ tag; torch/version.py says CUDA 12.8 (E.2 collect_env sample).
    inv = inventory(
        torch="2.7.0a0+ecf3bae40a.nv25.02",
        nvidia_driver="550.163.01",
        cuda_driver_api="12.4",
        facts_={FACT_TORCH_CUDA: "12.8", FACT_TORCH_BUILD_SOURCE: VERSION_PY},
    )
    finding = planning.by_id(evaluate(inv, matrix))["cuda.torch-driver"]
    assert finding.severity is Severity.WARNING
    assert ">=570.26" in finding.message


def test_pre_cuda_11_builds_need_their_release_driver(matrix: Matrix) -> None:
    inv = inventory(torch="1.12.1+cu102", nvidia_driver="418.39")
    finding = planning.by_id(evaluate(inv, matrix))["cuda.torch-driver"]
    assert finding.severity is Severity.ERROR
    assert ">= 440.33" not in finding.message and ">=440.33" in finding.message


def test_cuda_release_missing_from_the_matrix_is_unknown(matrix: Matrix) -> None:
    inv = inventory(torch="1.7.1+cu92", nvidia_driver="396.26")
    found = planning.by_id(evaluate(inv, matrix))
    assert set(found) == {"cuda.unknown-combination"}
    assert found["cuda.unknown-combination"].severity is Severity.WARNING


def test_no_driver_means_no_driver_verdict(matrix: Matrix) -> None:
    assert evaluate(inventory(torch="2.7.1+cu126"), matrix) == []


def test_rocm_and_unknown_builds_are_left_alone(matrix: Matrix) -> None:
    rocm = inventory(torch="2.8.0+rocm6.4", nvidia_driver="550.163.01", cuda_driver_api="12.4")
    hip = inventory(
        torch="2.3.0.dev20240308", nvidia_driver="550.163.01", facts_={FACT_TORCH_HIP: "6.0"}
    )
    pypi = inventory(torch="2.5.1", nvidia_driver="550.163.01")
    for inv in (rocm, hip, pypi):
        assert evaluate(inv, matrix) == []


# --- a CPU-only torch on a GPU host -------------------------------------------------------


def test_cpu_wheel_on_a_gpu_host_gets_the_newest_supported_cuda_wheel(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.5.1+cpu",
        torchvision="0.20.1+cpu",
        nvidia_driver="550.163.01",
        cuda_driver_api="12.4",
    )
    finding = planning.by_id(evaluate(inv, matrix))["cuda.torch-cpu-build"]
    assert finding.severity is Severity.ERROR
    assert "torch cannot use the GPU" in finding.message
    assert finding.fix == (
        "pip install torch==2.5.1+cu124 torchvision==0.20.1+cu124 "
        "--index-url https://download.pytorch.org/whl/cu124"
    )


def test_cpu_build_read_from_version_py(matrix: Matrix) -> None:
    # version.py read, cuda None: a CPU build even without a +cpu tag (aarch64 PyPI wheel).
    inv = inventory(
        torch="2.7.1",
        nvidia_driver="550.163.01",
        cuda_driver_api="12.4",
        facts_={FACT_TORCH_BUILD_SOURCE: VERSION_PY},
    )
    finding = planning.by_id(evaluate(inv, matrix))["cuda.torch-cpu-build"]
    # 12.6 and 12.8 are newer than the driver's CUDA 12.4: 11.8 is the newest it fully runs.
    assert finding.fix.endswith("--index-url https://download.pytorch.org/whl/cu118")


def test_cpu_build_when_only_minor_version_compatible_variants_exist(matrix: Matrix) -> None:
    # Driver 535 (CUDA 12.2) and torch 2.8.0, whose wheels are CUDA 12.6/12.8/12.9 only.
    inv = inventory(torch="2.8.0+cpu", nvidia_driver="535.104.05", cuda_driver_api="12.2")
    finding = planning.by_id(evaluate(inv, matrix))["cuda.torch-cpu-build"]
    # None is fully supported; the one closest to the driver runs under minor-version compat.
    assert finding.fix.endswith("--index-url https://download.pytorch.org/whl/cu126")


def test_cpu_build_of_an_unknown_release_still_says_what_to_do(matrix: Matrix) -> None:
    inv = inventory(torch="2.99.0+cpu", nvidia_driver="580.65.06", cuda_driver_api="13.0")
    finding = planning.by_id(evaluate(inv, matrix))["cuda.torch-cpu-build"]
    assert finding.severity is Severity.ERROR
    assert "for CUDA 13.0 or older" in finding.fix


def test_cpu_build_beside_another_accelerator_is_expected(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.5.1+cpu",
        nvidia_driver="550.163.01",
        facts_={facts.FACT_OTHER_EXTENSION: "torch_npu"},
    )
    finding = planning.by_id(evaluate(inv, matrix))["cuda.torch-cpu-build"]
    assert finding.severity is Severity.INFO


def test_cpu_build_without_a_driver_is_fine(matrix: Matrix) -> None:
    assert evaluate(inventory(torch="2.5.1+cpu", cuda="12.4.1"), matrix) == []


# --- the toolkit vs the driver ------------------------------------------------------------


def test_toolkit_older_than_the_driver_is_fine(matrix: Matrix) -> None:
    inv = inventory(cuda="11.5.2", nvidia_driver="580.65.06", cuda_driver_api="13.0")
    assert evaluate(inv, matrix) == []


def test_newer_toolkit_of_the_same_family_is_a_warning(matrix: Matrix) -> None:
    inv = inventory(cuda="13.3.1", nvidia_driver="580.65.06", cuda_driver_api="13.0")
    finding = planning.by_id(evaluate(inv, matrix))["cuda.toolkit-driver"]
    assert finding.severity is Severity.WARNING
    assert finding.fix.startswith("Ask the administrator for NVIDIA driver 610.43.02 or newer")
    assert "install CUDA toolkit 13.0 or older" in finding.fix


def test_toolkit_of_a_newer_family_is_an_error(matrix: Matrix) -> None:
    inv = inventory(cuda="13.3.1", nvidia_driver="550.163.01", cuda_driver_api="12.4")
    finding = planning.by_id(evaluate(inv, matrix))["cuda.toolkit-driver"]
    assert finding.severity is Severity.ERROR
    assert "needs NVIDIA driver >=580" in finding.message


def test_toolkit_against_the_driver_alone(matrix: Matrix) -> None:
    # nvidia-smi failed, /proc gave the driver: the release table decides.
    below_release = inventory(cuda="12.6.20241114", nvidia_driver="550.144.03")
    assert planning.by_id(evaluate(below_release, matrix))["cuda.toolkit-driver"].severity is (
        Severity.WARNING
    )
    fine = inventory(cuda="12.4.1", nvidia_driver="550.144.03")
    assert evaluate(fine, matrix) == []


def test_date_stamped_toolkit_uses_its_ga_minimum(matrix: Matrix) -> None:
    inv = inventory(cuda="12.2.20230823", nvidia_driver="535.54.03")
    assert evaluate(inv, matrix) == []


def test_toolkit_missing_from_the_matrix_is_unknown(matrix: Matrix) -> None:
    inv = inventory(cuda="14.0.0", nvidia_driver="620.1", cuda_driver_api="14.0")
    finding = planning.by_id(evaluate(inv, matrix))["cuda.unknown-combination"]
    assert finding.severity is Severity.WARNING


# --- cuDNN ------------------------------------------------------------------------------------


def test_pip_cudnn_of_another_major_is_a_warning(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.5.1+cu124",
        nvidia_driver="550.163.01",
        cuda_driver_api="12.4",
        cudnn="8.9.7.29",
        sources={"cudnn": "package metadata: nvidia-cudnn-cu12"},
    )
    finding = planning.by_id(evaluate(inv, matrix))["cuda.cudnn-torch"]
    assert finding.severity is Severity.WARNING
    assert finding.fix == "pip install nvidia-cudnn-cu12==9.1.0.70"


def test_system_cudnn_is_not_judged_against_torch(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.5.1+cu124",
        nvidia_driver="550.163.01",
        cuda_driver_api="12.4",
        cudnn="8.9.7",
        sources={"cudnn": "/usr/include/cudnn_version.h"},
    )
    assert evaluate(inv, matrix) == []


# --- the failed job's log (check --log) ----------------------------------------------------


def _logged(inv: Inventory, *lines: str) -> Inventory:
    from chipdoctor.symptoms.recognise import recognise

    inv.symptoms = list(recognise(lines))
    return inv


NOT_CUDA = "AssertionError: Torch not compiled with CUDA enabled"


def test_the_log_proves_a_cpu_build_where_only_the_default_build_said_cuda(
    matrix: Matrix,
) -> None:
    # A plain version whose published default build is CUDA (a conda or source build carries
    # no tag): the log is the stronger evidence.
    inv = inventory(
        torch="2.5.1",
        nvidia_driver="550.163.01",
        cuda_driver_api="12.4",
        facts_={FACT_TORCH_CUDA: "12.4", FACT_TORCH_DEFAULT_BUILD: "published default build"},
    )
    finding = planning.by_id(evaluate(_logged(inv, NOT_CUDA), matrix))["cuda.torch-cpu-build"]
    assert finding.severity is Severity.ERROR
    assert f"as the log shows at line 1: '{NOT_CUDA}'" in finding.message
    assert finding.fix.startswith("pip install torch==2.5.1+cu124")


@pytest.mark.parametrize(
    ("torch", "facts_"),
    [
        ("2.5.1", {FACT_TORCH_BUILD_SOURCE: VERSION_PY, FACT_TORCH_CUDA: "12.4"}),
        ("2.5.1+cu124", {}),
    ],
)
def test_the_log_never_overrules_what_torch_itself_says(
    matrix: Matrix, torch: str, facts_: dict[str, str]
) -> None:
    inv = inventory(torch=torch, nvidia_driver="550.163.01", cuda_driver_api="12.4", facts_=facts_)
    found = planning.by_id(evaluate(_logged(inv, NOT_CUDA), matrix))
    assert "cuda.torch-cpu-build" not in found


def test_with_no_driver_recorded_the_fix_names_the_newest_build_and_its_driver(
    matrix: Matrix,
) -> None:
    inv = inventory(torch="2.0.1")
    inv.devices = [Device("cuda", 0, "NVIDIA GeForce RTX 2080 Ti", "OK")]
    finding = planning.by_id(evaluate(_logged(inv, NOT_CUDA), matrix))["cuda.torch-cpu-build"]
    assert "driver version not recorded" in finding.message
    assert finding.fix.startswith(
        "pip install torch==2.0.1+cu118 --index-url https://download.pytorch.org/whl/cu118 "
        "(no driver version was recorded here: CUDA 11.8 builds need NVIDIA driver >="
    )
