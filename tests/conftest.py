"""Shared test helpers: the real console script, fixture paths, and tiny fake tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

#: The Docker Engine fixtures (docker_host, client, the stand-in images), one engine a session.
pytest_plugins = ("tests.docker_engine",)

FIXTURES = Path(__file__).parent / "fixtures"
SNAPSHOTS = FIXTURES / "snapshots"


@pytest.fixture(autouse=True, scope="session")
def _own_data_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The suite never reads or writes the user's updated data or config (docs/data.md)."""
    patch = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("xdg")
    patch.setenv("XDG_DATA_HOME", str(home / "data"))
    patch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    patch.delenv("CHIPDOCTOR_DATA_URL", raising=False)
    yield
    patch.undo()


def chipdoctor_argv() -> list[str]:
    """The installed console script; `python -m chipdoctor` only where it is not on PATH."""
    script = shutil.which("chipdoctor")
    return [script] if script else [sys.executable, "-m", "chipdoctor"]


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ASCEND_", "LANG", "LC_"))}
    base["NO_COLOR"] = "1"
    return subprocess.run(
        [*chipdoctor_argv(), *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def write_tool(directory: Path, name: str, script: str) -> Path:
    """An executable shell script standing in for a vendor tool on PATH."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def tool_dir(tmp_path: Path) -> Path:
    return tmp_path / "bin"
