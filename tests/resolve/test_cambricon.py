"""The Cambricon resolver on the bundled matrix: it keeps what the rules accept, fixes torch
against torch_mlu, and never proposes a stack the Cambricon rules find an error in."""

from __future__ import annotations

from chipdoctor.matrix.model import MatrixSet
from chipdoctor.resolve import parse_pin, resolve
from tests.planning import errors, inventory, snapshot


def test_a_healthy_host_without_pytorch_is_kept(matrices: MatrixSet) -> None:
    result = resolve(snapshot("cambricon-mlu370-healthy"), matrices)
    assert result.ok and "torch_mlu" not in result.target
    assert not any(result.changed(c) for c in result.order)


def test_a_torch_of_another_release_goes_back_to_the_one_torch_mlu_is_built_for(
    matrices: MatrixSet,
) -> None:
    result = resolve(snapshot("cambricon-torch-mismatch"), matrices)
    assert result.target["torch_mlu"] == "1.22.0+torch2.4.0"
    assert result.target["torch"] == "2.4.0"
    assert [c for c in result.order if result.changed(c)] == ["torch"]
    assert "cambricon.yaml:" in result.reasons["torch"]


def test_a_torch_mlu_the_driver_cannot_run_is_replaced_and_the_driver_kept(
    matrices: MatrixSet,
) -> None:
    result = resolve(snapshot("cambricon-torch_mlu-driver-too-old"), matrices)
    assert result.target["cambricon_driver"] == "5.10.22"
    assert result.target["torch_mlu"] != "1.22.2+torch2.4.0"
    assert errors("cambricon", result.target) == []


def test_pins_choose_the_build_and_keep_driver_can_conflict(matrices: MatrixSet) -> None:
    host = snapshot("cambricon-torch_mlu-driver-too-old")
    pin = parse_pin("torch_mlu", "1.22.2", "--pin torch_mlu=1.22.2")
    result = resolve(host, matrices, [pin])
    assert result.target["torch_mlu"].startswith("1.22.2+torch")
    assert result.target["cambricon_driver"] == "6.2.0"  # the row's minimum (cambricon.yaml)
    kept = resolve(host, matrices, [pin], keep_driver=True)
    assert not kept.ok
    assert kept.conflicts[0].options == ("--pin torch_mlu=1.22.2", "the installed driver 5.10.22")


def test_a_torch_pin_on_a_host_without_pytorch_installs_the_pair(matrices: MatrixSet) -> None:
    pin = parse_pin("torch", "2.4", "--torch 2.4")
    result = resolve(snapshot("cambricon-mlu370-healthy"), matrices, [pin])
    assert result.target["torch"] == "2.4.0"
    assert result.target["torch_mlu"].endswith("+torch2.4.0")
    assert errors("cambricon", result.target) == []


def test_an_unknown_driver_is_never_asked_for(matrices: MatrixSet) -> None:
    """cnmon missing: no driver version is known, so no plan names one to install."""
    host = inventory("cambricon", python="3.10.12", neuware="3.9.0", torch="2.5.1+cpu")
    result = resolve(host, matrices)
    assert result.ok and "cambricon_driver" not in result.target
    assert result.target["torch_mlu"].endswith("+torch" + result.target["torch"])
