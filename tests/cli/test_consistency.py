"""The commands agree with each other (issue 16): `--python` names an interpreter everywhere,
`--output -` is stdout as `--emit-dockerfile -` is, `fix --help` offers only what fix takes, a
misspelt command is corrected once, a stdout that cannot be written is bad output, not a bug."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS, chipdoctor_argv, cli_env, run_cli
from tests.planning import plan_json

HEALTHY = str(SNAPSHOTS / "rocm-healthy")


def _venv_with_torch(root: Path, version: str) -> Path:
    """A real virtualenv (no pip: fast) whose site-packages holds a torch distribution."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dist = Path(purelib) / f"torch-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n")
    return root


def _torch(report: dict[str, object]) -> list[str]:
    components = report["components"]
    assert isinstance(components, list)
    return [c["version"] for c in components if c["id"] == "torch"]


def test_fix_python_names_an_interpreter_as_check_does() -> None:
    result = run_cli("fix", "--python", sys.executable, "--stack", "cuda", "--format", "json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    (python,) = [c for c in plan["components"] if c["id"] == "python"]
    assert python["current"] == platform.python_version()


def test_the_python_pin_is_a_pin_and_the_old_spelling_warns_once() -> None:
    _, pinned = plan_json("--snapshot", HEALTHY, "--pin", "python=3.10")
    assert pinned["pins"] == [
        {"component": "python", "version": "3.10", "option": "--pin python=3.10"}
    ]
    old = run_cli("fix", "--snapshot", HEALTHY, "--python", "3.10", "--format", "json")
    assert old.returncode == 0
    (line,) = old.stderr.splitlines()
    assert "deprecated" in line and "--pin python=3.10" in line
    assert json.loads(old.stdout) == pinned


def test_the_old_interpreter_option_still_works_with_a_warning() -> None:
    result = run_cli("fix", "--interpreter", sys.executable, "--stack", "cuda", "--format", "json")
    assert result.returncode == 0
    assert result.stderr == "chipdoctor: warning: --interpreter is deprecated: write --python\n"


def test_fix_help_lists_only_the_formats_fix_takes() -> None:
    result = run_cli("fix", "--help", env={"COLUMNS": "200"})
    (line,) = [line for line in result.stdout.splitlines() if "--format" in line]
    assert "[table|json]" in line and "junit" not in line
    assert "--interpreter" not in result.stdout
    refused = run_cli("fix", "--snapshot", HEALTHY, "--format", "junit")
    assert refused.returncode == 2 and "junit" in refused.stderr


@pytest.mark.parametrize("fmt", ["json", "junit", "table"])
def test_output_dash_writes_the_format_alone_to_stdout(fmt: str) -> None:
    snapshot = str(SNAPSHOTS / "ascend-910b-healthy")
    alone = run_cli("check", "--snapshot", snapshot, "--format", fmt, "--output", "-")
    plain = run_cli("check", "--snapshot", snapshot, "--format", fmt)
    assert alone.returncode == plain.returncode == 0
    assert alone.stdout == plain.stdout  # the document, and no table after it
    assert not Path("-").exists()
    if fmt == "json":
        assert json.loads(alone.stdout)["format"] == "chipdoctor-report/1"


@pytest.mark.parametrize(
    ("argv", "suggestion"), [(["chek"], "check"), (["matrix", "shwo"], "show")]
)
def test_a_misspelt_command_is_corrected_once(argv: list[str], suggestion: str) -> None:
    result = run_cli(*argv)
    assert result.returncode == 2
    assert result.stderr.count("Did you mean") == 1
    assert f"Did you mean '{suggestion}'?" in result.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["matrix", "show", "cuda"],
        ["check", "--snapshot", HEALTHY, "--format", "json"],
        ["fix", "--snapshot", HEALTHY],
        ["--help"],
    ],
)
def test_a_full_stdout_is_cannot_write_exit_2(argv: list[str]) -> None:
    # The process boundary is the point: fd 1 is /dev/full, as `> /dev/full` makes it.
    with Path("/dev/full").open("w") as full:
        result = subprocess.run(
            [*chipdoctor_argv(), *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(),
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr == (
        "chipdoctor: error: cannot write to standard output: No space left on device\n"
    )


def test_check_python_takes_a_virtualenv_directory(tmp_path: Path) -> None:
    venv = _venv_with_torch(tmp_path / "venv", "2.4.1")
    by_dir = run_cli("check", "--python", str(venv), "--format", "json")
    by_file = run_cli("check", "--python", str(venv / "bin" / "python"), "--format", "json")
    assert by_dir.returncode == by_file.returncode == 0, by_dir.stderr
    assert _torch(json.loads(by_dir.stdout)) == _torch(json.loads(by_file.stdout)) == ["2.4.1"]
    recorded = run_cli("snapshot", str(tmp_path / "snap"), "--python", str(venv))
    assert recorded.returncode == 0, recorded.stderr
    from_snapshot = run_cli("check", "--snapshot", str(tmp_path / "snap"), "--format", "json")
    assert _torch(json.loads(from_snapshot.stdout)) == ["2.4.1"]


def test_a_directory_that_is_no_virtualenv_is_bad_input(tmp_path: Path) -> None:
    result = run_cli("check", "--python", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (
        f"chipdoctor: error: {tmp_path}: a directory without bin/python: "
        "not an interpreter or a virtualenv\n"
    )


def test_a_closed_pipe_ends_quietly_with_0() -> None:
    # `chipdoctor matrix show cuda | head -c 64`: the reader goes away before the table ends.
    child = subprocess.Popen(
        [*chipdoctor_argv(), "matrix", "show", "cuda"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    assert child.stdout is not None and child.stderr is not None
    with child.stderr:
        assert child.stdout.read(64)
        child.stdout.close()
        stderr = child.stderr.read()
    assert child.wait(timeout=60) == 0
    assert stderr == b""
