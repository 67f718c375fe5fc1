"""`chipdoctor fix` through the real console script: plans, their JSON contract, conflicts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import SNAPSHOTS, run_cli
from tests.planning import plan_json, targets


def test_torch_mismatch_plan_is_one_pip_line() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"))
    assert plan["status"] == "change"
    changed = [
        (c["id"], c["current"], c["target"], c["action"])
        for c in plan["components"]
        if c["action"] != "keep"
    ]
    assert changed == [("torch", "2.4.0", "2.5.1", "upgrade")]
    assert [s["kind"] for s in plan["steps"]] == ["pip", "verify"]
    assert plan["steps"][0]["commands"] == [
        "pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cpu"
    ]


def test_cann_newer_than_driver_installs_the_older_toolkit_packages() -> None:
    _, plan = plan_json(
        "--snapshot", str(SNAPSHOTS / "ascend-cann-newer-than-driver"), "--chip", "910b"
    )
    actions = {c["id"]: c["action"] for c in plan["components"]}
    assert actions["ascend_driver"] == "keep"
    assert actions["cann"] == "downgrade"
    (toolkit,) = [s for s in plan["steps"] if s["kind"] == "toolkit"]
    assert toolkit["commands"][:2] == [
        "bash ./Ascend-cann-toolkit_8.2.RC1_linux-aarch64.run --install --quiet",
        "bash ./Ascend-cann-kernels-910b_8.2.RC1_linux-aarch64.run --install --quiet",
    ]
    assert toolkit["commands"][-1] == "source /usr/local/Ascend/ascend-toolkit/set_env.sh"


def test_a_driver_change_is_asked_of_the_administrator() -> None:
    _, plan = plan_json(
        "--snapshot", str(SNAPSHOTS / "ascend-cann-newer-than-driver"), "--cann", "9.0.0"
    )
    (admin,) = [s for s in plan["steps"] if s["kind"] == "admin"]
    driver = targets(plan)["ascend_driver"]
    assert f"Ascend HDK NPU driver {driver}" in admin["title"]
    assert admin["commands"][0] == f"Ascend-hdk-<chip>-npu-driver_{driver}_linux-aarch64.run"
    assert plan["steps"][0]["kind"] == "admin"  # the driver comes first


def test_environment_problems_are_listed_beside_an_unchanged_stack() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "ascend-env-not-sourced"))
    assert all(c["action"] == "keep" for c in plan["components"])
    assert {f["id"] for f in plan["also"]} == {"ascend.env-not-sourced", "ascend.nnal-not-sourced"}


def test_older_torch_npu_comes_from_the_release_page() -> None:
    _, plan = plan_json(
        "--snapshot", str(SNAPSHOTS / "ascend-910b-healthy"), "--pin", "torch_npu=2.1.0.post3"
    )
    (step,) = [s for s in plan["steps"] if s["title"].startswith("Install torch-npu")]
    assert (
        "not on a package index" in step["title"]
        and "gitcode.com/Ascend/pytorch/releases" in step["title"]
    )
    # 2.1.0.post3 pairs with CANN 8.0.RC1 and lists Python 3.8-3.10: its cp310 wheel.
    assert targets(plan)["python"] == "3.10"
    assert [s["kind"] for s in plan["steps"]] == ["toolkit", "python", "pip", "pip", "verify"]
    assert step["commands"] == ["pip install ./torch_npu-2.1.0.post3-cp310-cp310-*.whl"]


def test_conflicting_pins_exit_1_and_name_each_other() -> None:
    code, plan = plan_json(
        "--snapshot", str(SNAPSHOTS / "ascend-910b-healthy"), "--torch", "2.4", "--cann", "9.0"
    )
    assert code == 1
    assert plan["status"] == "conflict"
    (conflict,) = plan["conflicts"]
    assert conflict["pins"] == ["--torch 2.4", "--cann 9.0"]
    assert plan["steps"] == []


def test_keep_driver_conflict_names_the_installed_driver() -> None:
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "ascend-cann-newer-than-driver"),
        "--cann",
        "9.0.0",
        "--keep-driver",
    )
    assert result.returncode == 1
    assert "--cann 9.0.0 conflicts with the installed driver 24.1.rc2.2" in " ".join(
        result.stdout.split()
    )


def test_table_output_shows_current_target_and_steps() -> None:
    result = run_cli("fix", "--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"))
    assert result.returncode == 0
    assert "torch_npu 2.5.1.post1 requires torch 2.5.1" in " ".join(result.stdout.split())
    assert "1. [pip] Install torch 2.5.1" in result.stdout
    assert "\x1b[" not in result.stdout


def test_no_accelerator_needs_a_stack(tmp_path: Path) -> None:
    result = run_cli("fix", "--snapshot", str(SNAPSHOTS / "no-accelerator"))
    assert result.returncode == 2
    assert result.stderr.startswith("chipdoctor: error: no accelerator stack found")
    # its torch 2.13.0+cpu may be newer than the bundled Ascend data knows (rules.data): the
    # plan then needs --allow-downgrade
    code, plan = plan_json(
        "--snapshot", str(SNAPSHOTS / "no-accelerator"), "--stack", "ascend", "--allow-downgrade"
    )
    assert code == 0 and targets(plan)["cann"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--pin", "nonsense=1"), "'nonsense' is not a component id"),
        (("--torch", "x.y"), "--torch x.y"),
        (("--build",), "--build needs --emit-dockerfile PATH"),
        (("--tag", "t"), "--tag only applies to --build"),
        (("--stack", "tpu"), "--stack tpu: not a stack chipdoctor knows (ascend"),
        (("--stack", "rocm", "--chip", "910b"), "--chip names an Ascend NPU series"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run_cli("fix", "--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"), *args)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_the_plan_speaks_chinese_with_lang_zh() -> None:
    """Reasons, steps and conflicts come from the catalog; versions and commands stay as-is."""
    result = run_cli("fix", "--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"), "--lang", "zh")
    text = " ".join(result.stdout.split())
    assert result.returncode == 0
    assert "torch_npu 2.5.1.post1 需要 torch 2.5.1" in text
    assert "1. [pip] 安装 torch 2.5.1（torch_npu 所依赖的 CPU 版本）" in text
    assert "pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cpu" in text
    conflict = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "ascend-910b-healthy"),
        "--lang",
        "zh",
        "--torch",
        "2.4",
        "--cann",
        "9.0",
    )
    assert conflict.returncode == 1
    assert "--torch 2.4 与 --cann 9.0 冲突：在 --cann 9.0 下，torch 可以是" in " ".join(
        conflict.stdout.split()
    )


def test_the_plan_table_shows_hostile_evidence_escaped(tmp_path: Path) -> None:
    """A version from a snapshot with a terminal escape or rich markup in it is printed as
    text: no escape reaches the terminal, no markup is interpreted."""
    snap = tmp_path / "snap"
    shutil.copytree(SNAPSHOTS / "cuda-torch-too-new-for-driver", snap)
    doc = yaml.safe_load((snap / "snapshot.yaml").read_text())
    doc["python"]["packages"]["torch"] = "2.7.1+cu126\x1b]0;owned\x07[bold red]X[/]"
    (snap / "snapshot.yaml").write_text(yaml.safe_dump(doc))
    result = run_cli("fix", "--snapshot", str(snap), env={"COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "2.7.1+cu126\\x1b]0;owned\\x07[bold red]X[/] │ → │ 2.7.1+cu118" in result.stdout
