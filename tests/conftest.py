"""Shared test helpers: the CLI in this process or as the real console script, fixture paths,
and tiny fake tools."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

#: The Docker Engine fixtures (docker_host, client, the stand-in images), one engine a session;
#: under CI=true, a skip for a tool CI installs is a failure (tests/ci_skips.py).
pytest_plugins = ("tests.docker_engine", "tests.ci_skips")

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


def cli_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a test's chipdoctor sees: no vendor or locale variables, no colour."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ASCEND_", "LANG", "LC_"))}
    base["NO_COLOR"] = "1"
    return {**base, **(env or {})}


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`chipdoctor ARGS` in this process: `chipdoctor.cli.main` with its own environment, working
    directory and streams, its exit code from SystemExit. For every test where the process
    boundary itself (signals, a closed or full stdout, a terminal, rlimits) is not what is tested;
    those use `run_cli_process`. No timeout: what could hang (a tool, the --deep child) is
    bounded by chipdoctor's own timeouts, which is what these tests see."""
    from chipdoctor.cli import main

    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    saved_streams = sys.stdout, sys.stderr
    out, err = _captured(), _captured()
    os.environ.clear()
    os.environ.update(cli_env(env))
    if cwd is not None:
        os.chdir(cwd)
    sys.stdout, sys.stderr = out, err
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdout, sys.stderr = saved_streams
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(["chipdoctor", *args], code, _text(out), _text(err))


def _captured() -> io.TextIOWrapper:
    """A stream like a pipe's: text over bytes (some writers use .buffer), never a terminal."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")


def _text(stream: io.TextIOWrapper) -> str:
    """What a text-mode subprocess.run would have read: universal newlines."""
    stream.flush()
    raw: bytes = stream.buffer.getvalue()  # type: ignore[attr-defined]
    return raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")


def run_cli_process(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """The real console script in a child process: for what only a process boundary shows
    (`stdin`: the text on its standard input)."""
    return subprocess.run(
        [*chipdoctor_argv(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=cli_env(env),
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
