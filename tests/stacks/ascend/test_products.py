"""Host NPU products vs the TorchNPU release train (chipdoctor/stacks/ascend/products.py): the
6.0.rc3-7.1.0 branch READMEs list no A3 product under 硬件配套, the 7.2.0 and 7.3.0 ones do; the
7.3.0-26.1.0 installation guides mark the 310P and 310B inference cards not supported (x)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from chipdoctor.model import Device, Finding, Severity
from chipdoctor.stacks.ascend.rules import evaluate
from tests import planning
from tests.conftest import FIXTURES, run_cli


def _products(torch_npu: str, chip: str) -> list[Finding]:
    inv = planning.host("ascend", torch_npu=torch_npu, torch="2.6.0")
    inv.devices = [Device("ascend", 0, chip, "OK")]
    matrix = planning.fixed().get("ascend")
    return [f for f in evaluate(inv, matrix) if f.id == "ascend.torch_npu-product"]


def test_a3_under_a_7_1_0_torch_npu_is_a_warning() -> None:
    (finding,) = _products("2.6.0", "Ascend910")
    assert finding.severity is Severity.WARNING
    assert "v2.6.0-7.1.0" in finding.message and "Atlas A3" in finding.message
    assert "torch-npu==2.6.0.post" in finding.fix  # the 7.2.0 train's build of torch 2.6.0


def test_a3_under_a_7_2_0_torch_npu_and_a2_hosts_are_clean() -> None:
    assert _products("2.6.0.post3", "Ascend910") == []
    assert _products("2.6.0", "910B3") == []


def test_an_inference_card_under_a_train_whose_guide_marks_it_x_is_a_warning() -> None:
    # 310P3: the Atlas 300I Duo of tests/fixtures/npu_smi/310p3_duo_25.0.rc1.1.txt.
    (finding,) = _products("2.7.1.post4", "310P3")  # the 26.0.0 train
    assert finding.severity is Severity.WARNING
    assert "Atlas inference series (Ascend 310P)" in finding.message
    assert "v2.7.1-26.0.0" in finding.message
    assert "89d88d4560c996734712e9b5585c7745f21875d2" in finding.message  # its install guide
    assert "pip install" not in finding.fix  # no torch_npu lists it: the fix is the hardware
    assert "Atlas A2" in finding.fix


def test_a_310b_under_a_readme_train_is_judged_by_its_readme() -> None:
    # 310B4: tests/fixtures/npu_smi/310b4_23.0.0_alarm.txt.
    (finding,) = _products("2.5.1", "310B4")  # the 7.0.0 train
    assert "Atlas 200I/500 A2 inference products (Ascend 310B)" in finding.message
    assert "https://github.com/Ascend/pytorch/blob/v2.5.1-7.0.0/README.zh.md" in finding.message


def test_trains_that_state_nothing_and_listed_series_are_not_judged() -> None:
    assert _products("2.1.0.post6", "310P3") == []  # 6.0.rc2: no hardware section
    for torch_npu in ("2.1.0.post8", "2.6.0", "2.7.1.post4", "2.12.0"):
        assert _products(torch_npu, "910B3") == []  # Atlas A2: every train lists it
        assert _products(torch_npu, "910PremiumA") == []  # the Atlas training series


def test_a_real_310p_table_under_torch_npu_26_0_0_is_reported_through_check(
    tmp_path: Path,
) -> None:
    """The chip name comes from a real `npu-smi info` (vllm-ascend#1563, an Atlas 300I Duo)."""
    (tmp_path / "commands").mkdir()
    shutil.copy(FIXTURES / "npu_smi" / "310p3_duo_25.0.rc1.1.txt", tmp_path / "commands/npu.txt")
    (tmp_path / "snapshot.yaml").write_text(
        "format: chipdoctor-snapshot/1\nplatform: {system: Linux, machine: aarch64}\n"
        'python: {version: "3.10.14", packages: {torch: "2.7.1", torch-npu: "2.7.1.post4"}}\n'
        'commands:\n  "npu-smi info": {exit: 0, stdout: commands/npu.txt}\n'
    )
    report = json.loads(run_cli("check", "--snapshot", str(tmp_path), "--format", "json").stdout)
    (finding,) = [f for f in report["findings"] if f["id"] == "ascend.torch_npu-product"]
    assert finding["severity"] == "warning"
    assert "(310P3)" in finding["message"] and "v2.7.1-26.0.0" in finding["message"]
