"""Hygon DCU verdicts on hand-built inventories, judged against the bundled matrix."""

from __future__ import annotations

from functools import partial

import pytest

from chipdoctor import model
from chipdoctor.matrix.model import Matrix
from chipdoctor.model import Severity
from chipdoctor.stacks.dcu.rules import evaluate
from tests import planning
from tests.planning import fixed

DAS13_WHEEL = (
    "pip install --no-deps https://download.sourcefind.cn:65024/file/4/pytorch/DAS1.3/"
    "torch-2.3.0+das.opt2.dtk24043-cp310-cp310-manylinux_2_28_x86_64.whl"
)


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return fixed().get("dcu")


inventory = partial(planning.host, "dcu")


def test_das_wheel_for_the_installed_dtk_is_clean(matrix: Matrix) -> None:
    inv = inventory(torch="2.5.1+das.opt1.dtk2604", dtk="26.04", python="3.12.3")
    assert evaluate(inv, matrix) == []


def test_release_build_matches_its_patch_releases(matrix: Matrix) -> None:
    inv = inventory(torch="2.1.0+das1.0+git00661e0.abi0.dtk2404", dtk="24.04", python="3.10.12")
    assert evaluate(inv, matrix) == []


def test_wheel_for_another_dtk_release_is_an_error(matrix: Matrix) -> None:
    inv = inventory(torch="2.5.1+das.opt1.dtk2604", dtk="24.04.3", python="3.10.12")
    finding = planning.by_id(evaluate(inv, matrix))["dcu.torch-dtk"]
    assert finding.severity is Severity.ERROR
    assert "undefined symbol" in finding.message
    assert finding.fix.splitlines()[0].startswith(DAS13_WHEEL)
    assert finding.fix.splitlines()[1] == (
        "or install DTK 26.04 (https://download.sourcefind.cn:65024/1/main)."
    )


def test_wheel_for_another_patch_of_the_release_is_a_warning(matrix: Matrix) -> None:
    inv = inventory(torch="2.5.1+das.opt1.dtk25041", dtk="25.04.2", python="3.10.12")
    finding = planning.by_id(evaluate(inv, matrix))["dcu.torch-dtk"]
    assert finding.severity is Severity.WARNING
    # The same torch release is published for 25.04.2 (DAS1.7).
    assert "DAS1.7/torch-2.5.1+das.opt1.dtk25042-cp310-cp310" in finding.fix


@pytest.mark.parametrize(
    ("torch", "facts_", "words"),
    [
        ("2.3.0+cpu", {}, "CPU-only"),
        ("2.3.0+rocm6.0", {}, "hip_4.2"),
        ("2.3.0", {model.FACT_TORCH_CUDA: "12.1"}, "--no-deps"),
    ],
)
def test_non_das_torch_is_an_error(
    matrix: Matrix, torch: str, facts_: dict[str, str], words: str
) -> None:
    inv = inventory(facts_=facts_, torch=torch, dtk="24.04.3", python="3.10.12")
    finding = planning.by_id(evaluate(inv, matrix))["dcu.torch-build"]
    assert finding.severity is Severity.ERROR
    assert words in finding.message
    assert finding.fix.startswith(DAS13_WHEEL)


def test_python_without_a_wheel_gets_the_download_directory(matrix: Matrix) -> None:
    inv = inventory(torch="2.3.0+cpu", dtk="24.04.3", python="3.12.3")
    finding = planning.by_id(evaluate(inv, matrix))["dcu.torch-build"]
    assert "directory pytorch/DAS1.3" in finding.fix
    assert "published for Python 3.8, 3.10, 3.11" in finding.fix


def test_das_torch_without_dtk(matrix: Matrix) -> None:
    finding = planning.by_id(evaluate(inventory(torch="2.5.1+das.opt1.dtk2604"), matrix))[
        "dcu.dtk-missing"
    ]
    assert finding.severity is Severity.ERROR
    assert "source /opt/dtk/env.sh" in finding.fix


def test_unlisted_das_build_is_unknown(matrix: Matrix) -> None:
    inv = inventory(torch="2.9.0+das.opt2.dtk2604", dtk="26.04", python="3.10.12")
    assert (
        planning.by_id(evaluate(inv, matrix))["dcu.unknown-combination"].severity
        is Severity.WARNING
    )


@pytest.mark.parametrize(
    ("driver", "dtk", "finding"),
    [
        ("6.3.30-V1.4.1a", "26.04", None),
        ("6.2.26", "24.04.1", None),
        ("v6.3.1", "25.04.2", None),  # tier 6.2.26: DTK 24.04 and 25.04
        ("6.3.8", "26.04", "dcu.driver-dtk"),  # 26.04 needs the 6.3.30 tier
        ("6.3.30", "24.04.3", "dcu.driver-dtk"),  # Hygon lists only 26.04 from 6.3.30 on
        ("5.6.1", "21.04", "dcu.driver-dtk"),  # older than every tier
    ],
)
def test_driver_against_dtk(matrix: Matrix, driver: str, dtk: str, finding: str | None) -> None:
    found = evaluate(
        inventory(hygon_driver=driver, dtk=dtk, torch="2.5.1+das.opt1.dtk2604"), matrix
    )
    ids = {f.id: f for f in found if f.id == "dcu.driver-dtk"}
    if finding is None:
        assert ids == {}
    else:
        assert ids[finding].severity is Severity.WARNING


def test_driver_finding_names_the_supported_releases(matrix: Matrix) -> None:
    found = planning.by_id(evaluate(inventory(hygon_driver="6.3.8", dtk="26.04"), matrix))
    finding = found["dcu.driver-dtk"]
    assert "supports DTK 25.04, not DTK 26.04" in finding.message
    assert "DTK 26.04 is listed for drivers >=6.3.30" in finding.fix


def test_no_torch_is_information(matrix: Matrix) -> None:
    (finding,) = evaluate(inventory(dtk="26.04", python="3.11.9"), matrix)
    assert finding.id == "dcu.no-torch"
    assert "DAS1.8/torch-2.9.0+das.opt1.dtk2604-cp311-cp311" in finding.fix


def _on_cards(card: str, **versions: str) -> model.Inventory:
    """A host whose device table names `card` for each of its two DCUs."""
    found = planning.inventory("dcu", **versions)
    found.devices = [model.Device("dcu", index, card, "N/A") for index in range(2)]
    return found


@pytest.mark.parametrize(
    ("card", "driver", "dtk", "warned"),
    [
        # Hygon's legacy BW200 rule: driver >= 6.3.0 and DTK >= 25.00.00, whatever the tiers say.
        ("BW200", "6.3.8", "26.04", False),  # the tiers would want driver 6.3.30 for 26.04
        ("BW200", "6.3.0", "25.04.2", False),
        ("bw200", "6.3.30", "26.04", False),
        ("BW200", "6.2.26", "25.04", True),  # driver below 6.3.0
        ("BW200", "6.3.30", "24.04.3", True),  # DTK below 25.00
        # Cards without a rule of their own keep the tiers.
        ("K100_AI", "6.3.8", "26.04", True),
        ("HCU", "6.3.8", "26.04", True),
    ],
)
def test_a_card_with_its_own_rule_is_judged_by_it(
    matrix: Matrix, card: str, driver: str, dtk: str, warned: bool
) -> None:
    found = planning.by_id(evaluate(_on_cards(card, hygon_driver=driver, dtk=dtk), matrix))
    assert ("dcu.driver-dtk" in found) is warned


def test_the_card_rule_names_its_bounds(matrix: Matrix) -> None:
    found = planning.by_id(
        evaluate(_on_cards("BW200", hygon_driver="6.3.30", dtk="24.04.3"), matrix)
    )
    finding = found["dcu.driver-dtk"]
    assert "(>=6.3.0) supports DTK >=25.00.00, not DTK 24.04.3" in finding.message
    assert "compatibility.go" in finding.message
