"""Atlas A3 hosts vs the TorchNPU release train: the 6.0.rc3-7.1.0 branch READMEs list no A3
product under 硬件配套, the 7.2.0 and 7.3.0 ones do."""

from __future__ import annotations

from chipdoctor.model import Device, Finding, Severity
from chipdoctor.stacks.ascend.rules import evaluate
from tests import planning


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
