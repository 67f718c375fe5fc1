"""The unsupported HSA_OVERRIDE_GFX_VERSION workaround offered after the supported ways, only
within an LLVM generic processor family the build carries a member of; and the target list of a
ROCm nightly read by its build date. Logic on test-local tables; one test on the bundled data."""

from __future__ import annotations

from chipdoctor.model import Component, Inventory, Severity
from chipdoctor.rules.prerelease import as_released
from chipdoctor.stacks._hip import archs
from chipdoctor.stacks._hip.families import GENERIC_FAMILIES, override_version, stand_in

#: A made-up family table: the logic must follow whatever table it is given.
FAMILIES = {"fam-a": ("gfx1030", "gfx1031", "gfx1032"), "fam-b": ("gfx1100", "gfx1151")}

#: A made-up nightly window.
NIGHTLIES: archs.Nightlies = (
    ("9.9.0", "7.0", "20250926", "20251002", ("gfx90a", "gfx1100"), "test nightly list"),
)


def test_override_version_is_major_minor_stepping() -> None:
    assert override_version("gfx1030") == "10.3.0"
    assert override_version("gfx1100") == "11.0.0"
    assert override_version("gfx90a") == "9.0.10"
    assert override_version("gfx90a:xnack-") == "9.0.10"
    assert override_version("gfx12") is None
    assert override_version("sm_80") is None


def test_stand_in_is_the_first_carried_member_of_the_family() -> None:
    assert stand_in("gfx1032", ("gfx1031", "gfx1030"), FAMILIES) == ("fam-a", "gfx1030")
    assert stand_in("gfx1030", ("gfx1032", "gfx90a"), FAMILIES) == ("fam-a", "gfx1032")
    assert stand_in("gfx1151", ("gfx1030",), FAMILIES) is None  # no member of its family
    assert stand_in("gfx803", ("gfx1030",), FAMILIES) is None  # in no family


def test_override_only_where_every_gpu_takes_the_same_stand_in() -> None:
    carried = ("gfx1030", "gfx1100")
    one = {0: "gfx1031"}
    assert "HSA_OVERRIDE_GFX_VERSION=10.3.0" in archs.override(one, one, carried, FAMILIES)
    assert "not supported by AMD" in archs.override(one, one, carried, FAMILIES)
    same = {0: "gfx1031", 1: "gfx1032"}
    assert "as gfx1030" in archs.override(same, same, carried, FAMILIES)
    # The variable applies to every GPU: a GPU that runs as it is, or one of another family,
    # would be presented as the wrong target.
    mixed = {0: "gfx1031", 1: "gfx1100"}
    assert archs.override(mixed, {0: "gfx1031"}, carried, FAMILIES) == ""
    two = {0: "gfx1031", 1: "gfx1151"}
    assert archs.override(two, two, carried, FAMILIES) == ""
    assert archs.override(one, one, ("gfx1100",), FAMILIES) == ""


def _inventory(torch: str, gfx: str, targets: str) -> Inventory:
    inv = Inventory(stacks=["rocm"])
    inv.components = [Component("torch", torch, "test")]
    inv.facts = {
        f"{archs.FACT_GFX}0": gfx,
        archs.FACT_TORCH_LIBRARY: "/site/torch/lib/libtorch_hip.so",
        archs.FACT_TORCH_TARGETS: targets,
    }
    return inv


def test_the_finding_offers_it_after_the_supported_way() -> None:
    """gfx1031 under a build that carries gfx1030: the build-from-source way first, then the
    override (the bundled family table: gfx10-3-generic)."""
    inv = _inventory("2.4.1+rocm6.1", "gfx1031", "gfx1030 gfx90a")
    (finding,) = archs.torch_vs_targets(inv, "rocm", "2.4.1+rocm6.1")
    assert finding.severity is Severity.ERROR
    build = finding.fix.index("PYTORCH_ROCM_ARCH=gfx1031")
    assert finding.fix.index("HSA_OVERRIDE_GFX_VERSION=10.3.0") > build
    inv = _inventory("2.4.1+rocm6.1", "gfx1031", "gfx90a gfx1100")
    (finding,) = archs.torch_vs_targets(inv, "rocm", "2.4.1+rocm6.1")
    assert "HSA_OVERRIDE_GFX_VERSION" not in finding.fix


def test_a_nightly_is_looked_up_by_its_build_date() -> None:
    assert archs.published("9.9.0.dev20250929+rocm7.0", NIGHTLIES) == (
        ("gfx90a", "gfx1100"),
        "test nightly list",
    )
    assert archs.published("9.9.0.dev20251003+rocm7.0", NIGHTLIES) is None  # after the window
    assert archs.published("9.9.0.dev20250929+rocm7.1", NIGHTLIES) is None
    assert archs.published("9.9.0+rocm7.0", NIGHTLIES) is None  # the release, not the nightly


def test_the_rules_see_the_nightly_through_its_base_release() -> None:
    """The rules judge `2.10.0.dev20250929+rocm7.0` as `2.10.0+rocm7.0`; the installed version
    stays readable, so a per-nightly list still applies (and not to the final release)."""
    inv = Inventory(stacks=["rocm"])
    inv.components = [Component("torch", "2.10.0.dev20250929+rocm7.0", "test")]
    judged, _ = as_released(inv)
    assert judged.version("torch") == "2.10.0+rocm7.0"
    assert archs.as_installed(judged, "2.10.0+rocm7.0") == "2.10.0.dev20250929+rocm7.0"
    assert archs.as_installed(judged, "2.9.1+rocm6.4") == "2.9.1+rocm6.4"


def test_bundled_data() -> None:
    """LLVM's generic processor table (AMDGPUUsage.rst) and the ROCm 7.0 nightly list."""
    assert GENERIC_FAMILIES["gfx10-3-generic"][0] == "gfx1030"
    assert "gfx1031" in GENERIC_FAMILIES["gfx10-3-generic"]
    assert GENERIC_FAMILIES["gfx11-generic"][0] == "gfx1100"
    assert "gfx1151" in GENERIC_FAMILIES["gfx11-generic"]
    carried, source = archs.published("2.10.0.dev20250929+rocm7.0") or ((), "")
    assert "gfx1100" in carried and "gfx950" in carried and "gfx1151" not in carried
    assert "pull/163860" in source
    assert stand_in("gfx1151", carried) == ("gfx11-generic", "gfx1100")
    assert archs.published("2.10.0.dev20251120+rocm7.0") is None  # gfx115x added by then
