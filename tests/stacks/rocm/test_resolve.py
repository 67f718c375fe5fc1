"""The resolver on the fixed AMD ROCm test matrix: what it keeps, what it changes, why, and the
conflicts it explains. Every target is judged by the rules `check` runs (stacks/rocm/rules.py)."""

from __future__ import annotations

from functools import partial

import pytest

from chipdoctor.matrix.model import MatrixSet
from chipdoctor.model import Severity
from chipdoctor.recipes.build import image_filter
from chipdoctor.resolve import Pin, Resolution, parse_generic, parse_pin, resolve
from chipdoctor.resolve.pins import is_prerelease
from chipdoctor.stacks.rocm.resolve import wheel_for
from tests import planning
from tests.conftest import SNAPSHOTS
from tests.planning import snapshot

ROCM = sorted(p.name for p in SNAPSHOTS.iterdir() if p.name.startswith("rocm-"))
SCENARIOS = [*ROCM, "access-rocm-no-kfd"]
DRIVER = "7.1.1.31500000"  # amd-smi's amdgpu field in rocm-healthy and rocm-torch-mismatch


inventory = partial(planning.inventory, "rocm")


def judged(resolution: Resolution, matrices: MatrixSet, severity: Severity) -> list[str]:
    """What `check` says of a host holding exactly the resolved stack (its messages)."""
    found = planning.judged("rocm", resolution.target)
    return [f.message for f in found if f.severity is severity]


def changed(resolution: Resolution) -> list[str]:
    return [c for c in resolution.order if resolution.changed(c)]


def test_a_healthy_stack_is_kept_as_it_is(matrices: MatrixSet) -> None:
    result = resolve(snapshot("rocm-healthy"), matrices)
    assert result.ok and changed(result) == []
    assert result.target == {
        "amdgpu_driver": DRIVER,
        "rocm": "7.2.0",
        "python": "3.12.3",
        "torch": "2.9.1+rocm7.2.0.git7e1940d4",
    }
    # AMD's own build, not a download.pytorch.org wheel: kept because the rules accept it.
    assert result.reasons["torch"] == (
        "installed; kept: a ROCm build of torch 2.9.1 (for ROCm 7.2.0); the matrix lists torch "
        "2.9.* (rocm.yaml:77)"
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_rules_confirm_every_scenario_target(matrices: MatrixSet, scenario: str) -> None:
    result = resolve(snapshot(scenario), matrices)
    assert result.ok
    assert judged(result, matrices, Severity.ERROR) == []
    assert judged(result, matrices, Severity.WARNING) == list(result.warnings) == []


def test_a_wheel_for_another_rocm_becomes_the_newest_wheel_for_the_installed_one(
    matrices: MatrixSet,
) -> None:
    result = resolve(snapshot("rocm-torch-mismatch"), matrices)
    assert result.target == {
        "amdgpu_driver": DRIVER,
        "rocm": "7.2.0",
        "python": "3.12.3",
        "torch": "2.14.0+rocm7.2",
    }
    assert changed(result) == ["torch"]
    assert result.reasons["torch"] == (
        "the PyTorch wheel of torch 2.14.0 for ROCm 7.2, from "
        "https://download.pytorch.org/whl/rocm7.2 (rocm.yaml:82)"
    )
    assert result.reasons["rocm"] == "installed; kept: torch 2.14.0+rocm7.2 is built for ROCm 7.2"


def test_a_cpu_torch_becomes_a_rocm_wheel_and_no_rocm_is_added(matrices: MatrixSet) -> None:
    """rocm-cpu-torch shows only rocm-smi: the wheels bundle their runtime, no /opt/rocm needed."""
    result = resolve(snapshot("rocm-cpu-torch"), matrices)
    assert result.target == {"python": "3.10.12", "torch": "2.14.0+rocm7.2"}
    assert changed(result) == ["torch"]


def test_an_untagged_torch_is_replaced_since_its_build_is_unknown(matrices: MatrixSet) -> None:
    """PyPI's `2.5.1` is a CUDA build; without a `+rocm` tag nothing says it is a ROCm one."""
    result = resolve(inventory(python="3.10.12", rocm="6.2.4", torch="2.5.1"), matrices)
    assert result.target["torch"] == "2.7.0+rocm6.2.4"  # the newest wheel for ROCm 6.2
    assert changed(result) == ["torch"]


@pytest.mark.parametrize(
    ("pins", "torch", "rocm"),
    [
        ((("torch", "2.6"),), "2.6.0+rocm6.2.4", None),
        ((("torch", "2.2"),), "2.2.2+rocm5.7", None),
        # A release a `2.12.*` row covers, named in full, is used as it is.
        ((("torch", "2.12.1"),), "2.12.1+rocm7.2", None),
        ((("torch", "2.12.1"), ("rocm", "7.1")), "2.12.1+rocm7.1", "7.1"),
        ((("rocm", "6.2"),), "2.7.0+rocm6.2.4", "6.2.4"),
        # A full ROCm release on a wheel's line is taken as pinned.
        ((("rocm", "6.4.1"),), "2.9.0+rocm6.4", "6.4.1"),
    ],
)
def test_pins_are_prefixes_read_with_each_scheme(
    matrices: MatrixSet, pins: tuple[tuple[str, str], ...], torch: str, rocm: str | None
) -> None:
    parsed = [parse_generic(f"{c}={v}") for c, v in pins]
    result = resolve(snapshot("rocm-cpu-torch"), matrices, parsed)
    assert (result.target["torch"], result.target.get("rocm")) == (torch, rocm)
    assert result.target["python"] == "3.10.12"
    assert judged(result, matrices, Severity.ERROR) == []
    assert judged(result, matrices, Severity.WARNING) == []


def test_a_torch_pin_keeps_the_installed_rocm_with_the_rules_warning(matrices: MatrixSet) -> None:
    """ROCm is the host's: a pinned torch without a wheel for it is the wheel, with a warning."""
    result = resolve(
        snapshot("rocm-torch-mismatch"), matrices, [parse_pin("torch", "2.6", "--torch 2.6")]
    )
    assert result.target["torch"] == "2.6.0+rocm6.2.4" and result.target["rocm"] == "7.2.0"
    assert result.warnings == judged(result, matrices, Severity.WARNING) != []
    assert "is built for ROCm 6.2.4" in result.warnings[0]
    assert "installed; kept: the host's ROCm user space" in result.reasons["rocm"]


def test_a_python_pin_is_the_target_python(matrices: MatrixSet) -> None:
    pins = [parse_pin("python", "3.10", "--python 3.10")]
    result = resolve(snapshot("rocm-torch-mismatch"), matrices, pins)
    assert result.target["python"] == "3.10"
    assert result.reasons["python"] == "as pinned (--python 3.10)"


def test_two_pins_that_exclude_each_other_are_named_together(matrices: MatrixSet) -> None:
    pins = [
        parse_pin("torch", "2.14", "--torch 2.14"),
        parse_generic("rocm=6.4"),
        parse_pin("python", "3.12", "--python 3.12"),
    ]
    result = resolve(snapshot("rocm-torch-mismatch"), matrices, pins)
    (conflict,) = result.conflicts  # --python 3.12 fits either: it is not part of it
    assert conflict.options == ("--torch 2.14", "--pin rocm=6.4")
    assert "with --pin rocm=6.4, torch can be 2.9.0+rocm6.4, 2.8.0+rocm6.4" in conflict.message
    assert "with --torch 2.14, rocm can be 7.2.0" in conflict.message


def test_the_driver_is_kept_and_never_proposed(matrices: MatrixSet) -> None:
    result = resolve(snapshot("rocm-torch-mismatch"), matrices, [parse_generic("rocm=6.2")])
    assert result.target["amdgpu_driver"] == DRIVER and result.target["rocm"] == "6.2.4"
    assert result.reasons["amdgpu_driver"].startswith("installed; kept (the hardest to change)")
    pinned = resolve(
        snapshot("rocm-torch-mismatch"), matrices, [parse_generic("amdgpu_driver=6.16")]
    )
    (conflict,) = pinned.conflicts
    assert conflict.message == (
        "--pin amdgpu_driver=6.16: no stack in the matrix has amdgpu_driver 6.16 "
        f"(it knows {DRIVER})"
    )
    unknown = resolve(snapshot("rocm-cpu-torch"), matrices)
    assert "amdgpu_driver" not in unknown.target


def test_the_newest_wheel_for_the_installed_rocm(matrices: MatrixSet) -> None:
    result = resolve(inventory(python="3.10.12", rocm="6.0.2"), matrices)
    assert result.target == {"rocm": "6.0.2", "python": "3.10.12", "torch": "2.4.0+rocm6.0"}
    assert resolve(inventory(python="3.11.4"), matrices).target["torch"] == "2.14.0+rocm7.2"


def test_a_rocm_no_wheel_is_built_for_stays_with_the_rules_warning(matrices: MatrixSet) -> None:
    result = resolve(inventory(python="3.12.3", rocm="5.0.2"), matrices)
    assert result.target["rocm"] == "5.0.2"
    assert result.warnings == judged(result, matrices, Severity.WARNING) != []


def test_never_a_pre_release_unless_installed_or_pinned(matrices: MatrixSet) -> None:
    prefixes: tuple[list[Pin], ...] = (
        [],
        [parse_pin("torch", "2.10", "--torch 2.10")],
        [parse_generic("rocm=7.1")],
    )
    for pins in prefixes:
        result = resolve(inventory(python="3.12.3"), matrices, pins)
        assert result.ok, result.conflicts
        assert not any(is_prerelease(c, v) for c, v in result.target.items()), result.target
    nightly = "2.10.0a0+rocm7.10.0a20251015"  # TheRock, other-stacks.md §C.1
    result = resolve(inventory(python="3.12.3", rocm="7.10.0", torch=nightly), matrices)
    assert result.target["torch"] == nightly and changed(result) == []
    # download.pytorch.org/whl/rocm<variant> serves releases: an RC pin names no listed wheel.
    rc = resolve(
        inventory(python="3.12.3"), matrices, [parse_pin("torch", "2.14.0rc1", "--torch 2.14.0rc1")]
    )
    assert [c.options for c in rc.conflicts] == [("--torch 2.14.0rc1",)]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_without_a_recipe_torch_is_the_installed_build_or_a_listed_wheel(
    matrices: MatrixSet, scenario: str
) -> None:
    current = snapshot(scenario)
    result = resolve(current, matrices)
    torch = result.target["torch"]
    assert torch == current.version("torch") or wheel_for(matrices.get("rocm"), torch) is not None


def test_with_a_recipe_the_stack_is_a_rocm_pytorch_image(matrices: MatrixSet) -> None:
    accept = image_filter("rocm", None)
    result = resolve(snapshot("rocm-torch-mismatch"), matrices, accept=accept)
    # rocm/pytorch:rocm7.2_… holds ROCm 7.2.0: the host's ROCm and Python stay.
    assert result.target == {
        "amdgpu_driver": DRIVER,
        "rocm": "7.2.0",
        "python": "3.12.3",
        "torch": "2.9.1+rocm7.2",
    }
    image = "docker.io/rocm/pytorch:rocm7.2_ubuntu24.04_py3.12_pytorch_release_2.9.1"
    assert result.reasons["torch"] == (
        f"AMD's build of torch 2.9.1 for ROCm 7.2, preinstalled in the image {image}"
    )
    assert (
        judged(result, matrices, Severity.ERROR) == judged(result, matrices, Severity.WARNING) == []
    )
