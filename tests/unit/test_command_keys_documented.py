"""Every command key a stack declares is listed in docs/contracts.md, which other tools read."""

from __future__ import annotations

from pathlib import Path

from chipdoctor.stacks import commands

CONTRACTS = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"


def test_every_command_key_is_in_the_contract() -> None:
    section = CONTRACTS.read_text(encoding="utf-8").split("### Command keys", 1)[1]
    section = section.split("\n## ", 1)[0]
    assert [key for key in commands() if f"`{key}`" not in section] == []
