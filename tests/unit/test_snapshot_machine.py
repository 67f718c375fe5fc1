"""A snapshot's `platform.machine` reaches printed install steps (`…_linux-{arch}.run`) and
recipes: anything but a machine name is bad input, one line naming the file and line."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli


def _snapshot(tmp_path: Path, machine: str) -> Path:
    (tmp_path / "snapshot.yaml").write_text(
        "format: chipdoctor-snapshot/3\n"
        f"platform: {{system: Linux, machine: {machine!r}}}\n"
        'python:\n  packages: {torch: "2.5.1", torch-npu: "2.5.1"}\n'
    )
    return tmp_path


def test_a_machine_name_is_judged(tmp_path: Path) -> None:
    assert run_cli("check", "--snapshot", str(_snapshot(tmp_path, "aarch64"))).returncode == 1


def test_shell_text_for_a_machine_is_refused(tmp_path: Path) -> None:
    result = run_cli("check", "--snapshot", str(_snapshot(tmp_path, "x86_64; rm -rf ~")))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "snapshot.yaml:2" in result.stderr and "is not a machine name" in result.stderr
