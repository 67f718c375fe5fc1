"""`chipdoctor ops` end to end on the issue's model (conv2d + lgamma) and operator lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "ops"
SCHEMA = json.loads((ROOT / "chipdoctor" / "schemas" / "ops.schema.json").read_text())


def ops_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    done = run_cli("ops", *args, "--format", "json", env=env)
    assert done.stderr == "", done.stderr
    document = json.loads(done.stdout)
    jsonschema.validate(document, SCHEMA)
    return done.returncode, document


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {op["op"]: op["status"] for op in document["ops"]}


@pytest.mark.parametrize("model", ["model.pt2", "model-flat.pt2"])
def test_conv2d_native_through_its_decomposition_lgamma_falls_back(model: str) -> None:
    code, document = ops_json(str(FIXTURES / model), "--target", "torch_npu==2.5.1")
    assert code == 0
    assert document["target"] == {"stack": "ascend", "component": "torch_npu", "version": "2.5.1"}
    assert statuses(document) == {
        "aten::lgamma": "fallback",
        "aten::conv2d": "composite",
        "aten::convolution": "native",
    }
    assert document["coverage"] == 0.5
    assert document["ops"][0]["op"] == "aten::lgamma"  # worst first
    native = next(op for op in document["ops"] if op["op"] == "aten::convolution")
    assert "Ascend/op-plugin/blob/7b9ce1ce" in native["source"]  # TorchNPU 7.0.0's file


def test_fallback_disabled_makes_lgamma_an_error() -> None:
    env = {"TORCH_NPU_FALLBACK_CPU_DISABLE": "1"}
    code, document = ops_json(str(FIXTURES / "model.pt2"), "--target", "torch_npu==2.5.1", env=env)
    assert code == 1
    assert statuses(document)["aten::lgamma"] == "fallback"
    table = run_cli("ops", str(FIXTURES / "model.pt2"), "--target", "torch_npu==2.5.1", env=env)
    assert table.returncode == 1
    assert "TORCH_NPU_FALLBACK_CPU_DISABLE makes it an error" in table.stdout


def test_strict_fails_on_a_fallback() -> None:
    done = run_cli("ops", str(FIXTURES / "model.pt2"), "--target", "torch_npu==2.5.1", "--strict")
    assert done.returncode == 1


def test_the_trace_agrees_with_the_pt2() -> None:
    _, from_pt2 = ops_json(str(FIXTURES / "model.pt2"), "--target", "torch_npu==2.5.1")
    code, from_trace = ops_json(str(FIXTURES / "trace.json.gz"), "--target", "torch_npu==2.5.1")
    assert code == 0
    assert statuses(from_trace) == statuses(from_pt2)
    assert from_trace["coverage"] == from_pt2["coverage"]


def test_scaled_mm_native_from_26_1_0(tmp_path: Path) -> None:
    listed = tmp_path / "ops.txt"
    listed.write_text("aten::_scaled_mm\n")
    code, before = ops_json(str(listed), "--target", "torch_npu==2.7.1")
    assert code == 0
    assert before["ops"] == [
        {
            "op": "aten::_scaled_mm",
            "status": "fallback",
            "count": 1,
            "since": "torch_npu 2.7.1.post8 (TorchNPU 26.1.0)",
            "source": before["ops"][0]["source"],
        }
    ]
    assert "VariableFallbackKernel.cpp" in before["ops"][0]["source"]
    code, after = ops_json(str(listed), "--target", "torch_npu==2.7.1.post8")
    assert code == 0
    assert statuses(after) == {"aten::_scaled_mm": "native"}
    assert "Ascend/op-plugin/blob/09024aa9" in after["ops"][0]["source"]  # the 26.1.0 branch


def test_markdown(tmp_path: Path) -> None:
    done = run_cli(
        "ops", str(FIXTURES / "model.pt2"), "--target", "torch_npu==2.5.1", "--format", "markdown"
    )
    assert done.returncode == 0
    assert "| `aten::lgamma` | fallback | 1 |" in done.stdout


def test_the_installed_extension_is_the_default_target(tmp_path: Path) -> None:
    """A snapshot recording torch-npu 2.7.1.post8 judges against TorchNPU 26.1.0."""
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    (snapshot / "snapshot.yaml").write_text(
        "format: chipdoctor-snapshot/3\npython:\n  version: '3.10.12'\n"
        "  packages: {torch: '2.7.1', torch-npu: '2.7.1.post8'}\n"
    )
    listed = tmp_path / "ops.txt"
    listed.write_text("aten::_scaled_mm\n")
    code, document = ops_json(str(listed), "--snapshot", str(snapshot))
    assert code == 0
    assert document["target"]["version"] == "2.7.1.post8"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--target", "torch_npu==9.9.9"], "torch_npu 9.9.9 is not in the Ascend matrix"),
        (["--target", "torch_mlu==1.24.0"], "torch_mlu 1.24.0 has no operator file"),
        (["--target", "torch_npu"], "write COMPONENT==VERSION"),
        (["--target", "torch_npu==1.11.0"], "which has no operator file in the bundled data"),
    ],
)
def test_targets_without_data_are_bad_input(args: list[str], says: str) -> None:
    done = run_cli("ops", str(FIXTURES / "model.pt2"), *args)
    assert done.returncode == 2
    assert says in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_corrupt_archive_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "m.pt2"
    broken.write_bytes((FIXTURES / "model.pt2").read_bytes()[:2000])
    done = run_cli("ops", str(broken), "--target", "torch_npu==2.5.1")
    assert done.returncode == 2
    assert done.stderr.startswith("chipdoctor: error: ")
    assert len(done.stderr.splitlines()) == 1


def test_a_policy_env_switches_the_fallback_off(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text('env:\n  TORCH_NPU_FALLBACK_CPU_DISABLE: "1"\n')
    args = [str(FIXTURES / "model.pt2"), "--target", "torch_npu==2.5.1", "--policy", str(policy)]
    assert run_cli("ops", *args).returncode == 1
    policy.write_text('env:\n  TORCH_NPU_FALLBACK_CPU_DISABLE: "0"\n')
    assert run_cli("ops", *args).returncode == 0
    policy.write_text("fail_on_warnings: true\n")
    assert run_cli("ops", *args).returncode == 1
    policy.write_text("env: [1]\n")
    bad = run_cli("ops", *args)
    assert bad.returncode == 2
    assert "env is a mapping" in bad.stderr


def test_a_huge_operator_name_does_not_widen_every_row(tmp_path: Path) -> None:
    """A list naming one megabyte operator and 300 others: the table stays 300 short rows
    (it was 300 MB), the JSON keeps the name whole."""
    listed = tmp_path / "ops.txt"
    names = ["custom::" + "a" * 1_000_000, *(f"custom::op{i}" for i in range(300))]
    listed.write_text("\n".join(names) + "\n")
    table = run_cli("ops", str(listed), "--target", "torch_npu==2.5.1")
    assert table.returncode == 0, table.stderr
    assert len(table.stdout) < 100_000
    assert any(line.startswith("custom::aaa") and "…" in line for line in table.stdout.splitlines())
    code, document = ops_json(str(listed), "--target", "torch_npu==2.5.1")
    assert code == 0
    assert max(len(op["op"]) for op in document["ops"]) == len(names[0])


def test_names_torch_does_not_have_are_one_short_warning(tmp_path: Path) -> None:
    """Not `fallback`: listed apart (JSON `unknown`), out of the coverage; the table's warning
    line stays short however many and however long they are."""
    listed = tmp_path / "ops.txt"
    unknown = ["aten::" + "z" * 1_000_000, *(f"aten::nosuchop_{i}" for i in range(300))]
    listed.write_text("\n".join(["aten::lgamma", *unknown, "aten::nosuchop_0"]) + "\n")
    table = run_cli("ops", str(listed), "--target", "torch_npu==2.5.1")
    assert table.returncode == 0, table.stderr
    assert len(table.stdout) < 10_000
    warning = next(line for line in table.stdout.splitlines() if line.startswith("warning:"))
    assert "not ATen operators of torch" in warning and "aten::nosuchop_0 (2)" in warning
    assert warning.endswith("and 281 more")
    code, document = ops_json(str(listed), "--target", "torch_npu==2.5.1")
    assert code == 0
    assert statuses(document) == {"aten::lgamma": "fallback"}
    assert len(document["unknown"]) == 301
    assert {"op": "aten::nosuchop_0", "count": 2} in document["unknown"]
    assert run_cli("ops", str(listed), "--target", "torch_npu==2.5.1", "--strict").returncode == 1


def test_a_list_of_unknown_names_only_is_bad_input(tmp_path: Path) -> None:
    listed = tmp_path / "ops.txt"
    listed.write_text("aten::nosuchop_zz\n")
    done = run_cli("ops", str(listed), "--target", "torch_npu==2.5.1")
    assert done.returncode == 2
    assert done.stderr == (
        "chipdoctor: error: ops.txt: names no ATen operator torch has (aten::nosuchop_zz)\n"
    )


def test_a_snapshot_without_an_extension_says_so(tmp_path: Path) -> None:
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    (snapshot / "snapshot.yaml").write_text(
        "format: chipdoctor-snapshot/3\npython:\n  version: '3.10.12'\n"
        "  packages: {torch: '2.7.1'}\n"
    )
    done = run_cli("ops", str(FIXTURES / "model.pt2"), "--snapshot", str(snapshot))
    assert done.returncode == 2
    assert "no vendor extension is installed in this snapshot: name one with --target" in (
        done.stderr
    )


@pytest.mark.parametrize(
    ("script", "says"),
    [
        ("/dev/null", "/dev/null: not a script: is a character device, not a regular file"),
        (".", ".: not a script: is a directory, not a regular file"),
        ("absent.py", "absent.py: no such script"),
    ],
)
def test_a_run_script_that_is_no_file_says_what_it_is(script: str, says: str) -> None:
    done = run_cli("ops", "--run", script, "--target", "torch_npu==2.5.1")
    assert done.returncode == 2
    assert done.stderr == f"chipdoctor: error: {says}\n"
