"""Ascend verdicts on hand-built inventories, judged against the bundled matrix."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from chipdoctor.matrix.load import load_file, overlay
from chipdoctor.matrix.model import Matrix
from chipdoctor.model import Severity
from chipdoctor.stacks.ascend import facts
from chipdoctor.stacks.ascend.rules import evaluate
from tests import planning
from tests.planning import fixed


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return fixed().get("ascend")


inventory = partial(planning.host, "ascend")


def test_published_pairing_is_clean(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.1.0",
        torch_npu="2.1.0.post10",
        cann="8.0.0",
        cann_kernels="8.0.0",
        python="3.10.14",
    )
    assert evaluate(inv, matrix) == []


def test_x86_cpu_torch_wheel_is_fine(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.1.0+cpu",
        torch_npu="2.1.0.post10",
        cann="8.0.0",
        cann_kernels="8.0.0",
        python="3.10.14",
    )
    assert evaluate(inv, matrix) == []


def test_torch_mismatch_is_an_error_with_the_pip_line(matrix: Matrix) -> None:
    found = planning.by_id(evaluate(inventory(torch="2.2.0", torch_npu="2.1.0.post10"), matrix))
    finding = found["ascend.torch-torch_npu"]
    assert finding.severity is Severity.ERROR
    assert finding.fix == (
        "pip install torch==2.1.0 --index-url https://download.pytorch.org/whl/cpu"
    )
    assert "; ascend.yaml:" in finding.message


def test_unknown_torch_npu_still_checks_its_torch_release(matrix: Matrix) -> None:
    found = planning.by_id(evaluate(inventory(torch="2.40.0", torch_npu="2.41.0.post1"), matrix))
    assert found["ascend.torch-torch_npu"].severity is Severity.ERROR
    assert "2.41.0" in found["ascend.torch-torch_npu"].fix


def test_unknown_torch_npu_with_cann_is_only_a_warning(matrix: Matrix) -> None:
    found = planning.by_id(
        evaluate(
            inventory(torch="2.41.0", torch_npu="2.41.0", cann="8.0.0", cann_kernels="8.0.0"),
            matrix,
        )
    )
    assert set(found) == {"ascend.unknown-combination"}
    assert found["ascend.unknown-combination"].severity is Severity.WARNING


def test_gpu_torch_beside_torch_npu_is_refused(matrix: Matrix) -> None:
    found = planning.by_id(
        evaluate(inventory(torch="2.1.0+cu121", torch_npu="2.1.0.post10"), matrix)
    )
    assert found["ascend.torch-build"].severity is Severity.ERROR
    assert "download.pytorch.org/whl/cpu" in found["ascend.torch-build"].fix


def test_torch_npu_without_torch(matrix: Matrix) -> None:
    found = planning.by_id(evaluate(inventory(torch_npu="2.1.0.post10"), matrix))
    assert found["ascend.torch_npu-without-torch"].severity is Severity.ERROR


def test_python_outside_the_listed_versions_is_a_warning(matrix: Matrix) -> None:
    inv = inventory(
        torch="2.1.0", torch_npu="2.1.0.post10", cann="8.0.0", cann_kernels="8.0.0", python="3.13.1"
    )
    found = planning.by_id(evaluate(inv, matrix))
    assert set(found) == {"ascend.python"}
    assert found["ascend.python"].severity is Severity.WARNING
    assert "3.11" in found["ascend.python"].message


def test_cann_older_than_torch_npu_needs_is_an_error(matrix: Matrix) -> None:
    inv = inventory(torch="2.1.0", torch_npu="2.1.0.post10", cann="7.0.0", cann_kernels="7.0.0")
    finding = planning.by_id(evaluate(inv, matrix))["ascend.torch_npu-cann"]
    assert finding.severity is Severity.ERROR
    assert "older than CANN 8.0.0" in finding.message
    # the fix offers the torch_npu built for the installed CANN and torch, or the CANN upgrade
    assert "pip install torch-npu==2.1.0" in finding.fix
    assert "install CANN 8.0.0" in finding.fix


def test_release_note_compatibility_window_is_not_a_problem(matrix: Matrix) -> None:
    # hiascend PTA 7.2.0 release note: PTA 6.0.0 (2.1.0.post10) works with CANN 8.3.RC1.
    inv = inventory(torch="2.1.0", torch_npu="2.1.0.post10", cann="8.3.RC1", cann_kernels="8.3.RC1")
    found = planning.by_id(evaluate(inv, matrix))
    assert found["ascend.torch_npu-cann"].severity is Severity.INFO


def test_cann_newer_than_the_pairing_is_a_warning(matrix: Matrix) -> None:
    inv = inventory(torch="2.1.0", torch_npu="2.1.0.post10", cann="9.0.0", cann_kernels="9.0.0")
    finding = planning.by_id(evaluate(inv, matrix))["ascend.torch_npu-cann"]
    assert finding.severity is Severity.WARNING


def test_torch_npu_without_cann(matrix: Matrix) -> None:
    finding = planning.by_id(evaluate(inventory(torch="2.1.0", torch_npu="2.1.0.post10"), matrix))[
        "ascend.torch_npu-without-cann"
    ]
    assert finding.severity is Severity.ERROR
    assert "CANN 8.0.0" in finding.fix


def test_cann_without_torch_npu_suggests_the_matching_wheel(matrix: Matrix) -> None:
    finding = planning.by_id(
        evaluate(inventory(torch="2.1.0", cann="8.0.0", cann_kernels="8.0.0"), matrix)
    )["ascend.cann-without-torch_npu"]
    assert finding.severity is Severity.INFO
    assert "pip install torch-npu==2.1.0.post10" in finding.fix


def test_explicitly_incompatible_driver_is_an_error(matrix: Matrix) -> None:
    # CANN 9.1.0 release notes: 9.1.X is "N" with Ascend HDK 25.0.X.
    finding = planning.by_id(
        evaluate(inventory(cann="9.1.0", cann_kernels="9.1.0", ascend_driver="25.0.rc1.1"), matrix)
    )["ascend.cann-driver"]
    assert finding.severity is Severity.ERROR
    assert "marks it incompatible" in finding.message


def test_driver_older_than_listed_is_an_error(matrix: Matrix) -> None:
    finding = planning.by_id(
        evaluate(inventory(cann="9.0.0", cann_kernels="9.0.0", ascend_driver="24.1.rc2.2"), matrix)
    )["ascend.cann-driver"]
    assert finding.severity is Severity.ERROR
    assert "Ask the administrator to install Ascend HDK driver and firmware 26.1.1" in finding.fix


def test_toolkit_declaring_the_driver_compatible_softens_to_a_warning(matrix: Matrix) -> None:
    # CANN 8.2.RC1's own install.info lists driver release C15 (24.1.rc1).
    declared = {
        facts.FACT_TOOLKIT_COMPATIBLE: "[V100R001C15],[V100R001C18],[V100R001C19],[V100R001C20]",
        facts.FACT_DRIVER_INNER: "V100R001C15SPC006B220",
        facts.FACT_TOOLKIT_SOURCE: "/x/ascend_toolkit_install.info",
    }
    inv = inventory(
        facts_=declared, cann="8.2.RC1", cann_kernels="8.2.RC1", ascend_driver="24.1.rc1"
    )
    finding = planning.by_id(evaluate(inv, matrix))["ascend.cann-driver"]
    assert finding.severity is Severity.WARNING
    assert "declares driver release V100R001C15 compatible" in finding.message


def test_toolkit_excluding_a_listed_driver_is_a_warning(matrix: Matrix) -> None:
    declared = {
        facts.FACT_TOOLKIT_COMPATIBLE: "[V100R001C13,V100R001C19],[V100R001C30]",
        facts.FACT_DRIVER_INNER: "V100R001C21SPC002B220",
    }
    inv = inventory(
        facts_=declared, cann="8.2.RC1", cann_kernels="8.2.RC1", ascend_driver="25.0.rc1.1"
    )
    finding = planning.by_id(evaluate(inv, matrix))["ascend.cann-driver-declared"]
    assert finding.severity is Severity.WARNING
    assert "does not include this driver's V100R001C21" in finding.message


def test_listed_driver_is_clean(matrix: Matrix) -> None:
    findings = evaluate(
        inventory(cann="8.2.RC1", cann_kernels="8.2.RC1", ascend_driver="25.0.rc1.1"), matrix
    )
    assert [f.id for f in findings if f.severity is not Severity.INFO] == []


def test_firmware_outside_the_driver_declared_range(matrix: Matrix) -> None:
    declared = {facts.FACT_DRIVER_FW_RANGE: "[7.0.0,7.2.99]"}
    inv = inventory(facts_=declared, ascend_driver="24.1.rc2.2", ascend_firmware="7.7.0.1.231")
    finding = planning.by_id(evaluate(inv, matrix))["ascend.driver-firmware"]
    assert finding.severity is Severity.ERROR
    assert "the driver's /usr/local/Ascend/driver/version.info accepts firmware" in finding.message


def test_driver_outside_the_firmware_declared_range(matrix: Matrix) -> None:
    declared = {facts.FACT_FIRMWARE_DRV_RANGE: "[23.0.0,23.0.0.],[24.0,24.0.],[24.1,24.1.]"}
    inv = inventory(facts_=declared, ascend_driver="25.3.rc1", ascend_firmware="7.7.0.1.231")
    finding = planning.by_id(evaluate(inv, matrix))["ascend.driver-firmware"]
    assert (
        "the firmware's /usr/local/Ascend/firmware/version.info accepts drivers" in finding.message
    )


def test_firmware_within_both_declarations(matrix: Matrix) -> None:
    declared = {
        facts.FACT_DRIVER_FW_RANGE: "[7.0.0,7.7.99]",
        facts.FACT_FIRMWARE_DRV_RANGE: "[23.0.0,23.0.0.],[24.0,24.0.],[24.1,24.1.],[25.0,25.0.]",
    }
    inv = inventory(facts_=declared, ascend_driver="25.0.rc1.1", ascend_firmware="7.7.0.1.231")
    assert evaluate(inv, matrix) == []


def test_driver_version_that_does_not_parse_is_said_unreadable(matrix: Matrix) -> None:
    finding = planning.by_id(
        evaluate(inventory(cann="9.0.0", cann_kernels="9.0.0", ascend_driver="V100R001C15"), matrix)
    )["ascend.cann-driver"]
    assert finding.severity is Severity.WARNING
    assert "could not be read as an Ascend driver version" in finding.message
    assert "newer" not in finding.message


def test_a_failure_reported_upstream_is_an_error_with_the_build_for_this_cann(
    matrix: Matrix, tmp_path: Path
) -> None:
    """Issue 12 item 6: beyond the pairing, a `verdict: incompatible` row (a failure reported
    with a source) makes "newer CANN" an error; the fix keeps torch's release."""
    site = tmp_path / "site.yaml"
    site.write_text(
        'format: chipdoctor-matrix/1\nstack: ascend\nupdated: "2026-12-06"\n'
        'sources: {report: {title: "a failure report", url: "https://example.org/1"}}\n'
        "tables:\n  torch_npu_cann:\n    key: torch_npu\n    rows:\n"
        '      - {torch_npu: "2.1.0.post10", cann: "8.3.RC1", verdict: "incompatible",'
        " source: report}\n"
    )
    failing = overlay(matrix, load_file(site))
    inv = inventory(torch="2.1.0", torch_npu="2.1.0.post10", cann="8.3.RC1", cann_kernels="8.3.RC1")
    assert planning.by_id(evaluate(inv, matrix))["ascend.torch_npu-cann"].severity is Severity.INFO
    finding = planning.by_id(evaluate(inv, failing))["ascend.torch_npu-cann"]
    assert finding.severity is Severity.ERROR
    assert "as reported upstream" in finding.message and "a failure report" in finding.message
    assert finding.fix.startswith("pip install torch-npu==2.1.0.post")
