"""The NVIDIA resolver on the bundled CUDA matrix: it keeps the driver, switches the wheel
variant before the release, and every target it proposes is judged by `check`'s CUDA rules."""

from __future__ import annotations

from chipdoctor.resolve import parse_pin, resolve
from chipdoctor.stacks.cuda.rules import evaluate
from tests.planning import errors, fixed, inventory, judged, snapshot

HEALTHY = {
    "python": "3.11.5",
    "nvidia_driver": "580.65.06",
    "cuda_driver_api": "13.0",
    "torch": "2.7.1+cu126",
}


def test_a_healthy_stack_is_kept_as_it_is() -> None:
    result = resolve(inventory("cuda", **HEALTHY), fixed())
    assert result.ok and result.target == HEALTHY
    assert not any(result.changed(c) for c in result.order)
    assert result.reasons["torch"].startswith("installed; kept: the PyTorch wheel of torch 2.7.1")
    assert "cuda.yaml:" in result.reasons["torch"]


def test_a_cpu_torch_on_a_gpu_host_gets_the_same_release_for_the_drivers_cuda() -> None:
    result = resolve(snapshot("cuda-cpu-torch-on-gpu-host"), fixed())
    assert result.target["torch"] == "2.5.1+cu124"  # the driver supports CUDA up to 12.4
    assert result.target["nvidia_driver"] == "550.163.01"
    assert result.warnings == []


def test_a_build_too_new_for_the_driver_moves_to_a_variant_it_runs() -> None:
    """Driver 470 (CUDA 11.4): torch 2.7.1 keeps its release on CUDA 11.8, which the driver
    runs under minor-version compatibility; the warning says so, the driver stays."""
    result = resolve(snapshot("cuda-torch-too-new-for-driver"), fixed())
    assert result.target["torch"] == "2.7.1+cu118"
    assert result.target["nvidia_driver"] == "470.63.01"
    assert len(result.warnings) == 1 and "minor-version compatibility" in result.warnings[0]


def test_a_minor_version_compat_warning_is_cured_by_a_fully_supported_variant() -> None:
    result = resolve(snapshot("cuda-minor-version-compat"), fixed())
    assert result.target["torch"] == "2.7.1+cu118"
    assert result.warnings == []
    assert [f.id for f in judged("cuda", result.target)] == []


def test_a_pinned_release_the_driver_cannot_run_changes_the_driver() -> None:
    pin = parse_pin("torch", "2.13", "--torch 2.13")
    result = resolve(snapshot("cuda-torch-too-new-for-driver"), fixed(), [pin])
    assert result.target["torch"].startswith("2.13.0+cu")
    assert result.changed("nvidia_driver") and "cuda.yaml:" in result.reasons["nvidia_driver"]
    assert errors("cuda", result.target) == []


def test_keep_driver_makes_that_a_conflict_naming_the_driver() -> None:
    pin = parse_pin("torch", "2.13", "--torch 2.13")
    result = resolve(snapshot("cuda-torch-too-new-for-driver"), fixed(), [pin], keep_driver=True)
    assert not result.ok
    (conflict,) = result.conflicts
    assert conflict.options == ("--torch 2.13", "the installed driver 470.63.01")


def test_a_toolkit_newer_than_the_driver_is_replaced_by_the_newest_it_runs() -> None:
    result = resolve(snapshot("multi-cuda-ascend"), fixed(), stack="cuda")
    assert result.target["cuda"] == "13.0"  # 13.0.x updates need a newer driver than 580.65.06
    assert result.target["torch"] == "2.5.1"  # the CPU build torch_npu needs is left alone
    assert not result.changed("nvidia_driver")


def test_an_unknown_driver_constrains_nothing() -> None:
    result = resolve(snapshot("cuda-driver-missing"), fixed())
    assert result.ok and "nvidia_driver" not in result.target
    assert result.target["torch"] == "2.7.1+cu126"


def test_pins_are_prefixes() -> None:
    pins = [parse_pin("torch", "2.4", "--torch 2.4"), parse_pin("python", "3.11", "--python 3.11")]
    result = resolve(inventory("cuda", **HEALTHY), fixed(), pins)
    assert result.target["torch"].startswith("2.4.")
    assert result.target["python"] == "3.11.5"
    assert errors("cuda", result.target) == []


def test_deterministic() -> None:
    host = snapshot("cuda-torch-too-new-for-driver")
    first = resolve(host, fixed())
    assert all(resolve(host, fixed()).target == first.target for _ in range(3))


def test_on_the_installed_driver_the_variant_is_the_one_the_rules_name() -> None:
    """Driver 535 (CUDA 12.2) runs torch 2.9.1's CUDA 12.6 and 12.8 builds only under
    minor-version compatibility: the resolver proposes the one `check`'s own fix names for a
    CPU build of that release, the oldest (closest to the driver), not the newest."""
    host = {"python": "3.10.12", "nvidia_driver": "535.104.05", "cuda_driver_api": "12.2"}
    cpu = inventory("cuda", **host, torch="2.9.1+cpu")
    (finding,) = [f for f in evaluate(cpu, fixed().get("cuda")) if f.id == "cuda.torch-cpu-build"]
    assert "/whl/cu126" in finding.fix
    result = resolve(cpu, fixed())
    assert result.target["torch"] == "2.9.1+cu126"
    assert len(result.warnings) == 1 and "minor-version compatibility" in result.warnings[0]
    pinned = resolve(
        snapshot("cuda-minor-version-compat"), fixed(), [parse_pin("torch", "2.9", "--torch 2.9")]
    )
    assert pinned.target["torch"] == "2.9.1+cu126"


def test_a_pip_cudnn_of_another_major_gets_the_one_pytorch_lists() -> None:
    """`check` warns of cuDNN 8 under torch 2.7.1+cu126 (built with 9.5.1.17): torch stays and
    only cuDNN moves."""
    host = inventory("cuda", **HEALTHY, cudnn="8.9.2.26")
    result = resolve(host, fixed())
    assert result.target["cudnn"] == "9.5.1.17" and not result.changed("torch")
    assert "cuda.yaml:" in result.reasons["cudnn"]
    same_major = resolve(inventory("cuda", **HEALTHY, cudnn="9.10.2.21"), fixed())
    assert not same_major.changed("cudnn")


def test_the_drivers_cuda_goes_with_the_driver() -> None:
    """cuda_driver_api is the driver's own: hard like it, and out of the target once the driver
    changes (nvidia-smi reports the new one's)."""
    pin = parse_pin("torch", "2.13", "--torch 2.13")
    result = resolve(snapshot("cuda-torch-too-new-for-driver"), fixed(), [pin])
    assert result.hard == ("nvidia_driver", "cuda_driver_api")
    assert "cuda_driver_api" not in result.target
    assert "new driver" in result.reasons["cuda_driver_api"]
