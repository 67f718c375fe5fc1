"""Where the driver is too old, both ways `check` offers are `fix`'s plans, on every stack with a
driver relation and a resolver (issue 12 item 7): the driver upgrade is the plan of
`fix --pin <the finding's other component>=<installed>`, the other way the plan of `fix` itself,
which keeps the driver. Through the real console script on real-evidence snapshots, with the
bundled data, as a user runs them. CUDA's case is in test_check_and_fix_agree.py; ROCm has no
driver rule and MUSA no driver relation in its data (docs/stacks/rocm.md, docs/stacks/musa.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SNAPSHOTS, run_cli
from tests.planning import plan_json, targets
from tests.stacks.dcu.test_fix import with_driver

KEEP_DRIVER = "\nor keep the driver: "


def _check(snapshot: Path) -> dict[str, Any]:
    result = run_cli("check", "--snapshot", str(snapshot), "--format", "json")
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _as_check_writes_it(plan: dict[str, Any]) -> str:
    """A plan's steps as check's fix spells them (chipdoctor/fix/agree.py `_steps`): each
    command, or the title of a step with none to run here; the closing check left out."""
    lines: list[str] = []
    for step in plan["steps"]:
        if step["kind"] == "verify":
            continue
        runnable = step["kind"] != "admin" and step["commands"]
        if step["kind"] in ("admin", "toolkit") or not runnable:
            lines.append(step["title"])
        if runnable:
            lines.extend(step["commands"])
    return "\n".join(lines)


def _dcu_driver_below_dtk(tmp_path: Path) -> Path:
    # Hygon driver 5.16.29 supports DTK 23.04 and 23.10 (hcu-dcgm compatibility.go), not the
    # snapshot's DTK 24.04.3; the module's version file is written as test_probe.py does.
    return with_driver(tmp_path, "5.16.29-V1.2.0")


CASES = [
    ("ascend", "ascend.cann-driver", "cann", "ascend_driver"),
    ("cambricon", "cambricon.torch_mlu-driver", "torch_mlu", "cambricon_driver"),
    ("dcu", "dcu.driver-dtk", "dtk", "hygon_driver"),
]
SCENARIOS = {
    "ascend": lambda _: SNAPSHOTS / "ascend-cann-newer-than-driver",
    "cambricon": lambda _: SNAPSHOTS / "cambricon-torch_mlu-driver-too-old",
    "dcu": _dcu_driver_below_dtk,
}


@pytest.mark.parametrize(("stack", "finding", "kept", "driver"), CASES)
def test_both_ways_are_fix_plans(
    tmp_path: Path, stack: str, finding: str, kept: str, driver: str
) -> None:
    snapshot = SCENARIOS[stack](tmp_path)
    report = _check(snapshot)
    (fix,) = [f["fix"] for f in report["findings"] if f["id"] == finding]
    upgrade, separator, keep = fix.partition(KEEP_DRIVER)
    assert separator, fix
    installed = {c["id"]: c["version"] for c in report["components"]}

    _, default = plan_json("--snapshot", str(snapshot))
    assert targets(default)[driver] == installed[driver]  # fix keeps the driver …
    assert keep == _as_check_writes_it(default)  # … and check's second way is that plan
    assert targets(default)[kept] != installed[kept]

    _, pinned = plan_json("--snapshot", str(snapshot), "--pin", f"{kept}={installed[kept]}")
    assert targets(pinned)[kept] == installed[kept]
    assert targets(pinned)[driver] != installed[driver]  # the first way changes the driver
    assert upgrade == _as_check_writes_it(pinned)
