"""Mutation fuzzing of every input chipdoctor reads: snapshots, matrices, policies, archives.

Each kind gets MUTANTS seeded mutants, each run by `chipdoctor check` in a forked child
(tests/fuzz/harness.py). The run fails on an exit 3, a report that names a probe or
access-check crash, a timeout, a memory kill, an exit 2 that is not one `chipdoctor: error:`
line, and a mutant that removes evidence yet exits 0 where its fixture exits 1 with every
component and tool record of the fixture still there. A failure prints the kind, input,
operator and seed; `CHIPDOCTOR_FUZZ_REPLAY=KIND:INPUT:OPERATOR:SEED pytest tests/fuzz` runs that
one mutant again and keeps it under /tmp for a crasher fixture (tests/fixtures/crashers/).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import SNAPSHOTS
from tests.fuzz.harness import CHECK, Job, Outcome, run_jobs
from tests.fuzz.operators import ARCHIVE_OPERATORS, REMOVES_EVIDENCE, YAML_OPERATORS

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = int(os.environ.get("CHIPDOCTOR_FUZZ_MUTANTS", "220"))
SEED = int(os.environ.get("CHIPDOCTOR_FUZZ_SEED", "20261206"))

#: The fixture each matrix is checked against: one of its stack that fails (exit 1).
MATRIX_SNAPSHOT = {
    "ascend": "ascend-torch-mismatch",
    "cambricon": "cambricon-torch-mismatch",
    "cuda": "cuda-torch-too-new-for-driver",
    "dcu": "dcu-torch-dtk-mismatch",
    "rocm": "rocm-torch-mismatch",
    "musa": "musa-torch-mismatch",
}
POLICY_SNAPSHOT = "ascend-torch-mismatch"

#: Policies to mutate: the docs/policy.md example and the other keys it documents.
POLICIES = {
    "docs-example": """\
require_stacks: [ascend]
versions:
  torch_npu: ">=2.1,<2.6"
  cann: ">=8.0.RC2"
  python: ">=3.9,<3.12"
ignore:
  - id: ascend.nnal-not-sourced
    reason: we do not use ATB; NNAL is installed but never sourced
  - id: ascend.torch-torch_npu
    reason: firmware upgrade is scheduled with the next maintenance window (OPS-142)
    until: 2026-12-31
fail_on_warnings: true
""",
    "versions-only": """\
versions:
  torch: "~=2.5.0"
  ascend_driver: ">=24.1.rc2"
  glibc: ">=2.28"
""",
    "stacks-and-ignores": """\
require_stacks: [ascend, cuda]
ignore:
  - {id: ascend.torch-torch_npu, reason: known, until: 2099-01-01}
fail_on_warnings: false
""",
}


@dataclass(frozen=True)
class Mutant:
    """One mutated input, named so that it can be replayed: kind, input, operator, seed."""

    kind: str
    source: str
    operator: str
    seed: int

    def name(self) -> str:
        return f"{self.kind}:{self.source}:{self.operator}:{self.seed}"


def _snapshot_sources() -> list[str]:
    return sorted(p.parent.name for p in SNAPSHOTS.glob("*/snapshot.yaml"))


def _matrix_sources() -> list[str]:
    bundled = sorted(p.name for p in (ROOT / "matrices").glob("*.yaml"))
    return bundled + [f"small-{name}" for name in bundled]


def _small_matrix(text: str) -> str:
    """A bundled matrix cut to its first two rows per table: fast to load, same shape."""
    tree = yaml.safe_load(text)
    for table in (tree.get("tables") or {}).values():
        if isinstance(table.get("rows"), list):
            table["rows"] = table["rows"][:2]
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)


SOURCES: dict[str, Callable[[], list[str]]] = {
    "snapshot": _snapshot_sources,
    "matrix": _matrix_sources,
    "policy": lambda: sorted(POLICIES),
    "archive": _snapshot_sources,
}


def _snapshot_operators() -> list[str]:
    return [*YAML_OPERATORS, "file_truncate", "file_insert_bytes", "file_oversize", "delete_file"]


OPERATORS: dict[str, Callable[[], list[str]]] = {
    "snapshot": _snapshot_operators,
    "matrix": lambda: list(YAML_OPERATORS),
    "policy": lambda: list(YAML_OPERATORS),
    "archive": lambda: list(ARCHIVE_OPERATORS),
}


def mutants(kind: str, count: int, seed: int) -> list[Mutant]:
    """`count` mutants of `kind`, every operator and input drawn from `seed`."""
    rng = random.Random(f"{kind}:{seed}")
    sources, operators = SOURCES[kind](), OPERATORS[kind]()
    return [
        Mutant(kind, rng.choice(sources), operators[i % len(operators)], rng.randrange(1 << 30))
        for i in range(count)
    ]


def _mutate_snapshot(mutant: Mutant, rng: random.Random, target: Path) -> None:
    shutil.copytree(SNAPSHOTS / mutant.source, target)
    (target / "expected.yaml").unlink(missing_ok=True)
    meta = target / "snapshot.yaml"
    if mutant.operator in YAML_OPERATORS:
        meta.write_bytes(YAML_OPERATORS[mutant.operator](meta.read_bytes(), rng))
        return
    files = sorted(p for p in target.rglob("*") if p.is_file() and p != meta)
    if not files:
        meta.write_bytes(YAML_OPERATORS["insert_bytes"](meta.read_bytes(), rng))
        return
    victim = rng.choice(files)
    if mutant.operator == "delete_file":
        victim.unlink()
    elif mutant.operator == "file_oversize":
        victim.write_bytes(victim.read_bytes() + b"9" * ((1 << 20) + rng.randrange(4096)))
    else:
        operator = YAML_OPERATORS[mutant.operator.removeprefix("file_")]
        victim.write_bytes(operator(victim.read_bytes(), rng))


def _packed(source: str, scratch: Path) -> bytes:
    from chipdoctor.evidence.archive import pack

    archive = scratch / f"{source}.tar.gz"
    if not archive.exists():
        fixture = scratch / "fixtures" / source
        shutil.copytree(SNAPSHOTS / source, fixture)
        (fixture / "expected.yaml").unlink()
        pack(fixture, archive)
    return archive.read_bytes()


def build(mutant: Mutant, workdir: Path, scratch: Path) -> list[str]:
    """Write `mutant` under `workdir` and return the `chipdoctor` arguments that check it."""
    rng = random.Random(mutant.seed)
    workdir.mkdir(parents=True)
    common = list(CHECK)
    if mutant.kind == "snapshot":
        _mutate_snapshot(mutant, rng, workdir / "snap")
        return [*common, "--snapshot", str(workdir / "snap")]
    if mutant.kind == "archive":
        data = ARCHIVE_OPERATORS[mutant.operator](_packed(mutant.source, scratch), rng)
        (workdir / "snap.tar.gz").write_bytes(data)
        return [*common, "--snapshot", str(workdir / "snap.tar.gz")]
    if mutant.kind == "matrix":
        name = mutant.source.removeprefix("small-")
        text = (ROOT / "matrices" / name).read_text(encoding="utf-8")
        if mutant.source.startswith("small-"):
            text = _small_matrix(text)
        matrix = workdir / name
        matrix.write_bytes(_apply(mutant, text, rng))
        snap = SNAPSHOTS / MATRIX_SNAPSHOT[name.removesuffix(".yaml")]
        return [*common, "--snapshot", str(snap), "--matrix", str(matrix)]
    policy = workdir / "policy.yaml"
    policy.write_bytes(_apply(mutant, POLICIES[mutant.source], rng))
    return [*common, "--snapshot", str(SNAPSHOTS / POLICY_SNAPSHOT), "--policy", str(policy)]


def _apply(mutant: Mutant, text: str, rng: random.Random) -> bytes:
    if mutant.operator == "original":
        return text.encode()
    return YAML_OPERATORS[mutant.operator](text.encode(), rng)


def verdict(mutant: Mutant, outcome: Outcome, baseline: Outcome, workdir: Path) -> str | None:
    """Why this outcome is a failure, or None when it is an acceptable answer."""
    if outcome.signal is not None or outcome.code not in (0, 1, 2, 3):
        return outcome.describe()
    if outcome.crash_findings:
        # NOTE: stricter than "an exit 3 the report names": input must never crash a part of
        # the check, so a named crash (exit 3, the report marked incomplete) fails the run too.
        return f"exit {outcome.code}, the report names a crash: {outcome.crash_message}"
    if outcome.code == 3:
        return outcome.describe()
    if outcome.code == 2:
        return _not_one_error_line(outcome)
    if _hides_removed_evidence(mutant, outcome, baseline, workdir):
        return "evidence removed, yet exit 0 where the fixture exits 1"
    return None


def _not_one_error_line(outcome: Outcome) -> str | None:
    lines = outcome.stderr.splitlines()
    if len(lines) == 1 and lines[0].startswith("chipdoctor: error: "):
        return None
    return f"exit 2 without one error line: {outcome.stderr[-600:]!r}"


def _hides_removed_evidence(
    mutant: Mutant, outcome: Outcome, baseline: Outcome, workdir: Path
) -> bool:
    return (
        outcome.code == 0
        and baseline.code == 1
        and mutant.kind in ("snapshot", "archive")
        and mutant.operator in REMOVES_EVIDENCE
        and _still_holds(baseline, outcome, mutant.source, workdir)
    )


def _still_holds(baseline: Outcome, outcome: Outcome, fixture: str, workdir: Path) -> bool:
    """Whether the mutant still holds every component and tool record of its fixture.

    A snapshot describes a machine: one whose torch_npu is gone, or whose vendor tool is not
    installed (its record under `commands:` gone), may truly be healthy, so removed evidence
    counts against chipdoctor only where the components and the tools stayed.
    """
    before, after = json.loads(baseline.stdout), json.loads(outcome.stdout)
    versions = {(c["id"], c["version"]) for c in after["components"]}
    if not {(c["id"], c["version"]) for c in before["components"]} <= versions:
        return False
    tools = _commands((SNAPSHOTS / fixture / "snapshot.yaml").read_bytes())
    return tools <= _commands(_snapshot_yaml(workdir))


def _commands(text: bytes) -> set[str]:
    tree = yaml.safe_load(text)
    return set(tree.get("commands") or ()) if isinstance(tree, dict) else set()


def _snapshot_yaml(workdir: Path) -> bytes:
    if (workdir / "snap").is_dir():
        return (workdir / "snap" / "snapshot.yaml").read_bytes()
    with tarfile.open(workdir / "snap.tar.gz") as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/snapshot.yaml"))
        return tar.extractfile(member).read()  # type: ignore[union-attr]


def _baselines(kind: str, sources: list[str], scratch: Path) -> dict[str, Outcome]:
    """Each unmutated input's outcome, from the same harness."""
    jobs = {}
    for source in sources:
        original = Mutant(kind, source, "original", 0)
        workdir = scratch / "baseline" / kind / source
        if kind in ("snapshot", "archive"):
            argv = [*CHECK, "--snapshot", str(SNAPSHOTS / source)]
            workdir.mkdir(parents=True)
        else:
            argv = build(original, workdir, scratch)
        jobs[source] = Job(argv, workdir, original.name())
    run_jobs(list(jobs.values()))
    outcomes = {}
    for source, job in jobs.items():
        assert job.outcome is not None
        assert job.outcome.code in (0, 1), (source, job.outcome.describe())
        outcomes[source] = job.outcome
    return outcomes


def fuzz(kind: str, selected: list[Mutant], scratch: Path) -> list[str]:
    baselines = _baselines(kind, sorted({m.source for m in selected}), scratch)
    jobs = []
    for index, mutant in enumerate(selected):
        workdir = scratch / "mutants" / f"{index:04d}"
        jobs.append((mutant, Job(build(mutant, workdir, scratch), workdir, mutant.name())))
    run_jobs([job for _, job in jobs])
    failures = []
    for mutant, job in jobs:
        assert job.outcome is not None
        why = verdict(mutant, job.outcome, baselines[mutant.source], job.workdir)
        if why is not None:
            failures.append(f"{mutant.name()}: {why}")
        else:
            shutil.rmtree(job.workdir)
    return failures


def _replay() -> list[Mutant]:
    spec = os.environ.get("CHIPDOCTOR_FUZZ_REPLAY")
    if not spec:
        return []
    kind, source, operator, seed = spec.split(":")
    return [Mutant(kind, source, operator, int(seed))]


@pytest.mark.parametrize("kind", ["snapshot", "matrix", "policy", "archive"])
def test_mutants_are_refused_or_judged(kind: str, tmp_path: Path) -> None:
    """No mutant crashes, hangs, runs out of memory, or turns a failing machine healthy."""
    replay = _replay()
    if replay and replay[0].kind != kind:
        pytest.skip("replaying a mutant of another kind")
    scratch = Path("/tmp/chipdoctor-fuzz-replay") if replay else tmp_path
    if replay:
        shutil.rmtree(scratch, ignore_errors=True)
    failures = fuzz(kind, replay or mutants(kind, MUTANTS, SEED), scratch)
    assert not failures, (
        f"{len(failures)} of the {kind} mutants failed (kind:input:operator:seed; replay one with "
        f"CHIPDOCTOR_FUZZ_REPLAY=<that> pytest tests/fuzz/test_fuzz.py, which leaves it in "
        f"/tmp/chipdoctor-fuzz-replay/mutants/0000):\n" + "\n".join(failures)
    )


def test_operators_are_named_and_seeded(tmp_path: Path) -> None:
    """The same name and seed give the same mutant, so a failure can be replayed."""
    mutant = mutants("snapshot", 1, SEED)[0]
    first = build(mutant, tmp_path / "a", tmp_path)
    assert build(mutant, tmp_path / "b", tmp_path)[:-1] == first[:-1]
    read = [
        sorted(
            (p.relative_to(tmp_path / d), p.read_bytes())
            for p in (tmp_path / d).rglob("*")
            if p.is_file()
        )
        for d in ("a", "b")
    ]
    assert first[-1].endswith("/snap") and read[0] == read[1]
