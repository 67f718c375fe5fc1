"""The resolver on the fixed Hygon DCU test matrix: what it keeps, what it changes, why, and the
conflicts it explains. Every target is judged by the rules `check` runs (stacks/dcu/rules.py)."""

from __future__ import annotations

from functools import partial

import pytest

from chipdoctor.matrix.model import MatrixSet
from chipdoctor.model import Severity
from chipdoctor.resolve import Pin, Resolution, parse_generic, parse_pin, resolve
from chipdoctor.resolve.pins import is_prerelease
from tests import planning
from tests.conftest import SNAPSHOTS
from tests.planning import snapshot

DCU = sorted(p.name for p in SNAPSHOTS.iterdir() if p.name.startswith("dcu-"))
HEALTHY = {"python": "3.10.12", "torch": "2.3.0+das.opt2.dtk24043", "dtk": "24.04.3"}


inventory = partial(planning.inventory, "dcu")


def judged(resolution: Resolution, matrices: MatrixSet, severity: Severity) -> list[str]:
    """What `check` says of a host holding exactly the resolved stack (its messages)."""
    found = planning.judged("dcu", resolution.target)
    return [f.message for f in found if f.severity is severity]


def changed(resolution: Resolution) -> list[str]:
    return [c for c in resolution.order if resolution.changed(c)]


def test_a_healthy_stack_is_kept_as_it_is(matrices: MatrixSet) -> None:
    result = resolve(snapshot("dcu-healthy"), matrices)
    assert result.ok and result.target == HEALTHY
    assert changed(result) == []
    assert result.reasons["torch"].startswith("installed; kept: the Hygon build for DTK 24.04.3")
    assert "dcu.yaml:" in result.reasons["dtk"]


@pytest.mark.parametrize("scenario", ["dcu-cpu-torch", "dcu-torch-dtk-mismatch"])
def test_a_wrong_torch_becomes_the_das_build_for_the_installed_dtk(
    matrices: MatrixSet, scenario: str
) -> None:
    result = resolve(snapshot(scenario), matrices)
    # The newest DAS build made for DTK 24.04.3 itself: the toolkit and Python stay.
    assert result.target == HEALTHY
    assert changed(result) == ["torch"]
    assert "download directory DAS1.3" in result.reasons["torch"]
    assert judged(result, matrices, Severity.ERROR) == []
    assert judged(result, matrices, Severity.WARNING) == []


@pytest.mark.parametrize("scenario", DCU)
def test_the_rules_confirm_every_scenario_target(matrices: MatrixSet, scenario: str) -> None:
    result = resolve(snapshot(scenario), matrices)
    assert result.ok
    assert judged(result, matrices, Severity.ERROR) == []
    assert judged(result, matrices, Severity.WARNING) == list(result.warnings)


def test_an_unknown_driver_stays_out_of_the_target(matrices: MatrixSet) -> None:
    """The snapshots' hy-smi works but shows no driver version: nothing to ask for."""
    result = resolve(snapshot("dcu-healthy"), matrices)
    assert "hygon_driver" not in result.target


@pytest.mark.parametrize(
    ("pins", "torch", "dtk"),
    [
        ((("torch", "2.9"),), "2.9.0+das.opt1.dtk2604", "26.04"),
        ((("torch", "2.5"),), "2.5.1+das.opt1.dtk2604", "26.04"),
        ((("torch", "2.1"),), "2.1.0+das.opt2.dtk24043", "24.04.3"),
        ((("dtk", "25.04"),), "2.7.1+das.opt1.dtk25042", "25.04.2"),
        ((("dtk", "25.04.1"),), "2.5.1+das.opt1.dtk25041", "25.04.1"),
    ],
)
def test_pins_are_prefixes_read_with_each_scheme(
    matrices: MatrixSet, pins: tuple[tuple[str, str], ...], torch: str, dtk: str
) -> None:
    parsed = [parse_generic(f"{c}={v}") for c, v in pins]
    result = resolve(inventory(**HEALTHY), matrices, parsed)
    assert (result.target["torch"], result.target["dtk"]) == (torch, dtk)
    assert result.target["python"] == "3.10.12"  # every one of them is published for 3.10
    assert judged(result, matrices, Severity.ERROR) == []


def test_python_follows_the_pythons_the_wheels_are_published_for(matrices: MatrixSet) -> None:
    result = resolve(inventory(**HEALTHY), matrices, [parse_pin("torch", "1.13", "--torch 1.13")])
    # torch 1.13.1 of DTK 23.10 is published for 3.8-3.10: the installed 3.10 stays.
    assert result.target == {"dtk": "23.10", "torch": "1.13.1", "python": "3.10.12"}
    pins = [parse_pin("torch", "2.9", "--torch 2.9"), parse_pin("python", "3.12", "--python 3.12")]
    result = resolve(inventory(**HEALTHY), matrices, pins)
    assert result.target["python"] == "3.12"
    assert "published for Python 3.10, 3.11, 3.12" in result.reasons["python"]


def test_two_pins_that_exclude_each_other_are_named_together(matrices: MatrixSet) -> None:
    pins = [
        parse_pin("torch", "2.9", "--torch 2.9"),
        parse_generic("dtk=24.04"),
        parse_pin("python", "3.10", "--python 3.10"),
    ]
    result = resolve(inventory(**HEALTHY), matrices, pins)
    (conflict,) = result.conflicts  # --python 3.10 fits either: it is not part of it
    assert conflict.options == ("--torch 2.9", "--pin dtk=24.04")
    assert "with --torch 2.9, dtk can be 26.04" in conflict.message
    assert "with --pin dtk=24.04, torch can be 2.3.0+das.opt2.dtk24043" in conflict.message


def test_the_installed_driver_is_kept_and_picks_the_dtk(matrices: MatrixSet) -> None:
    result = resolve(inventory(**HEALTHY, hygon_driver="6.2.26"), matrices)
    assert result.target == {**HEALTHY, "hygon_driver": "6.2.26"}
    assert "kept (the hardest to change)" in result.reasons["hygon_driver"]
    assert ">=6.2.26" in result.reasons["hygon_driver"]
    # A driver whose tier lists only DTK 23.04/23.10: the stack moves to a DTK it runs.
    result = resolve(inventory(**HEALTHY, hygon_driver="5.16.29"), matrices)
    assert not result.changed("hygon_driver")
    assert result.target["dtk"] == "23.10" and result.target["torch"] == "1.13.1"
    assert judged(result, matrices, Severity.WARNING) == []


def test_a_dtk_pin_the_driver_cannot_run_changes_the_driver(matrices: MatrixSet) -> None:
    inv = inventory(**HEALTHY, hygon_driver="6.2.26")
    result = resolve(inv, matrices, [parse_generic("dtk=26.04")])
    assert result.target["hygon_driver"] == "6.3.30"
    assert "the installed driver 6.2.26 does not run DTK 26.04" in result.reasons["hygon_driver"]
    assert judged(result, matrices, Severity.ERROR) == []
    assert judged(result, matrices, Severity.WARNING) == []


def test_keep_driver_turns_that_into_a_conflict_naming_the_driver(matrices: MatrixSet) -> None:
    inv = inventory(**HEALTHY, hygon_driver="6.2.26")
    result = resolve(inv, matrices, [parse_generic("dtk=26.04")], keep_driver=True)
    (conflict,) = result.conflicts
    assert conflict.options == ("--pin dtk=26.04", "the installed driver 6.2.26")
    assert "hygon_driver can be 6.3.30" in conflict.message


def test_a_driver_newer_than_the_dtk_is_kept_with_the_rules_warning(matrices: MatrixSet) -> None:
    inv = inventory(**HEALTHY, hygon_driver="6.3.30-V1.4.1a")
    result = resolve(inv, matrices, [parse_generic("dtk=25.04")])
    assert result.target["hygon_driver"] == "6.3.30-V1.4.1a"
    assert result.warnings == judged(result, matrices, Severity.WARNING) != []
    assert "supports DTK 26.04, not DTK 25.04" in result.warnings[0]
    # Unpinned, the DTK its tier lists wins over keeping the toolkit (fewer warnings first).
    result = resolve(inv, matrices)
    assert (result.target["dtk"], result.warnings) == ("26.04", [])


def test_a_driver_pin_without_a_known_driver_names_the_tier_minimum(matrices: MatrixSet) -> None:
    result = resolve(inventory(**HEALTHY), matrices, [parse_generic("hygon_driver=6.3")])
    assert (result.target["hygon_driver"], result.target["dtk"]) == ("6.3.30", "26.04")
    full = resolve(inventory(**HEALTHY), matrices, [parse_generic("hygon_driver=6.2.40")])
    assert (full.target["hygon_driver"], full.target["dtk"]) == ("6.2.40", "24.04.3")


def test_the_newest_stack_when_nothing_is_installed(matrices: MatrixSet) -> None:
    result = resolve(inventory(python="3.11.4"), matrices)
    assert result.target == {"dtk": "26.04", "torch": "2.9.0+das.opt1.dtk2604", "python": "3.11.4"}


def test_never_a_pre_release_unless_pinned_in_full(matrices: MatrixSet) -> None:
    prefixes: tuple[list[Pin], ...] = (
        [],
        [parse_pin("torch", "2.1", "--torch 2.1")],
        [parse_generic("dtk=23.10")],
    )
    for pins in prefixes:
        result = resolve(inventory(python="3.8.10"), matrices, pins)
        assert result.ok, result.conflicts
        assert not any(is_prerelease(c, v) for c, v in result.target.items()), result.target
    exact = [parse_pin("torch", "2.1.0a0", "--torch 2.1.0a0")]
    result = resolve(inventory(python="3.8.10"), matrices, exact)
    assert (result.target["torch"], result.target["dtk"]) == ("2.1.0a0", "23.10")
    # DTK 22.10 has only `a0` builds: none unless one is named in full.
    assert not resolve(inventory(python="3.8.10"), matrices, [parse_generic("dtk=22.10")]).ok
    exact.append(parse_generic("dtk=22.10"))
    exact[0] = parse_pin("torch", "1.13.0a0", "--torch 1.13.0a0")
    assert resolve(inventory(python="3.8.10"), matrices, exact).target["dtk"] == "22.10"


def test_an_older_das_build_is_kept_on_its_dtk(matrices: MatrixSet) -> None:
    """DAS 1.1 wheels carry `dtk2404` in a longer local tag; the matrix row names the release."""
    installed = "2.1.0+das1.1.git3ac1bdd.abi1.dtk2404"
    inv = inventory(python="3.10.12", dtk="24.04.1", torch=installed)
    result = resolve(inv, matrices)
    assert result.target["torch"] == installed and changed(result) == []
    assert "download directory DAS1.1.1" in result.reasons["torch"]


def test_a_bare_release_is_not_taken_for_the_das_build_of_that_release(
    matrices: MatrixSet,
) -> None:
    """PyPI's `2.1.0` is not DAS 1.1's `2.1.0+das1.1…`: the plan must change it."""
    result = resolve(inventory(python="3.10.12", dtk="24.04.1", torch="2.1.0"), matrices)
    assert result.changed("torch")
    assert "+das" in result.target["torch"]
