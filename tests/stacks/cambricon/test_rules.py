"""Cambricon verdicts on hand-built inventories, judged against the bundled matrix."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from chipdoctor.matrix.model import Matrix
from chipdoctor.model import FACT_TORCH_CUDA, Component, Device, Inventory, Severity
from chipdoctor.stacks.cambricon.rules import evaluate
from tests import planning
from tests.planning import fixed

# flagos-ai/build-infra configs.yaml, neuware4.7.2: a whole stack as published.
FLAGOS_472 = {
    "torch": "2.11.0+cpu",
    "torch_mlu": "1.33.1+torch2.11.0",
    "neuware": "4.7.2",
    "cnnl": "2.2.14",
    "cncl": "1.30.8",
    "cambricon_driver": "6.5.48",
    "python": "3.12.3",
    "arch": "x86_64",
}


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return fixed().get("cambricon")


def make(
    versions: Mapping[str, str], *, facts: Mapping[str, str] | None = None, cards: int = 0
) -> Inventory:
    inv = Inventory(stacks=["cambricon"])
    inv.components = [Component(k, v, "test") for k, v in versions.items()]
    inv.devices = [Device("cambricon", i, "MLU370-X8", "N/A") for i in range(cards)]
    inv.facts = dict(facts or {})
    return inv


def inventory(**versions: str) -> Inventory:
    return make(versions)


def test_published_stack_is_clean(matrix: Matrix) -> None:
    assert evaluate(make(FLAGOS_472), matrix) == []


def test_minimums_met_are_clean(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.4.0+cpu",
        torch_mlu="1.22.2+torch2.4.0",
        neuware="3.13.5",
        cnnl="1.26.6",
        cncl="1.21.0",
        cambricon_driver="6.2.15",
    )
    assert evaluate(inv, matrix) == []


def test_torch_mismatch_is_an_error_with_the_pip_line(matrix: Matrix) -> None:
    found = planning.by_id(evaluate(make({**FLAGOS_472, "torch": "2.7.1+cpu"}), matrix))
    finding = found["cambricon.torch-torch_mlu"]
    assert finding.severity is Severity.ERROR
    assert finding.components == ("torch", "torch_mlu")
    lines = finding.fix.splitlines()
    assert lines[0] == "pip install torch==2.11.0 --index-url https://download.pytorch.org/whl/cpu"
    # torch 2.7.1 has torch_mlu builds in the matrix; 1.29.2 is published with CNToolkit 4.4.3,
    # not this host's 4.7.2, so the one that states nothing against this host is offered.
    assert "torch_mlu-1.28.0+torch2.7.1-cp312-cp312-linux_x86_64.whl" in lines[1]
    on_443 = {**FLAGOS_472, "torch": "2.7.1+cpu", "neuware": "4.4.3", "cnnl": "2.1.829"}
    on_443["cncl"] = "1.29.4"
    fix = planning.by_id(evaluate(make(on_443), matrix))["cambricon.torch-torch_mlu"].fix
    assert "torch_mlu-1.29.2+torch2.7.1-cp312-cp312-linux_x86_64.whl" in fix


def test_torch_before_2_4_needs_cambricons_wheel(matrix: Matrix) -> None:
    inv = inventory(torch="2.3.0", torch_mlu="1.22.2+torch2.1.0", python="3.10.12", arch="aarch64")
    finding = planning.by_id(evaluate(inv, matrix))["cambricon.torch-torch_mlu"]
    assert finding.fix.startswith("pip install torch-2.1.0-cp310-cp310-linux_aarch64.whl")
    assert "Cambricon's own" in finding.fix


def test_old_hyphen_tag_is_read(matrix: Matrix) -> None:
    assert "cambricon.torch-torch_mlu" not in planning.by_id(
        evaluate(inventory(torch="1.13.1", torch_mlu="1.17.0-torch1.13"), matrix)
    )
    found = planning.by_id(evaluate(inventory(torch="1.9.0", torch_mlu="1.17.0-torch1.13"), matrix))
    assert found["cambricon.torch-torch_mlu"].severity is Severity.ERROR


def test_torch_missing(matrix: Matrix) -> None:
    found = planning.by_id(
        evaluate(inventory(torch_mlu="1.33.1+torch2.11.0", neuware="4.7.2"), matrix)
    )
    finding = found["cambricon.torch_mlu-without-torch"]
    assert finding.severity is Severity.ERROR
    assert finding.fix == (
        "pip install torch==2.11.0 --index-url https://download.pytorch.org/whl/cpu"
    )


def test_cxx11_abi_torch_mlu_finds_its_row(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.4.1+cpu",
        torch_mlu="1.25.0+torch2.4.1.cxx11.abi",
        neuware="4.0.1",
        cnnl="2.0.0",
        cncl="1.24.1",
        cambricon_driver="6.2.8",
    )
    assert evaluate(inv, matrix) == []


@pytest.mark.parametrize(
    ("torch", "facts"),
    [
        ("2.11.0+cu128", {}),
        ("2.11.0", {FACT_TORCH_CUDA: "12.8"}),  # a PyPI wheel: CUDA only in torch/version.py
        ("2.11.0+rocm7.1", {}),
        ("2.11.0+cpu.cxx11.abi", {}),
    ],
)
def test_non_cpu_torch_builds_from_2_4_are_errors(
    matrix: Matrix, torch: str, facts: dict[str, str]
) -> None:
    inv = make({**FLAGOS_472, "torch": torch}, facts=facts)
    finding = planning.by_id(evaluate(inv, matrix))["cambricon.torch-build"]
    assert finding.severity is Severity.ERROR
    assert finding.fix == (
        "pip install torch==2.11.0 --index-url https://download.pytorch.org/whl/cpu"
    )


def test_pytorch_org_wheel_before_2_4_is_a_warning(matrix: Matrix) -> None:
    inv = inventory(torch="2.1.0+cpu", torch_mlu="1.22.2+torch2.1.0")
    finding = planning.by_id(evaluate(inv, matrix))["cambricon.torch-build"]
    assert finding.severity is Severity.WARNING
    assert "非官方的安装包" in finding.message


def test_cnnl_below_torch_mlus_minimum_is_an_error(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.4.0+cpu",
        torch_mlu="1.22.2+torch2.4.0",
        neuware="3.13.5",
        cnnl="1.24.0",
        cncl="1.21.0",
    )
    finding = planning.by_id(evaluate(inv, matrix))["cambricon.torch_mlu-cnnl"]
    assert finding.severity is Severity.ERROR
    assert "Require CNNL minimum verion is 1.26.6" in finding.message
    assert finding.fix.startswith("Install CNNL 1.26.6 or newer (cnnl_1.26.6-1.")


def test_neuware_below_the_build_version_is_a_warning(matrix: Matrix) -> None:
    inv = inventory(torch="2.4.0+cpu", torch_mlu="1.22.2+torch2.4.0", neuware="3.9.0")
    finding = planning.by_id(evaluate(inv, matrix))["cambricon.torch_mlu-neuware"]
    assert finding.severity is Severity.WARNING


def test_a_stack_differing_from_the_published_pairing_is_a_warning(matrix: Matrix) -> None:
    found = planning.by_id(evaluate(make({**FLAGOS_472, "cncl": "1.29.4"}), matrix))
    finding = found["cambricon.torch_mlu-cncl"]
    assert finding.severity is Severity.WARNING
    assert "published with CNCL 1.30.8, not 1.29.4" in finding.message
    # CNCL 1.29.4 goes with torch_mlu 1.29.2, which is built for another torch: not offered.
    assert (
        finding.fix
        == "Install CNCL 1.30.8 (cncl_1.30.8-1.<distro>_<arch>.deb from the Cambricon SDK)"
    )
    on_271 = {**FLAGOS_472, "torch": "2.7.1+cpu", "torch_mlu": "1.29.2+torch2.7.1"}
    on_271.update(neuware="4.4.3", cnnl="2.1.829", cncl="1.30.8")
    fix = planning.by_id(evaluate(make(on_271), matrix))["cambricon.torch_mlu-cncl"].fix
    assert fix.startswith("Install CNCL 1.29.4 (cncl_1.29.4-1.")


def test_driver_below_torch_mlus_minimum_is_an_error(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.4.1+cpu",
        torch_mlu="1.25.0+torch2.4.1",
        neuware="4.0.1",
        cnnl="2.0.0",
        cncl="1.24.1",
        cambricon_driver="6.2.0",
    )
    finding = planning.by_id(evaluate(inv, matrix))["cambricon.torch_mlu-driver"]
    assert finding.severity is Severity.ERROR
    assert "driver 6.2.8" in finding.message
    assert finding.fix.startswith("Ask the administrator to install MLU driver 6.2.8 or newer")


def test_torch_mlu_without_neuware(matrix: Matrix) -> None:
    inv = inventory(torch="2.4.0+cpu", torch_mlu="1.22.2+torch2.4.0")
    finding = planning.by_id(evaluate(inv, matrix))["cambricon.torch_mlu-without-neuware"]
    assert finding.severity is Severity.ERROR
    assert "CNToolkit >=3.13.5" in finding.fix


def test_unknown_torch_mlu_is_a_warning_but_its_tag_is_checked(matrix: Matrix) -> None:
    inv = inventory(torch="2.14.0+cpu", torch_mlu="1.40.0+torch2.15.0", neuware="4.7.2")
    found = planning.by_id(evaluate(inv, matrix))
    assert found["cambricon.unknown-combination"].severity is Severity.WARNING
    assert "is not in the Cambricon matrix" in found["cambricon.unknown-combination"].message
    assert found["cambricon.torch-torch_mlu"].severity is Severity.ERROR


def test_neuware_newer_than_the_driver_is_a_warning(matrix: Matrix) -> None:
    found = planning.by_id(evaluate(inventory(neuware="4.7.2", cambricon_driver="5.10.22"), matrix))
    finding = found["cambricon.neuware-driver"]
    assert finding.severity is Severity.WARNING
    assert "paired with CNToolkit 4.7.2: 6.5.48" in finding.fix
    # An older CNToolkit that Cambricon pairs with a driver this old is offered.
    assert "Or install CNToolkit 3.8.2, paired with driver 5.10.13" in finding.fix


def test_driver_at_or_above_the_pairing_is_clean(matrix: Matrix) -> None:
    assert evaluate(inventory(neuware="3.9.0", cambricon_driver="5.10.31"), matrix) == []
    assert evaluate(inventory(neuware="3.1.2", cambricon_driver="4.20.11"), matrix) == []


def test_unknown_neuware_names_the_nearest_pairing(matrix: Matrix) -> None:
    found = planning.by_id(
        evaluate(inventory(neuware="3.10.5", cambricon_driver="5.10.22"), matrix)
    )
    finding = found["cambricon.unknown-combination"]
    assert finding.severity is Severity.WARNING
    assert "nearest published pairing is CNToolkit 3.10.2 with driver 5.10.31" in finding.message


def test_unknown_neuware_is_quiet_when_torch_mlu_checked_the_driver(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.4.0+cpu",
        torch_mlu="1.22.2+torch2.4.0",
        neuware="3.13.5",
        cnnl="1.26.6",
        cncl="1.21.0",
        cambricon_driver="6.2.0",
    )
    assert evaluate(inv, matrix) == []


def test_cpu_torch_on_an_mlu_host_gets_the_install_line(matrix: Matrix) -> None:
    inv = make({"torch": "2.7.1+cpu", "python": "3.10.12", "cambricon_driver": "6.2.15"}, cards=2)
    finding = planning.by_id(evaluate(inv, matrix))["cambricon.torch-without-torch_mlu"]
    assert finding.severity is Severity.INFO
    assert finding.fix.startswith(
        "pip install torch_mlu-1.29.2+torch2.7.1-cp310-cp310-linux_x86_64.whl"
    )


def test_torch_without_a_published_torch_mlu_gets_both_lines(matrix: Matrix) -> None:
    inv = make({"torch": "2.5.1+cpu", "python": "3.10.12"}, cards=1)
    fix = planning.by_id(evaluate(inv, matrix))["cambricon.torch-without-torch_mlu"].fix
    assert fix.startswith(
        "pip install torch==2.11.0 --index-url https://download.pytorch.org/whl/cpu && "
    )
    assert "torch_mlu-1.33.1+torch2.11.0" in fix


def test_torch_alone_without_mlu_evidence_is_silent(matrix: Matrix) -> None:
    assert evaluate(inventory(torch="2.5.1+cpu"), matrix) == []
