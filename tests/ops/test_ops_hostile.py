"""Mutated models: every reader either reads them or says one line of bad input, never crashes.

Seeded mutants of the real fixtures: byte flips, truncations and insertions of the .pt2 and the
gzip trace, and structural mutations of the exported-program JSON (values swapped for other
JSON types, keys dropped, nesting deepened) packed back into a valid archive.
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from chipdoctor.errors import BadInput
from chipdoctor.ops.readers import read_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ops"
SEED = 20261206
MUTANTS = 150


def _bytes_mutant(data: bytes, rng: random.Random) -> bytes:
    buffer = bytearray(data)
    operator = rng.choice(("flip", "truncate", "insert", "zero"))
    at = rng.randrange(len(buffer))
    if operator == "flip":
        for _ in range(rng.randint(1, 8)):
            buffer[rng.randrange(len(buffer))] ^= 1 << rng.randrange(8)
    elif operator == "truncate":
        del buffer[at:]
    elif operator == "insert":
        buffer[at:at] = rng.randbytes(rng.randint(1, 64))
    else:
        buffer[at : at + 32] = bytes(min(32, len(buffer) - at))
    return bytes(buffer)


def _swap(value: Any, rng: random.Random, depth: int = 0) -> Any:
    if isinstance(value, dict) and value:
        key = rng.choice(list(value))
        if rng.random() < 0.2:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: _swap(value[key], rng, depth + 1)}
    if isinstance(value, list) and value:
        i = rng.randrange(len(value))
        return [*value[:i], _swap(value[i], rng, depth + 1), *value[i + 1 :]]
    return rng.choice(
        [None, 0, -1, 1e308, "", "torch.ops.aten..", "torch.ops.x.y.z", [], {}, [[[]]]]
    )


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _read(path: Path) -> Counter[Any] | str:
    try:
        return read_model(path)
    except BadInput as exc:
        message = str(exc)
        assert "\n" not in message
        return message


def _deflated() -> bytes:
    """model-flat.pt2 with its records deflated, as a zip writer may store them."""
    out = FIXTURES / "model-flat.pt2"
    buffer = io.BytesIO()
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy:
        for name in source.namelist():
            copy.writestr(name, source.read(name))
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["model.pt2", "model-flat.pt2", "deflated.pt2", "trace.json.gz"])
def test_byte_mutants(name: str, tmp_path: Path) -> None:
    if name == "deflated.pt2":
        original = _deflated()
        assert read_model(_write(tmp_path / name, original)) == read_model(
            FIXTURES / "model-flat.pt2"
        )
    else:
        original = (FIXTURES / name).read_bytes()
    rng = random.Random(f"{SEED}:{name}")
    for n in range(MUTANTS):
        path = tmp_path / f"{n}-{name}"
        path.write_bytes(_bytes_mutant(original, rng))
        _read(path)


def test_program_json_mutants(tmp_path: Path) -> None:
    with zipfile.ZipFile(FIXTURES / "model-flat.pt2") as archive:
        program = json.loads(archive.read("serialized_exported_program.json"))
    rng = random.Random(SEED)
    outcomes = set()
    for n in range(MUTANTS):
        mutant = program
        for _ in range(rng.randint(1, 4)):
            mutant = _swap(mutant, rng)
        path = tmp_path / f"{n}.pt2"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("serialized_exported_program.json", json.dumps(mutant))
        outcomes.add(type(_read(path)).__name__)
    assert outcomes == {"Counter", "str"}  # some mutants still read, some are refused
