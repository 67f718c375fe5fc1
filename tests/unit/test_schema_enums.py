"""The JSON schemas' stack and component enums follow the stack registry (scripts/schemas.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "schemas.py"


def _check(schemas: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--schemas", str(schemas)] if schemas is not None else []
    return subprocess.run(
        [sys.executable, str(SCRIPT), "check", *extra],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_shipped_schemas_match_the_registry() -> None:
    result = _check()
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_stack_missing_from_a_schema_is_drift(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "chipdoctor" / "schemas", tmp_path, dirs_exist_ok=True)
    report = tmp_path / "report.schema.json"
    schema = json.loads(report.read_text(encoding="utf-8"))
    schema["properties"]["stacks"]["items"]["enum"].remove("cuda")
    report.write_text(json.dumps(schema), encoding="utf-8")
    result = _check(tmp_path)
    assert result.returncode == 1
    assert "report.schema.json" in result.stdout
