"""Mutation fuzzing of `check --log`: the error output of the bug reports (the lines each
case's snapshot keeps in `log.txt`)
mutated byte- and line-wise, each run by `chipdoctor check --snapshot FIXTURE --log FILE` in a
forked child (tests/fuzz/harness.py: 500 MiB, a 5 s alarm). The run fails on a crash, a
timeout, a memory kill, an exit 3, a stderr that is not empty, a JSON report that does not
parse, and a quoted line that carries a control character. A failure names its operator and
seed; the same seed gives the same mutant (CHIPDOCTOR_FUZZ_SEED)."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS
from tests.fuzz.harness import CHECK, Job, run_jobs

pytestmark = pytest.mark.fuzz

MUTANTS = int(os.environ.get("CHIPDOCTOR_FUZZ_MUTANTS", "220")) // 2
SEED = int(os.environ.get("CHIPDOCTOR_FUZZ_SEED", "20261206"))
CASES = Path(__file__).resolve().parents[1] / "bugreports" / "cases"
#: Fixtures whose stacks the log's errors are judged against (each stack's rules read them).
FIXTURES = (
    "cuda-cpu-torch-on-gpu-host",
    "cuda-healthy",
    "musa-s4000-healthy",
    "ascend-910b-healthy",
)


def seeds() -> list[bytes]:
    return [
        line.encode()
        for log in sorted(CASES.glob("*/snapshot/log.txt"))
        for line in log.read_text(encoding="utf-8").splitlines()
    ]


Operator = Callable[[random.Random, bytes], bytes]


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _escapes(rng: random.Random, data: bytes) -> bytes:
    cut = rng.randrange(len(data) + 1)
    noise = rng.choice(
        [b"\x1b[31m", b"\x1b]0;x\x07", b"\x1b", b"\x9b2J", b"\x00", b"\r", "\u202e".encode()]
    )
    return data[:cut] + noise * rng.randint(1, 50) + data[cut:]


def _repeat(rng: random.Random, data: bytes) -> bytes:
    return (data + rng.choice([b"\n", b"", b"\r\n"])) * rng.randint(2, 20000)


def _endless(rng: random.Random, data: bytes) -> bytes:
    return b"x" * rng.randint(1, 6 << 20) + data


def _long_words(rng: random.Random, data: bytes) -> bytes:
    """Up to 2 MiB of lines that are one word each at the 2000-character cut (a base64 blob, a
    progress bar): a pattern that backtracks over a word is quadratic in it."""
    word = (rng.choice([b"x", b"lib", b"libatb", b"a-1."]) * 2000)[:2000]
    return (word + b"\n") * rng.randint(1, 1000) + data


def _binary(rng: random.Random, data: bytes) -> bytes:
    return rng.randbytes(rng.randint(0, 1 << 16)) + data + rng.randbytes(rng.randint(0, 4096))


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _splice(rng: random.Random, data: bytes) -> bytes:
    other = rng.choice(seeds())
    return data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1) :]


OPERATORS: dict[str, Operator] = {
    "flip": _flip,
    "escapes": _escapes,
    "repeat": _repeat,
    "endless": _endless,
    "long-words": _long_words,
    "binary": _binary,
    "truncate": _truncate,
    "splice": _splice,
}


def mutant(index: int) -> tuple[str, bytes]:
    rng = random.Random(SEED * 1000 + index)
    name = rng.choice(sorted(OPERATORS))
    data = rng.choice(seeds())
    return name, OPERATORS[name](rng, data)


def why(code: int | None, stdout: str, stderr: str) -> str | None:
    if code not in (0, 1):
        return f"exit {code}: {stderr[-400:]}"
    if stderr:
        return f"stderr: {stderr[-400:]}"
    report = json.loads(stdout)
    for finding in report["findings"]:
        if finding["id"].endswith("-crashed"):
            return f"{finding['id']}: {finding['message'][:300]}"
        if any(ord(c) < 0x20 for c in finding["message"]):
            return f"a control character in {finding['id']}'s message"
    return None


def test_log_mutants_are_judged(tmp_path: Path) -> None:
    jobs = []
    for index in range(MUTANTS):
        name, data = mutant(index)
        workdir = tmp_path / f"{index:04d}"
        workdir.mkdir()
        (workdir / "job.log").write_bytes(data)
        fixture = FIXTURES[index % len(FIXTURES)]
        argv = [*CHECK, "--snapshot", str(SNAPSHOTS / fixture), "--log", str(workdir / "job.log")]
        jobs.append(Job(argv, workdir, f"{name}:{SEED}:{index}:{fixture}"))
    run_jobs(jobs)
    failures = []
    for job in jobs:
        assert job.outcome is not None
        if job.outcome.signal is not None:
            failures.append(f"{job.label}: {job.outcome.describe()}")
            continue
        reason = why(job.outcome.code, job.outcome.stdout, job.outcome.stderr)
        if reason is not None:
            failures.append(f"{job.label}: {reason}")
    assert not failures, f"{len(failures)} log mutants failed:\n" + "\n".join(failures)


def test_mutants_are_seeded() -> None:
    assert mutant(7) == mutant(7)
    assert seeds(), "the bug-report cases keep log lines to start from"
