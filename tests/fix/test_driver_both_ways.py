"""Where the driver is too old, check offers both ways (issue 12 item 7), each from the resolver
(chipdoctor/fix/agree.py): the driver upgrade that keeps what the finding names, then the plan
`fix` makes, the newest build that runs on this driver. Judged by the real rules through
`engine.judge`, on the fixed test matrices (tests/planning.py). ROCm has no driver rule (AMD
states kernel-driver support per package release, which a host's module version does not map
to: docs/stacks/rocm.md) and MUSA no resolver, so neither is here."""

from __future__ import annotations

from chipdoctor.engine import judge
from chipdoctor.fix.agree import planned
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.resolve.core import resolve
from tests import planning
from tests.planning import by_id, fixed, host

KEEP_DRIVER = "\nor keep the driver: "


def _checked(inventory: Inventory) -> dict[str, Finding]:
    return by_id(planned(inventory, fixed(), judge(inventory, fixed())))


def _ways(finding: Finding) -> tuple[str, str]:
    upgrade, _, plan = finding.fix.partition(KEEP_DRIVER)
    assert plan, finding.fix
    return upgrade, plan


def test_ascend_cann_newer_than_the_driver_names_the_driver_and_the_cann_it_runs() -> None:
    inventory = host("ascend", cann="9.0.0", cann_kernels="9.0.0", ascend_driver="24.1.rc2.2")
    finding = _checked(inventory)["ascend.cann-driver"]
    assert finding.severity is Severity.ERROR
    upgrade, plan = _ways(finding)
    target = resolve(inventory, fixed()).target
    assert target["ascend_driver"] == "24.1.rc2.2"  # fix keeps the driver …
    assert plan.startswith(f"Install CANN {target['cann']}:")  # … and check's fix says so
    assert target["cann"] != "9.0.0"
    assert upgrade.startswith("Ask the administrator for Ascend HDK NPU driver ")
    assert "CANN 9.0.0" not in plan


def test_cambricon_torch_mlu_above_the_driver_names_the_driver_and_the_build_it_runs() -> None:
    inventory = host(
        "cambricon",
        torch="2.4.1+cpu",
        torch_mlu="1.25.0+torch2.4.1",
        neuware="4.0.1",
        cnnl="2.0.0",
        cncl="1.24.1",
        cambricon_driver="6.2.0",
        python="3.10.12",
    )
    finding = _checked(inventory)["cambricon.torch_mlu-driver"]
    assert finding.severity is Severity.ERROR
    upgrade, plan = _ways(finding)
    assert upgrade.startswith("Ask the administrator for Cambricon MLU driver 6.2.8 or newer")
    target = resolve(inventory, fixed()).target
    assert target["cambricon_driver"] == "6.2.0"
    assert target["torch_mlu"] != "1.25.0+torch2.4.1"
    assert f"torch_mlu-{target['torch_mlu']}-" in plan


def test_dcu_driver_below_the_dtk_names_the_driver_and_the_dtk_it_runs() -> None:
    inventory = host(
        "dcu", hygon_driver="6.3.8", dtk="26.04", torch="2.5.1+das.opt1.dtk2604", python="3.10.12"
    )
    finding = _checked(inventory)["dcu.driver-dtk"]
    assert finding.severity is Severity.WARNING
    upgrade, plan = _ways(finding)
    target = resolve(inventory, fixed()).target
    assert target["hygon_driver"] == "6.3.8"
    assert f"DTK {target['dtk']}" in plan
    assert "driver" in upgrade


def test_a_warning_without_a_driver_way_keeps_the_rules_both_ways() -> None:
    # The resolver names no driver for a CNToolkit 4.7.2 host here, so the rule's text stays:
    # it already offers the driver and an older CNToolkit.
    inventory = host("cambricon", neuware="4.7.2", cambricon_driver="5.10.22")
    finding = _checked(inventory)["cambricon.neuware-driver"]
    assert "Or install CNToolkit 3.8.2, paired with driver 5.10.13" in finding.fix


def test_ascend_keeping_the_driver_changes_cann_and_torch_npu_together() -> None:
    """A whole stack above the driver: the second way is a CANN and torch_npu pair that runs
    on the installed driver (the rules find no driver or pairing error in it)."""
    installed = {
        "torch": "2.5.1",
        "torch_npu": "2.5.1.post1",
        "cann": "8.1.RC1",
        "cann_kernels": "8.1.RC1",
        "ascend_driver": "23.0.3",
        "ascend_firmware": "7.1.0.5.220",
        "python": "3.10.12",
    }
    inventory = planning.inventory("ascend", **installed)
    finding = _checked(inventory)["ascend.cann-driver"]
    upgrade, plan = _ways(finding)
    assert upgrade.startswith("Ask the administrator for Ascend HDK NPU driver ")
    assert "23.0.3" not in upgrade
    target = resolve(inventory, fixed()).target
    assert target["ascend_driver"] == "23.0.3"
    assert target["cann"] != installed["cann"] and target["torch_npu"] != installed["torch_npu"]
    assert f"Install CANN {target['cann']}:" in plan
    assert f"torch_npu-{target['torch_npu']}-" in plan
    kept = planning.inventory("ascend", **{**installed, **target, "cann_kernels": target["cann"]})
    wrong = [f.id for f in judge(kept, fixed()) if f.severity is Severity.ERROR]
    assert wrong == []
