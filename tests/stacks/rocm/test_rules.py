"""ROCm verdicts on hand-built inventories, judged against the bundled matrix."""

from __future__ import annotations

from functools import partial

import pytest

from chipdoctor import model
from chipdoctor.matrix.model import Matrix
from chipdoctor.model import Severity
from chipdoctor.stacks.rocm import facts
from chipdoctor.stacks.rocm.rules import evaluate
from tests import planning
from tests.planning import fixed


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return fixed().get("rocm")


inventory = partial(planning.host, "rocm")


def test_matching_rocm_wheel_is_clean(matrix: Matrix) -> None:
    assert evaluate(inventory(torch="2.6.0+rocm6.2.4", rocm="6.2.4"), matrix) == []
    # The rocm6.2 variant serves every 6.2.x release.
    assert evaluate(inventory(torch="2.5.1+rocm6.2", rocm="6.2.1"), matrix) == []


def test_amd_built_wheel_is_read_from_its_tag(matrix: Matrix) -> None:
    assert evaluate(inventory(torch="2.9.1+rocm7.2.0.git7e1940d4", rocm="7.2.0"), matrix) == []


def test_wheel_for_another_rocm_is_a_warning_with_the_pip_line(matrix: Matrix) -> None:
    found = planning.by_id(evaluate(inventory(torch="2.6.0+rocm6.1", rocm="6.2.4"), matrix))
    finding = found["rocm.torch-rocm"]
    assert finding.severity is Severity.WARNING
    assert finding.fix == (
        "pip install torch==2.6.0+rocm6.2.4 --index-url https://download.pytorch.org/whl/rocm6.2.4"
    )
    assert "rocm.yaml:" in finding.message


def test_no_wheel_of_this_release_for_the_installed_rocm_suggests_the_next_release(
    matrix: Matrix,
) -> None:
    finding = planning.by_id(evaluate(inventory(torch="2.6.0+rocm6.2.4", rocm="7.2.0"), matrix))[
        "rocm.torch-rocm"
    ]
    assert finding.fix == (
        'pip install "torch==2.11.*" --index-url https://download.pytorch.org/whl/rocm7.2'
    )


def test_hip_from_version_py_stands_in_for_the_tag(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.7.0a0+git295f2ed",
        rocm="6.4.1",
        facts_={model.FACT_TORCH_HIP: "6.3.42131-fa1d09cbd"},
    )
    finding = planning.by_id(evaluate(inv, matrix))["rocm.torch-rocm"]
    assert "hip = '6.3.42131-fa1d09cbd'" in finding.message


def test_cpu_torch_with_rocm_installed_is_an_error(matrix: Matrix) -> None:
    finding = planning.by_id(evaluate(inventory(torch="2.3.0+cpu", rocm="6.0.2"), matrix))[
        "rocm.torch-not-rocm"
    ]
    assert finding.severity is Severity.ERROR
    assert finding.components == ("torch", "rocm")
    assert finding.fix == (
        "pip install torch==2.3.0+rocm6.0 --index-url https://download.pytorch.org/whl/rocm6.0"
    )


def test_cpu_torch_read_from_version_py(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.4.1", rocm="6.1.3", facts_={model.FACT_TORCH_BUILD_SOURCE: "torch/version.py"}
    )
    finding = planning.by_id(evaluate(inv, matrix))["rocm.torch-not-rocm"]
    assert "neither hip nor cuda" in finding.message
    assert finding.fix.endswith("--index-url https://download.pytorch.org/whl/rocm6.1")


def test_cuda_torch_with_only_rocm_smi_is_an_error(matrix: Matrix) -> None:
    inv = inventory(torch="2.5.1+cu124", facts_={facts.FACT_TOOLS: "rocm-smi"})
    finding = planning.by_id(evaluate(inv, matrix))["rocm.torch-not-rocm"]
    assert finding.severity is Severity.ERROR
    assert finding.components == ("torch", "amdgpu_driver")
    # Without a ROCm release to match, the newest wheel of this torch release.
    assert finding.fix.endswith("--index-url https://download.pytorch.org/whl/rocm6.2")


def test_cpu_torch_beside_only_a_kernel_driver_is_a_warning(matrix: Matrix) -> None:
    inv = inventory(torch="2.3.0+cpu", amdgpu_driver="6.16.13")
    finding = planning.by_id(evaluate(inv, matrix))["rocm.torch-not-rocm"]
    assert finding.severity is Severity.WARNING


def test_unknown_build_says_nothing(matrix: Matrix) -> None:
    assert evaluate(inventory(torch="2.3.0", rocm="6.0.2"), matrix) == []


def test_torch_release_missing_from_the_matrix(matrix: Matrix) -> None:
    found = planning.by_id(evaluate(inventory(torch="1.8.1+rocm4.0.1", rocm="4.0.1"), matrix))
    assert found["rocm.unknown-combination"].severity is Severity.WARNING


def test_no_torch_is_information_with_an_install_line(matrix: Matrix) -> None:
    (finding,) = evaluate(inventory(rocm="6.4.1"), matrix)
    assert finding.id == "rocm.no-torch"
    assert finding.severity is Severity.INFO
    assert finding.fix == (
        'pip install "torch==2.9.*" --index-url https://download.pytorch.org/whl/rocm6.4'
    )


def test_rocm_without_any_wheel(matrix: Matrix) -> None:
    (finding,) = evaluate(inventory(torch="2.3.0+cpu", rocm="3.5.1"), matrix)
    assert "No PyTorch ROCm wheel" in finding.fix
