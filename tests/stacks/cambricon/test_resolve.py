"""The Cambricon resolver on the bundled matrix: it keeps what the rules accept, fixes torch
against torch_mlu, keeps the driver, and never proposes a stack the Cambricon rules find an
error in (every target is judged by chipdoctor.stacks.cambricon.rules, the rules `check` runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chipdoctor.matrix.model import MatrixSet
from chipdoctor.model import Severity
from chipdoctor.resolve import Resolution, parse_generic, parse_pin, resolve
from tests.conftest import SNAPSHOTS
from tests.planning import errors, fixed, inventory, judged, snapshot

CAMBRICON = sorted(p.name for p in SNAPSHOTS.iterdir() if p.name.startswith("cambricon-"))


def changed(result: Resolution) -> list[str]:
    return [c for c in result.order if result.changed(c)]


def warnings(result: Resolution) -> list[str]:
    return [f.message for f in judged("cambricon", result.target) if f.severity is Severity.WARNING]


@pytest.mark.parametrize("scenario", CAMBRICON)
def test_the_rules_confirm_every_scenario_target(matrices: MatrixSet, scenario: str) -> None:
    result = resolve(snapshot(scenario), matrices)
    assert result.ok
    assert errors("cambricon", result.target) == []
    assert warnings(result) == result.warnings


def test_a_healthy_host_without_pytorch_is_kept_and_given_none(matrices: MatrixSet) -> None:
    result = resolve(snapshot("cambricon-mlu370-healthy"), matrices)
    assert (
        result.target
        == result.current
        == {
            "cambricon_driver": "5.10.31",
            "neuware": "3.9.0",
            "python": "3.10.12",
            "cnnl": "1.24.0",
        }
    )
    assert result.reasons["neuware"] == "installed; kept: check's rules accept it with this stack"


def test_an_sdk_only_host_is_not_given_pytorch_to_quiet_a_warning(matrices: MatrixSet) -> None:
    """CNToolkit 3.13.5 has no driver pairing (a warning); a torch_mlu row naming the driver
    would silence it, but a host without PyTorch neither has nor needs one."""
    host = inventory("cambricon", cambricon_driver="6.2.0", neuware="3.13.5", python="3.10.12")
    result = resolve(host, matrices)
    assert "torch_mlu" not in result.target and "torch" not in result.target
    assert result.target["cambricon_driver"] == "6.2.0"


def test_a_torch_of_another_release_goes_back_to_the_one_torch_mlu_is_built_for(
    matrices: MatrixSet,
) -> None:
    result = resolve(snapshot("cambricon-torch-mismatch"), matrices)
    assert result.target["torch_mlu"] == "1.22.0+torch2.4.0"
    assert result.target["torch"] == "2.4.0"
    assert changed(result) == ["torch"]
    assert result.reasons["torch"].startswith(
        "torch_mlu 1.22.0+torch2.4.0 is built for torch 2.4.0 (cambricon.yaml:"
    )


def test_a_gpu_build_of_the_right_release_becomes_the_plain_release(matrices: MatrixSet) -> None:
    """torch_mlu runs only on PyTorch's CPU wheels from 2.4 on: a CUDA build of 2.4.0 is an
    error, so the same release's plain build replaces it and torch_mlu stays."""
    host = inventory(
        "cambricon",
        cambricon_driver="5.10.31",
        neuware="3.9.0",
        python="3.10.12",
        torch="2.4.0+cu121",
        torch_mlu="1.22.0+torch2.4.0",
    )
    result = resolve(host, matrices)
    assert changed(result) == ["torch"]
    assert result.target["torch"] == "2.4.0"


def test_a_torch_without_torch_mlu_gets_the_build_for_its_release(matrices: MatrixSet) -> None:
    host = inventory(
        "cambricon", cambricon_driver="5.10.31", neuware="3.9.0", python="3.10.12", torch="2.4.0"
    )
    result = resolve(host, matrices)
    assert changed(result) == ["torch_mlu"]
    assert result.target["torch_mlu"] == "1.22.0+torch2.4.0"


def test_a_torch_mlu_the_driver_cannot_run_is_replaced_and_the_driver_kept(
    matrices: MatrixSet,
) -> None:
    """torch_mlu 1.22.2 needs driver 6.2.0; the host has 5.10.22, an administrator's change.
    The nearest stack the rules accept on 5.10.22 keeps torch 2.4.0 and takes the CNToolkit
    whose published pairing 5.10.22 meets (its 3.9.0 is paired with 5.10.27 and newer)."""
    result = resolve(snapshot("cambricon-torch_mlu-driver-too-old"), matrices)
    assert result.target["cambricon_driver"] == "5.10.22"
    assert result.target["torch_mlu"] == "1.22.0+torch2.4.0"
    assert result.target["torch"] == "2.4.0+cpu"
    assert result.target["neuware"] == "3.8.2"
    assert changed(result) == ["neuware", "torch_mlu"]
    assert result.reasons["neuware"].startswith(
        "the newest CNToolkit published with MLU driver 5.10.13, which the installed 5.10.22 "
        "meets (cambricon.yaml:"
    )


def test_a_toolkit_newer_than_the_driver_goes_to_one_the_driver_is_paired_with(
    matrices: MatrixSet,
) -> None:
    """A pairing warning weighs before a toolkit change; the driver is kept first."""
    host = snapshot("cambricon-toolkit-newer-than-driver")
    result = resolve(host, matrices)
    assert result.target["cambricon_driver"] == "4.20.11"
    assert result.target["neuware"] == "3.5.0"  # the newest paired with >=4.20.11
    assert result.warnings == []
    pinned = resolve(host, matrices, [parse_generic("neuware=3.9")])
    assert pinned.target["neuware"] == "3.9.0" and len(pinned.warnings) == 1


def test_pins_are_prefixes(matrices: MatrixSet) -> None:
    host = snapshot("cambricon-mlu370-healthy")
    result = resolve(host, matrices, [parse_pin("torch", "2.4", "--torch 2.4")])
    assert result.target["torch"] == "2.4.0"
    assert result.target["torch_mlu"] == "1.22.0+torch2.4.0"
    assert errors("cambricon", result.target) == []
    result = resolve(host, matrices, [parse_generic("neuware=4.4")])
    assert result.target["neuware"] == "4.4.3"


def test_a_pinned_build_asks_for_its_driver_and_keep_driver_conflicts(
    matrices: MatrixSet,
) -> None:
    host = snapshot("cambricon-torch_mlu-driver-too-old")
    pin = parse_pin("torch_mlu", "1.22.2", "--pin torch_mlu=1.22.2")
    result = resolve(host, matrices, [pin])
    assert result.target["torch_mlu"] == "1.22.2+torch2.4.0"
    assert result.target["cambricon_driver"] == "6.2.0"  # the row's minimum (cambricon.yaml)
    assert result.reasons["cambricon_driver"].startswith(
        "the minimum torch_mlu 1.22.2+torch2.4.0 needs (cambricon.yaml:"
    )
    kept = resolve(host, matrices, [pin], keep_driver=True)
    assert not kept.ok and kept.target == {}
    assert kept.conflicts[0].options == ("--pin torch_mlu=1.22.2", "the installed driver 5.10.22")


def test_pins_no_stack_meets_together_name_each_other(matrices: MatrixSet) -> None:
    pins = [parse_pin("torch", "2.4", "--torch 2.4"), parse_generic("torch_mlu=1.33")]
    result = resolve(snapshot("cambricon-mlu370-healthy"), matrices, pins)
    (conflict,) = result.conflicts
    assert conflict.options == ("--torch 2.4", "--pin torch_mlu=1.33")
    assert "with --pin torch_mlu=1.33, torch can be 2.11.0" in conflict.message


def test_the_newest_build_is_preferred_and_its_unknown_driver_named(matrices: MatrixSet) -> None:
    """cnmon is missing: no driver is known, so none is asked for; of the 2.4 builds the
    newest wins, and its reason says which driver it needs."""
    pin = parse_pin("torch", "2.4", "--torch 2.4")
    result = resolve(snapshot("cambricon-cnmon-missing"), matrices, [pin])
    assert "cambricon_driver" not in result.target
    assert result.target["torch_mlu"] == "1.25.0+torch2.4.1"
    assert result.target["torch"] == "2.4.1"
    assert result.reasons["torch_mlu"].endswith(
        "; it needs MLU driver 6.2.8 or newer, which is unknown here (no cnmon)"
    )


def test_an_unknown_driver_is_never_asked_for(matrices: MatrixSet) -> None:
    host = inventory("cambricon", python="3.10.12", neuware="3.9.0", torch="2.5.1+cpu")
    result = resolve(host, matrices)
    assert result.ok and "cambricon_driver" not in result.target
    assert result.target["torch_mlu"].endswith("+torch" + result.target["torch"])


def test_a_prerelease_build_only_when_pinned_in_full(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        "format: chipdoctor-matrix/1\nstack: cambricon\n"
        "sources: {site: {title: a site build, url: 'https://example.org/b',"
        " retrieved: '2026-11-24'}}\n"
        "tables:\n  torch_mlu:\n    key: torch_mlu\n    rows:\n"
        "      - {torch_mlu: 1.40.0rc1+torch2.13.0, torch: 2.13.0, source: site}\n"
    )
    matrices = fixed(site)
    host = snapshot("cambricon-mlu370-healthy")
    torch = parse_pin("torch", "2.13", "--torch 2.13")
    assert not resolve(host, matrices, [torch]).ok
    full = parse_generic("torch_mlu=1.40.0rc1+torch2.13.0")
    result = resolve(host, matrices, [torch, full])
    assert result.target["torch_mlu"] == "1.40.0rc1+torch2.13.0"
    assert result.target["torch"] == "2.13.0"
