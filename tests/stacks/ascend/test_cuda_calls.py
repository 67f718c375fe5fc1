"""`ascend.torch-int-device`: "Torch not compiled with CUDA enabled" in the log of an NPU job,
under a torch before 2.5.1 (Ascend/pytorch#16, LlamaFactory#7986)."""

from __future__ import annotations

from chipdoctor.model import Finding, Severity, Symptom
from chipdoctor.stacks.ascend.rules import evaluate
from chipdoctor.symptoms.kinds import TORCH_CUDA_CALL
from tests import planning

LINE = "AssertionError: Torch not compiled with CUDA enabled"


def _found(torch: str, *, logged: bool = True) -> list[Finding]:
    inv = planning.host("ascend", torch_npu=torch, torch=torch)
    if logged:
        inv.symptoms.append(Symptom(TORCH_CUDA_CALL, (), 7, LINE))
    matrix = planning.fixed().get("ascend")
    return [f for f in evaluate(inv, matrix) if f.id == "ascend.torch-int-device"]


def test_before_2_5_1_the_integer_device_is_the_cause() -> None:
    (finding,) = _found("2.2.0")
    assert finding.severity is Severity.ERROR
    assert finding.components == ("torch", "torch_npu")
    assert "line 7" in finding.message and "Ascend/pytorch/issues/16" in finding.message
    assert "chipdoctor fix --pin torch_npu=2.5.1" in finding.fix


def test_from_2_5_1_or_without_the_log_it_is_not() -> None:
    assert _found("2.5.1") == []
    assert _found("2.6.0") == []
    assert _found("2.2.0", logged=False) == []
