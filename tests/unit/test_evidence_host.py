"""The live-host evidence source: real files, real subprocesses, real timeouts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from chipdoctor.errors import BadInput
from chipdoctor.evidence.base import UnreadableError
from chipdoctor.evidence.host import HostEvidence, inspect_interpreter
from tests.conftest import FIXTURES, write_tool


def test_reads_files_under_root(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "os-release").write_text('ID=openEuler\nVERSION_ID="22.03"\n')
    host = HostEvidence(root=str(tmp_path), env={})
    assert host.read_text("/etc/os-release") is not None
    assert host.read_text("/etc/missing") is None
    assert host.read_text("/etc/os-release/below-a-file") is None
    assert host.list_dir("/etc") == ["os-release"]
    assert host.list_dir("/nope") is None
    assert host.platform.os_release["VERSION_ID"] == "22.03"


def test_platform_facts_are_what_the_platform_module_says() -> None:
    # read without importing platform (start-up, issue 16): the same values
    import platform

    from chipdoctor.evidence.pyinfo import python_version

    host = HostEvidence()
    libc, version = platform.libc_ver()
    assert (host.platform.system, host.platform.machine, host.platform.release) == (
        platform.system(),
        platform.machine(),
        platform.release(),
    )
    assert host.platform.glibc == (version if libc == "glibc" else "")
    assert host.host_name() == (platform.node() or None)
    assert python_version() == platform.python_version()


def test_which_finds_what_shutil_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from chipdoctor.evidence.host import which

    tool = write_tool(tmp_path / "bin", "tool", "exit 0\n")
    (tmp_path / "bin" / "plain").write_text("not executable\n")
    (tmp_path / "bin" / "folder").mkdir()
    search = os.pathsep.join([str(tmp_path / "none"), str(tmp_path / "bin"), str(tmp_path / "bin")])
    for name in ("tool", "plain", "folder", "absent", str(tool), "sh", ""):
        assert which(name, search) == shutil.which(name, path=search)
        assert which(name) == shutil.which(name)
    assert which("tool", "") is None
    monkeypatch.delenv("PATH")
    assert which("sh") == shutil.which("sh")


def test_directory_and_fifo_are_unreadable_not_hangs(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    host = HostEvidence(root=str(tmp_path), env={})
    with pytest.raises(UnreadableError, match="is a directory"):
        host.read_text("/dir")
    with pytest.raises(UnreadableError, match="not a regular file"):
        host.read_text("/fifo")


def test_binary_file_reads_as_replacement_text(tmp_path: Path) -> None:
    (tmp_path / "version.info").write_bytes(b"Version=\xff\xfe\x00garbage")
    text = HostEvidence(root=str(tmp_path), env={}).read_text("/version.info")
    assert text is not None and text.startswith("Version=")


def test_command_not_on_path_is_not_installed(tmp_path: Path) -> None:
    host = HostEvidence(root=str(tmp_path), env={"PATH": str(tmp_path / "empty")})
    if any(
        Path(d, "npu-smi").exists()
        for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin")
    ):
        pytest.skip("this machine has a real npu-smi")
    assert host.run("npu-smi info") is None


def test_command_output_and_exit_code(tool_dir: Path) -> None:
    write_tool(tool_dir, "npu-smi", 'echo "out $1"; echo err >&2; exit 3\n')
    result = HostEvidence(env={"PATH": str(tool_dir)}).run("npu-smi info")
    assert result is not None
    assert (result.exit, result.stdout, result.stderr) == (3, "out info\n", "err\n")
    assert not result.timed_out


def test_hanging_command_and_its_children_are_killed(tool_dir: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    write_tool(tool_dir, "npu-smi", f"sleep 60 & echo $! > {pid_file}; wait\n")
    host = HostEvidence(env={"PATH": f"{tool_dir}:/usr/bin:/bin"}, timeout=0.5)
    started = time.monotonic()
    result = host.run("npu-smi info")
    elapsed = time.monotonic() - started
    assert result is not None and result.timed_out and result.exit is None
    assert "timed out after 0.5 s" in result.error
    assert elapsed < 10
    child = int(pid_file.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the tool's child process survived the timeout")


def test_unregistered_command_key_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown command key"):
        HostEvidence(env={}).run("rm -rf /")


def test_inspects_another_interpreter(tmp_path: Path) -> None:
    import sys

    data = inspect_interpreter(sys.executable, timeout=60)
    assert data["version"] == ".".join(map(str, sys.version_info[:3]))
    packages = data["packages"]
    assert isinstance(packages, dict) and "pyyaml" in packages


def test_broken_interpreter_is_bad_input(tool_dir: Path) -> None:
    fake = write_tool(tool_dir, "python", "echo 'boom' >&2; exit 1\n")
    with pytest.raises(BadInput, match="cannot inspect this interpreter: boom"):
        inspect_interpreter(str(fake), timeout=10)
    with pytest.raises(BadInput, match="no such interpreter"):
        inspect_interpreter(str(tool_dir / "absent"), timeout=10)


def test_fixture_dir_exists() -> None:
    assert FIXTURES.is_dir()
