"""Pre-release, dev and nightly builds are judged as their base release, with a warning."""

from __future__ import annotations

from chipdoctor.engine import judge
from chipdoctor.model import Component, Inventory, Severity
from chipdoctor.rules.prerelease import as_released
from tests.planning import fixed


def _inventory(stack: str = "cuda", **versions: str) -> Inventory:
    inv = Inventory(stacks=[stack])
    inv.components = [Component(c, v, "test") for c, v in versions.items()]
    return inv


def test_base_release_keeps_the_build_tag() -> None:
    judged, (warning,) = as_released(
        _inventory(torch="2.7.0.dev20250310+cu124", nvidia_driver="570.124.06")
    )
    assert judged.version("torch") == "2.7.0+cu124"
    assert judged.version("nvidia_driver") == "570.124.06"
    assert warning.id == "host.prerelease" and warning.severity is Severity.WARNING
    assert "2.7.0.dev20250310+cu124 is a pre-release" in warning.message
    assert "judged as torch 2.7.0" in warning.message
    assert "pip install torch==2.7.0" in warning.fix


def test_final_and_post_releases_stay() -> None:
    inv = _inventory(torch="2.5.1+cu124", torch_npu="2.1.0.post10", cann="8.0.RC2")
    judged, warnings = as_released(inv)
    assert judged is inv and warnings == []


def test_rc_of_a_known_release_is_not_an_unknown_combination() -> None:
    """torch_npu 2.5.1rc1 matches no row (`2.5.1` excludes its rc under PEP 440): judged as
    2.5.1 it gets 2.5.1's verdict, plus the warning, instead of "unknown combination"."""
    versions = {"torch": "2.5.1", "cann": "8.0.0"}
    rc = judge(_inventory("ascend", torch_npu="2.5.1rc1", **versions), fixed())
    final = judge(_inventory("ascend", torch_npu="2.5.1", **versions), fixed())
    assert "ascend.unknown-combination" not in [f.id for f in rc]
    assert [(f.id, f.severity) for f in rc if f.id != "host.prerelease"] == [
        (f.id, f.severity) for f in final
    ]
    (warning,) = [f for f in rc if f.id == "host.prerelease"]
    assert "judged as torch_npu 2.5.1" in warning.message


def test_no_stack_no_warning() -> None:
    inv = Inventory()
    inv.components = [Component("torch", "2.8.0rc1", "test")]
    assert "host.prerelease" not in [f.id for f in judge(inv, fixed())]
