"""xformers/cpp_lib.json as xFormers writes it (tests/fixtures/xformers_cpp_lib/SOURCES.md),
and hostile contents read as "cannot tell", never an exception."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from chipdoctor.parsers.xformers_build import MAX_BYTES, XformersBuild, parse_cpp_lib_json

FIXTURES = Path(__file__).parents[1] / "fixtures" / "xformers_cpp_lib"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a1111-11395_torch-2.0.0-cu118.json", XformersBuild("2.0.0+cu118", 1108, None, "3.10.10")),
        ("xformers-971_0.0.23.post1.json", XformersBuild("2.1.2+cu121", 1201, None, "3.9.13")),
        ("xformers-1250_0.0.29.json", XformersBuild("2.6.0+cu118", 1107, None, "3.10.17")),
    ],
)
def test_published_records(name: str, expected: XformersBuild) -> None:
    assert parse_cpp_lib_json((FIXTURES / name).read_text()) == expected


def test_a_build_without_cuda_and_a_rocm_build() -> None:
    cpu = {"version": {"cuda": None, "torch": "2.1.2+cpu", "python": "3.10.8"}, "env": {}}
    assert parse_cpp_lib_json(json.dumps(cpu)) == XformersBuild("2.1.2+cpu", None, None, "3.10.8")
    rocm = {"version": {"cuda": None, "hip": "6.1.40091-a8dbc0c19", "torch": "2.4.1+rocm6.1"}}
    assert parse_cpp_lib_json(json.dumps(rocm)) == XformersBuild(
        "2.4.1+rocm6.1", None, "6.1.40091-a8dbc0c19"
    )


@pytest.mark.parametrize("python", ["3.12.0+", "3.10; rm -rf /", 310, None])
def test_a_python_that_is_not_a_version_is_left_out(python: object) -> None:
    """Only the torch and CUDA are judged: the record stands without its Python."""
    record = {"version": {"torch": "2.1.2+cu121", "cuda": 1201, "python": python}}
    assert parse_cpp_lib_json(json.dumps(record)) == XformersBuild("2.1.2+cu121", 1201)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        "null",
        '{"version": []}',
        '{"version": {"cuda": 1201}}',  # no torch
        '{"version": {"torch": 212, "cuda": 1201}}',
        '{"version": {"torch": "2.1.2+cu121", "cuda": true}}',  # a bool is not nvcc's release
        '{"version": {"torch": "2.1.2+cu121", "cuda": "1201"}}',
        '{"version": {"torch": "2.1.2+cu121", "cuda": 12.1}}',
        '{"version": {"torch": "2.1.2+cu121", "cuda": -1}}',
        '{"version": {"torch": "2.1.2+cu121", "cuda": 1e999}}',
        '{"version": {"torch": "2.1.2+cu121", "cuda": NaN}}',
        '{"version": {"torch": "2.1.2 --index-url http://evil/", "cuda": 1201}}',
        '{"version": {"torch": "$(touch x)", "cuda": 1201}}',
        '{"version": {"torch": "2.1.2+cu121\\n\\u001b[2J", "cuda": 1201}}',
        '{"version": {"torch": "2.1.2+cu121", "cuda": 1201, "hip": ["6.1"]}}',
        json.dumps({"version": {"torch": "2." + "1" * 100, "cuda": 1201}}),
        "[" * 100_000 + "]" * 100_000,  # deeper than the parser recurses
        '{"version": {"torch": "2.1.2", "cuda": ' + "9" * 5000 + "}}",  # past int's digit limit
        '{"version": {"torch": "2.1.2", "cuda": 1201}, "pad": "' + "x" * MAX_BYTES + '"}',
        "\ufeff\x00\udcff",
    ],
)
def test_hostile_records_cannot_tell(text: str) -> None:
    assert parse_cpp_lib_json(text) is None


def test_mutated_records_never_raise() -> None:
    """Seeded byte mutations of each published record: a record or None, never an exception,
    and whatever is read is a version a pip line can hold."""
    rng = random.Random(20261206)
    for path in sorted(FIXTURES.glob("*.json")):
        data = path.read_bytes()
        for _ in range(400):
            mutant = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(len(mutant))
                mutant[at : at + rng.randint(0, 3)] = bytes(
                    rng.choice(b'{}[]":,0123456789.+-$; \\\x00\xff')
                    for _ in range(rng.randint(0, 3))
                )
            found = parse_cpp_lib_json(mutant.decode("utf-8", "replace"))
            assert found is None or all(c.isalnum() or c in ".+-_" for c in found.torch)
