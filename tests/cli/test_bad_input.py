"""Bad input: one line naming the file (and line), exit 2, never a traceback; bugs exit 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS, run_cli


def assert_one_line_error(result_stderr: str, *parts: str) -> None:
    lines = result_stderr.strip().splitlines()
    assert len(lines) == 1, result_stderr
    assert "Traceback" not in result_stderr
    for part in parts:
        assert part in lines[0], lines[0]


def test_missing_snapshot_directory(tmp_path: Path) -> None:
    result = run_cli("check", "--snapshot", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, str(tmp_path / "nope"), "not a snapshot directory")


def test_snapshot_without_snapshot_yaml(tmp_path: Path) -> None:
    result = run_cli("check", "--snapshot", str(tmp_path))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, f"{tmp_path}/snapshot.yaml: no such file")


def test_malformed_snapshot_yaml_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "snapshot.yaml").write_text("format: chipdoctor-snapshot/1\nenv: [unclosed\n")
    result = run_cli("check", "--snapshot", str(tmp_path))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, f"{tmp_path}/snapshot.yaml:", "invalid YAML")


def test_binary_snapshot_yaml(tmp_path: Path) -> None:
    (tmp_path / "snapshot.yaml").write_bytes(b"\xff\xfe\x00\x01\x02")
    result = run_cli("check", "--snapshot", str(tmp_path))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, f"{tmp_path}/snapshot.yaml")


def test_bad_matrix_option_names_file_and_line(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        "format: chipdoctor-matrix/1\nstack: ascend\ntables:\n  t:\n    key: cann\n"
        "    rows:\n      - cann: 8.0\n        source: x\n"
    )
    result = run_cli(
        "check", "--matrix", str(site), "--snapshot", str(SNAPSHOTS / "no-accelerator")
    )
    assert result.returncode == 2
    assert_one_line_error(result.stderr, f"{site}:7:", "must be a quoted string")


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--format", "yaml"],
        ["check", "--timeout", "0"],
        ["check", "--no-such-option"],
        ["frobnicate"],
    ],
)
def test_bad_options_exit_2(args: list[str]) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_python_and_snapshot_together() -> None:
    result = run_cli(
        "check", "--python", "python3", "--snapshot", str(SNAPSHOTS / "no-accelerator")
    )
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "--python and --snapshot cannot be combined")


def test_snapshot_of_an_image_with_python_writes_nothing(tmp_path: Path) -> None:
    """An image's packages are the image's: --python has no meaning there."""
    target = tmp_path / "snap"
    result = run_cli("snapshot", str(target), "--image", "x:1", "--python", "/usr/bin/python3")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("--image cannot be combined with --python")
    assert not target.exists()


def test_python_that_does_not_exist(tmp_path: Path) -> None:
    result = run_cli("check", "--python", str(tmp_path / "python"))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "no such interpreter")


def test_python_of_another_interpreter(tmp_path: Path) -> None:
    import sys

    result = run_cli("check", "--python", sys.executable, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert '"id": "python"' in result.stdout


def test_symlink_loop_matrix_is_bad_input(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    result = run_cli("matrix", "lint", str(loop))
    assert result.returncode == 2
    assert result.stdout.startswith(f"{loop}: cannot read")


def test_a_bug_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No real bug can be produced on demand, so one is planted in the engine."""
    from chipdoctor import cli, engine

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("planted bug")

    monkeypatch.setattr(engine, "check", broken)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["check", "--snapshot", str(SNAPSHOTS / "no-accelerator")])
    assert stopped.value.code == 3
    err = capsys.readouterr().err
    assert_one_line_error(err, "internal error: RuntimeError: planted bug", "please report")
    with pytest.raises(SystemExit):
        cli.main(["--debug", "check", "--snapshot", str(SNAPSHOTS / "no-accelerator")])
    assert "Traceback" in capsys.readouterr().err


def test_matrix_lint_reports_file_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: chipdoctor-matrix/1\nstack: ascend\ntables: {}\n")
    result = run_cli("matrix", "lint", str(bad))
    assert result.returncode == 2
    assert result.stdout.strip() == f"{bad}:3: tables must be a mapping of table name to table"


def test_matrix_lint_escapes_a_file_name_for_the_terminal(tmp_path: Path) -> None:
    bad = tmp_path / "bad\x1b[2J.yaml"
    bad.write_text("format: chipdoctor-matrix/1\nstack: ascend\ntables: {}\n")
    result = run_cli("matrix", "lint", str(bad))
    assert result.returncode == 2
    assert "\x1b" not in result.stdout
    assert "bad\\x1b[2J.yaml:3: tables must be" in result.stdout


def test_matrix_lint_accepts_the_bundled_matrix() -> None:
    bundled = Path(__file__).resolve().parents[2] / "matrices" / "ascend.yaml"
    result = run_cli("matrix", "lint", str(bundled))
    assert result.returncode == 0
    assert result.stdout.startswith(f"{bundled}: ok (ascend: ")


def test_matrix_show_prints_rows_and_sources() -> None:
    result = run_cli("matrix", "show", "ascend", "--table", "torch_npu")
    assert result.returncode == 0
    assert "2.1.0.post10" in result.stdout
    assert "COMPATIBILITY" in result.stdout


def test_matrix_show_unknown_stack() -> None:
    result = run_cli("matrix", "show", "tpu")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "no matrix for stack 'tpu'")


def test_version_and_help() -> None:
    assert run_cli("--version").stdout.startswith("chipdoctor ")
    help_text = run_cli("--help").stdout
    assert "check" in help_text and "snapshot" in help_text and "matrix" in help_text


def test_an_error_quoting_hostile_input_stays_one_inert_line(tmp_path: Path) -> None:
    """A file name with a terminal escape and a line break, named in the error."""
    hostile = tmp_path / "snap\x1b]0;owned\x07\nchipdoctor: ok"
    hostile.mkdir()
    result = run_cli("check", "--snapshot", str(hostile))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "\x1b" not in result.stderr and "\\x1b]0;owned\\x07\\n" in result.stderr


def test_snapshot_names_a_hostile_directory_inertly(tmp_path: Path) -> None:
    """The success line quotes the user's directory and archive names: escaped, like an error's."""
    hostile = tmp_path / "node\x1b]0;owned\x07\nchipdoctor: ok"
    result = run_cli("snapshot", str(hostile), "--archive", str(tmp_path / "n\x1b[2J.tar.gz"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("\n") == 1
    assert "\x1b" not in result.stderr and "\\x1b]0;owned\\x07\\n" in result.stderr
    assert "n\\x1b[2J.tar.gz" in result.stderr


@pytest.mark.parametrize(
    "argv",
    [["check", "--python", "{long}"], ["check", "--snapshot", "{long}"], ["snapshot", "{long}"]],
)
def test_a_path_too_long_to_open_is_bad_input(argv: list[str], tmp_path: Path) -> None:
    long = str(tmp_path / ("a" * 5000))
    result = run_cli(*(arg.format(long=long) for arg in argv))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "file name too long")
    assert len(result.stderr) < 300
