"""The resolver on the fixed Ascend test matrix: what it keeps, what it changes, why, and the
conflicts it explains. The target of every resolution is judged by the same rules `check` runs."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from chipdoctor.components import ALL_COMPONENTS
from chipdoctor.errors import BadInput
from chipdoctor.matrix.model import MatrixSet
from chipdoctor.model import Inventory
from chipdoctor.resolve import Pin, Resolution, parse_generic, parse_pin, resolve
from chipdoctor.resolve.pins import is_prerelease
from tests import planning
from tests.conftest import SNAPSHOTS
from tests.planning import snapshot

inventory = partial(planning.inventory, "ascend")


def matrix_errors(resolution: Resolution, matrices: MatrixSet) -> list[str]:
    """The error findings `check` gives the resolved stack (the rules judge the target)."""
    return planning.errors(resolution.stack, resolution.target)


HEALTHY = {
    "python": "3.11.6",
    "torch": "2.5.1",
    "torch_npu": "2.5.1.post1",
    "cann": "8.2.RC1",
    "cann_kernels": "8.2.RC1",
    "ascend_driver": "25.0.rc1.1",
    "ascend_firmware": "7.7.0.1.231",
}


def test_a_healthy_stack_is_kept_as_it_is(matrices: MatrixSet) -> None:
    result = resolve(inventory(**HEALTHY), matrices)
    assert result.ok
    assert {c: result.target[c] for c in HEALTHY} == HEALTHY
    assert not any(result.changed(c) for c in HEALTHY)
    assert "kept" in result.reasons["ascend_driver"]


def test_torch_mismatch_changes_only_torch(matrices: MatrixSet) -> None:
    result = resolve(inventory(**{**HEALTHY, "torch": "2.4.0"}), matrices)
    assert result.target["torch"] == "2.5.1"
    assert [c for c in result.order if result.changed(c)] == ["torch"]
    assert "requires torch 2.5.1" in result.reasons["torch"]


def test_cann_too_new_for_the_driver_changes_the_toolkit_not_the_driver(
    matrices: MatrixSet,
) -> None:
    result = resolve(snapshot("ascend-cann-newer-than-driver"), matrices)
    assert result.target["ascend_driver"] == "24.1.rc2.2"
    assert not result.changed("ascend_driver")
    # The newest CANN that lists driver 24.1.rc2 and still runs the installed torch_npu.
    assert result.target["cann"] == "8.2.RC1"
    assert result.target["torch_npu"] == "2.7.1.post4"
    assert "declared compatible" in result.reasons["cann"]


def test_pins_are_prefixes_read_with_each_scheme(matrices: MatrixSet) -> None:
    result = resolve(inventory(**HEALTHY), matrices, [parse_pin("torch", "2.4", "--torch 2.4")])
    assert result.target["torch"] == "2.4.0"
    # The newest torch_npu for torch 2.4 that runs on the installed CANN: nothing else moves.
    assert result.target["torch_npu"] == "2.4.0.post4"
    assert not result.changed("cann") and not result.changed("ascend_driver")


def test_a_cann_pin_the_driver_cannot_run_changes_the_driver(matrices: MatrixSet) -> None:
    inv = inventory(**{**HEALTHY, "ascend_driver": "24.1.rc2.2"})
    result = resolve(inv, matrices, [parse_pin("cann", "9.0.0", "--cann 9.0.0")])
    assert result.target["cann"] == "9.0.0"
    assert result.changed("ascend_driver")
    assert "does not run CANN 9.0.0" in result.reasons["ascend_driver"]
    assert matrix_errors(result, matrices) == []


def test_keep_driver_turns_that_into_a_conflict_naming_the_driver(matrices: MatrixSet) -> None:
    inv = inventory(**{**HEALTHY, "ascend_driver": "24.1.rc2.2"})
    result = resolve(inv, matrices, [parse_pin("cann", "9.0.0", "--cann 9.0.0")], keep_driver=True)
    assert not result.ok and result.target == {}
    (conflict,) = result.conflicts
    assert conflict.options == ("--cann 9.0.0", "the installed driver 24.1.rc2.2")
    assert "ascend_driver can be 26.1.1" in conflict.message


def test_two_pins_that_exclude_each_other_are_named_together(matrices: MatrixSet) -> None:
    pins = [
        parse_pin("torch", "2.4", "--torch 2.4"),
        parse_pin("cann", "9.0", "--cann 9.0"),
        parse_pin("python", "3.10", "--python 3.10"),
    ]
    result = resolve(inventory(**HEALTHY), matrices, pins)
    (conflict,) = result.conflicts  # --python 3.10 fits either: it is not part of it
    assert conflict.options == ("--torch 2.4", "--cann 9.0")
    assert "with --cann 9.0, torch can be 2.12.0" in conflict.message
    assert "with --torch 2.4, cann can be 8.3.RC1" in conflict.message


def test_an_unknown_version_is_a_conflict_of_its_own(matrices: MatrixSet) -> None:
    result = resolve(inventory(**HEALTHY), matrices, [parse_pin("torch", "9.9", "--torch 9.9")])
    (conflict,) = result.conflicts
    assert conflict.options == ("--torch 9.9",)
    assert conflict.message.startswith("--torch 9.9: no stack in the matrix has torch 9.9")


def test_a_driver_newer_than_listed_is_kept_with_a_warning(matrices: MatrixSet) -> None:
    pins = [parse_pin("cann", "8.0.RC3", "--cann 8.0.RC3")]
    result = resolve(inventory(**HEALTHY), matrices, pins)
    assert result.target["ascend_driver"] == "25.0.rc1.1"
    assert result.warnings and "not published" in result.warnings[0]
    assert matrix_errors(result, matrices) == []


def test_never_a_pre_release_unless_pinned_in_full(matrices: MatrixSet) -> None:
    prefixes: tuple[list[Pin], ...] = (
        [],
        [parse_pin("cann", "9", "--cann 9")],
        [parse_pin("cann", "8.5", "--cann 8.5")],
    )
    for pins in prefixes:
        result = resolve(inventory(python="3.11.6"), matrices, pins)
        assert result.ok
        assert not any(is_prerelease(c, v) for c, v in result.target.items()), result.target
    exact = [parse_pin("cann", "9.1.0-beta.3", "--cann 9.1.0-beta.3")]
    result = resolve(inventory(python="3.11.6"), matrices, exact)
    assert result.target["cann"] == "9.1.0-beta.3"


def test_nothing_installed_resolves_to_the_newest_release(matrices: MatrixSet) -> None:
    result = resolve(Inventory(), matrices, stack="ascend")
    # CANN 9.1.1 (named by its own release notes) runs the 26.1.X TorchNPU builds.
    assert result.target["cann"] == "9.1.1"
    assert result.target["torch_npu"] == "2.12.0"
    assert matrix_errors(result, matrices) == []


def test_python_is_kept_when_listed_else_the_newest_listed(matrices: MatrixSet) -> None:
    result = resolve(inventory(**{**HEALTHY, "python": "3.8.18"}), matrices)
    # torch_npu 2.5.1.post1 does not list 3.8; the newest torch_npu that does and runs on
    # the installed CANN is 2.4.0.post4: the torch pip packages change, Python stays.
    assert result.target["python"] == "3.8.18"
    assert result.target["torch_npu"] == "2.4.0.post4"
    result = resolve(
        inventory(**{**HEALTHY, "python": "3.8.18"}),
        matrices,
        [parse_pin("torch", "2.5", "--torch 2.5")],
    )
    assert result.target["python"] == "3.11"  # the newest Python torch_npu 2.5.1 lists


def test_deterministic(matrices: MatrixSet) -> None:
    inv = snapshot("ascend-cann-newer-than-driver")
    first = resolve(inv, matrices)
    for _ in range(3):
        again = resolve(inv, matrices)
        assert (again.target, again.reasons) == (first.target, first.reasons)


@pytest.mark.parametrize(
    "scenario", sorted(p.name for p in SNAPSHOTS.iterdir() if p.name.startswith("ascend-"))
)
def test_every_ascend_scenario_resolves_to_a_stack_the_matrix_confirms(
    scenario: str, matrices: MatrixSet
) -> None:
    result = resolve(snapshot(scenario), matrices)
    assert result.ok
    assert matrix_errors(result, matrices) == []
    assert set(result.target) <= ALL_COMPONENTS


def test_bad_pins_are_bad_input(matrices: MatrixSet) -> None:
    with pytest.raises(BadInput, match="not a component id"):
        parse_generic("tensorflow=2.1")
    with pytest.raises(BadInput, match="component=version"):
        parse_generic("torch")
    with pytest.raises(BadInput, match="--torch banana"):
        parse_pin("torch", "banana", "--torch banana")
    with pytest.raises(BadInput, match="not part of the ascend stack"):
        resolve(inventory(**HEALTHY), matrices, [parse_generic("cudnn=9")])


def test_no_stack_and_no_hint_is_bad_input(matrices: MatrixSet, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="pass --stack"):
        resolve(Inventory(), matrices)
