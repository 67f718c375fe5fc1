"""Data tests: the bundled matrices carry the releases the refresh brought in (TorchNPU 26.2.0,
CANN 9.2.0 with HDK 26.2.RC1, torch 2.13 + CUDA 12.9, torch 2.14 + ROCm 7.14)."""

from __future__ import annotations

from chipdoctor.matrix.load import load_matrices
from chipdoctor.matrix.model import INCOMPATIBLE

DATA = load_matrices()


def test_torchnpu_26_2_0_packages() -> None:
    ascend = DATA.get("ascend")
    (row,) = ascend.table("torch_npu").lookup("2.9.0.post9")
    assert (row.first("torch"), row.first("cann")) == ("2.9.0", "9.2.0")
    assert row.matches("python", "3.14.0") and not row.matches("python", "3.9.18")
    assert row.extra["generator"] == "pta-release-notes"
    for package in ("2.7.1.post11", "2.10.0.post7", "2.11.0.post3", "2.12.0.post3", "2.14.0"):
        rows = ascend.table("torch_npu_cann").lookup(package)
        assert any(r.matches("cann", "9.2.0") for r in rows), package


def test_cann_9_2_0_with_hdk_26_2_rc1() -> None:
    rows = DATA.get("ascend").table("cann_driver").lookup("9.2.0")
    ok = [r for r in rows if r.verdict != INCOMPATIBLE and r.matches("ascend_driver", "26.2.rc1")]
    assert ok and all(r.sources == ("gen-hiascend-cann-rn-9.2.0",) for r in ok)
    assert all(r.extra["generator"] == "hiascend-cann-release-notes" for r in rows)
    refused = [r for r in rows if r.verdict == INCOMPATIBLE]
    assert [r.values["ascend_driver"] for r in refused] == [("25.0.X", "25.2.X")]
    assert any(r.matches("ascend_driver", "25.3.rc1") for r in rows if r.verdict != INCOMPATIBLE)


def test_torch_2_13_has_a_cuda_12_9_wheel() -> None:
    rows = DATA.get("cuda").table("torch_cuda").lookup("2.13.0+cu129")
    assert "12.9" in {r.first("cuda") for r in rows}


def test_torch_2_14_has_rocm_7_14_wheels() -> None:
    (row,) = DATA.get("rocm").table("torch_rocm").lookup("2.14.0")
    assert row.values["rocm"] == ("7.2", "7.14")
    assert "test-infra-8498" in row.sources
