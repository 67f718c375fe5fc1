"""The contract of `chipdoctor fix` on every stack: for every scenario snapshot of every stack
(each stack a multi-stack host has too), the plan validates against the plan schema, exits 0,
and the target it proposes is one `check`'s own rules for that stack find no error in."""

from __future__ import annotations

import pytest

from chipdoctor.stacks import STACKS
from tests.conftest import SNAPSHOTS, run_cli
from tests.planning import bundled, errors, plan_json, targets


def _cases() -> list[tuple[str, str]]:
    cases = []
    for directory in sorted(p for p in SNAPSHOTS.iterdir() if p.is_dir()):
        prefix = directory.name.split("-", 1)[0]
        if prefix in STACKS:
            cases.append((directory.name, prefix))
        elif prefix == "multi":
            cases += [(directory.name, s) for s in STACKS if s in directory.name]
    return cases


FIXABLE = {name for name, stack in STACKS.items() if stack.resolver() is not None}
CASES = [(scenario, stack) for scenario, stack in _cases() if stack in FIXABLE]
UNFIXABLE = [(scenario, stack) for scenario, stack in _cases() if stack not in FIXABLE]


def test_every_stack_has_scenarios() -> None:
    assert {stack for _, stack in CASES + UNFIXABLE} == set(STACKS)


@pytest.mark.parametrize(("scenario", "stack"), UNFIXABLE)
def test_a_stack_without_fix_says_so_in_one_line(scenario: str, stack: str) -> None:
    result = run_cli("fix", "--snapshot", str(SNAPSHOTS / scenario))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"not available for {STACKS[stack].title} ({stack})" in result.stderr


@pytest.mark.parametrize(("scenario", "stack"), CASES)
def test_the_plan_is_a_stack_the_rules_accept(scenario: str, stack: str) -> None:
    code, plan = plan_json("--snapshot", str(SNAPSHOTS / scenario), "--stack", stack)
    assert code == 0
    assert plan["stack"] == stack and plan["status"] in ("ok", "change")
    assert errors(stack, targets(plan), bundled()) == []
    changed = [c["id"] for c in plan["components"] if c["action"] != "keep"]
    assert bool(changed) == bool(plan["steps"])
    if plan["steps"]:
        assert plan["steps"][-1]["commands"] == ["chipdoctor check"]
