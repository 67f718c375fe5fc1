"""`chipdoctor check --snapshot … --log FILE` end to end on the fixture snapshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from tests.cli.test_scenarios import REPORT_SCHEMA
from tests.conftest import SNAPSHOTS, run_cli, run_cli_process

NOT_CUDA = "AssertionError: Torch not compiled with CUDA enabled"
NO_MCCL = "ImportError: libmccl.so.2: cannot open shared object file: No such file or directory"


def check(snapshot: str, log: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(
        "check",
        "--snapshot",
        str(SNAPSHOTS / snapshot),
        "--log",
        str(log),
        "--format",
        "json",
        *extra,
    )
    assert result.stderr == "", result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(report, REPORT_SCHEMA)
    return result.returncode, report


def findings(report: dict[str, Any], finding_id: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["id"] == finding_id]


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "job.log"
    path.write_text("\n".join(["Traceback (most recent call last):", *lines, ""]))
    return path


def test_the_log_supports_the_finding_that_names_its_cause(tmp_path: Path) -> None:
    code, report = check("cuda-cpu-torch-on-gpu-host", write(tmp_path, NOT_CUDA))
    assert code == 1
    [finding] = findings(report, "cuda.torch-cpu-build")
    assert f"as the log shows at line 2: '{NOT_CUDA}'" in finding["message"]
    assert not findings(report, "host.log-symptom")  # explained: no second finding


def test_the_log_stands_in_for_what_the_snapshot_could_not_record(tmp_path: Path) -> None:
    code, report = check("musa-s4000-healthy", write(tmp_path, "x", NO_MCCL))
    assert code == 1
    [finding] = findings(report, "musa.mccl-missing")
    assert finding["severity"] == "error" and "line 3" in finding["message"]
    assert "MUSA SDK" in finding["fix"]


def test_machine_facts_that_contradict_the_log_are_a_warning_that_says_so(
    tmp_path: Path,
) -> None:
    code, report = check("cuda-healthy", write(tmp_path, NOT_CUDA))
    assert code == 0
    assert not findings(report, "cuda.torch-cpu-build")
    [warning] = findings(report, "host.log-symptom")
    assert warning["severity"] == "warning"
    assert "torch 2.7.1+cu126 here is built for CUDA 12.6" in warning["message"]
    assert "another machine or environment" in warning["message"]


def test_a_rocm_torch_contradicts_the_log_too(tmp_path: Path) -> None:
    """A ROCm build answers through torch.cuda: it never says it was not compiled with CUDA."""
    code, report = check("rocm-healthy", write(tmp_path, NOT_CUDA))
    assert code == 0
    [warning] = findings(report, "host.log-symptom")
    assert "torch 2.9.1+rocm7.2.0.git7e1940d4 here is a ROCm build" in warning["message"]
    assert not findings(report, "rocm.torch-not-rocm")


def test_an_error_no_finding_explains_is_reported_with_its_likely_cause(tmp_path: Path) -> None:
    code, report = check(
        "no-accelerator",
        write(tmp_path, "ImportError: libfoo.so.1: cannot open shared object file"),
    )
    assert code == 0
    [warning] = findings(report, "host.log-symptom")
    assert "line 2" in warning["message"] and "libfoo.so.1" in warning["message"]
    assert "ldconfig -p | grep libfoo.so.1" in warning["fix"]


def test_a_log_without_a_known_error_changes_nothing(tmp_path: Path) -> None:
    log = write(tmp_path, "epoch 3: loss 0.12")
    with_log = check("cuda-healthy", log)
    without = run_cli("check", "--snapshot", str(SNAPSHOTS / "cuda-healthy"), "--format", "json")
    assert with_log == (without.returncode, json.loads(without.stdout))


def test_the_table_quotes_the_line_without_escapes(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    log.write_bytes(b"\x1b[31m" + NO_MCCL.encode() + b"\x1b[0m\n")
    result = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / "musa-s4000-healthy"), "--log", str(log)
    )
    assert result.returncode == 1
    assert "\x1b" not in result.stdout
    assert "libmccl.so.2: cannot open shared object file" in " ".join(result.stdout.split())


def test_standard_input(tmp_path: Path) -> None:
    result = run_cli_process(
        "check",
        *("--snapshot", str(SNAPSHOTS / "musa-s4000-healthy"), "--log", "-", "--format", "json"),
        stdin=NO_MCCL + "\n",
    )
    assert result.returncode == 1, result.stderr
    assert findings(json.loads(result.stdout), "musa.mccl-missing")


def test_a_missing_log_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    result = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / "no-accelerator"), "--log", str(missing)
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == f"chipdoctor: error: {missing}: cannot read the log: No such file or directory\n"
    )
    assert result.stdout == ""


def test_help_names_the_option() -> None:
    result = run_cli("check", "--help")
    assert result.returncode == 0 and "--log FILE|-" in result.stdout


def test_fix_weighs_the_log_as_check_does(tmp_path: Path) -> None:
    """`fix --log` lists the findings the log supports with their fixes (`also`), exactly as
    `check --log` reports them: here a plain torch 2.0.1 on a host of no recorded platform, which
    only the log shows to be a CPU build (bug report internlm-430)."""
    snapshot = tmp_path / "snap"
    (snapshot / "commands").mkdir(parents=True)
    (snapshot / "commands" / "cap.txt").write_text("0, NVIDIA GeForce RTX 2080 Ti, 7.5\n")
    (snapshot / "commands" / "cap.err").write_text("")
    (snapshot / "snapshot.yaml").write_text(
        "format: chipdoctor-snapshot/3\n"
        'python:\n  packages: {torch: "2.0.1"}\n'
        "commands:\n"
        '  "nvidia-smi --query-gpu=index,name,compute_cap --format=csv,noheader":\n'
        "    {exit: 0, stdout: commands/cap.txt, stderr: commands/cap.err}\n"
    )
    log = write(tmp_path, NOT_CUDA)
    argv = ("--snapshot", str(snapshot), "--log", str(log), "--format", "json")
    plan = json.loads(run_cli("fix", *argv).stdout)
    report = json.loads(run_cli("check", *argv).stdout)
    [also] = [f for f in plan["also"] if f["id"] == "cuda.torch-cpu-build"]
    [checked] = findings(report, "cuda.torch-cpu-build")
    assert "as the log shows at line 2" in also["message"]
    assert also["fix"] == checked["fix"] and "torch==2.0.1+cu118" in also["fix"]
    without = json.loads(run_cli("fix", *argv[:2], "--format", "json").stdout)
    assert not [f for f in without["also"] if f["id"] == "cuda.torch-cpu-build"]
