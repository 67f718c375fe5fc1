"""Issue 11, item 2: output goes only to a regular file or a new one, even with `--force`;
an over-long name is bad input; `snapshot DIR --force` never writes through a link in DIR.
Real device nodes, FIFOs, sockets and links; run as root, /dev/null itself is tried."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS, run_cli

MISMATCH = str(SNAPSHOTS / "ascend-torch-mismatch")


def check_output(target: Path | str) -> tuple[int, str]:
    result = run_cli(
        "check", "--snapshot", MISMATCH, "--format", "json", "--output", str(target), "--force"
    )
    return result.returncode, result.stderr


def one_error_line(stderr: str) -> str:
    (line,) = stderr.strip().splitlines()[-1:]
    assert line.startswith("chipdoctor: error: ") and "Traceback" not in stderr
    return line


@pytest.mark.skipif(os.geteuid() != 0, reason="replacing /dev/null needs root to be possible")
def test_dev_null_is_never_replaced() -> None:
    code, stderr = check_output("/dev/null")
    assert code == 2
    assert "/dev/null: is a character device" in one_error_line(stderr)
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


@pytest.fixture
def device(tmp_path: Path) -> Iterator[Path]:
    """A real character device node (1, 3: the null device), made with mknod."""
    path = tmp_path / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("mknod needs CAP_MKNOD")
    yield path
    path.unlink()


def test_a_recipe_never_replaces_a_device(tmp_path: Path, device: Path) -> None:
    result = run_cli("fix", "--snapshot", MISMATCH, "--emit-dockerfile", str(device), "--force")
    assert result.returncode == 2
    assert f"{device}: is a character device" in one_error_line(result.stderr)
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # nothing written beside it


def test_a_fifo_is_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, stderr = check_output(fifo)
    assert code == 2 and "is a FIFO" in one_error_line(stderr)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_socket_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        code, stderr = check_output(path)
    finally:
        server.close()
    assert code == 2 and "is a socket" in one_error_line(stderr)
    assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_a_link_into_a_system_directory_is_never_followed_or_replaced(tmp_path: Path) -> None:
    link = tmp_path / "report.json"
    victim = Path("/etc/chipdoctor-hostile-output-test")
    assert not victim.exists()
    link.symlink_to(victim)
    code, stderr = check_output(link)
    assert code == 2 and "is a symbolic link" in one_error_line(stderr)
    assert link.is_symlink() and not victim.exists()


def test_an_over_long_name_is_bad_input(tmp_path: Path) -> None:
    code, stderr = check_output(tmp_path / ("a" * 256))
    assert code == 2
    assert "longer than 255 bytes" in one_error_line(stderr)


def test_a_regular_file_is_still_replaced_with_force(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    code, _ = check_output(target)
    assert code == 1 and target.read_text().startswith("{")


def test_snapshot_force_never_writes_through_planted_links(tmp_path: Path) -> None:
    directory = tmp_path / "snap"
    directory.mkdir()
    outside = tmp_path / "outside"
    (outside / "files").mkdir(parents=True)
    (outside / "commands").mkdir()
    keep = outside / "keep.yaml"
    keep.write_text("untouched\n")
    (directory / "snapshot.yaml").symlink_to(keep)
    (directory / "files").symlink_to(outside / "files")
    (directory / "commands").symlink_to(outside / "commands")
    result = run_cli("snapshot", str(directory), "--force")
    assert result.returncode == 0, result.stderr
    assert keep.read_text() == "untouched\n"
    assert list((outside / "files").iterdir()) == []
    assert list((outside / "commands").iterdir()) == []
    assert not (directory / "snapshot.yaml").is_symlink()
    assert (directory / "snapshot.yaml").read_text().startswith("format: chipdoctor-snapshot/")
    assert not (directory / "files").is_symlink() and (directory / "files").is_dir()
    assert [p.name for p in directory.iterdir() if p.name.startswith(".")] == []
