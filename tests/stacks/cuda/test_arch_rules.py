"""A GPU the installed torch carries no kernels for: `check` names it and the nearest wheel that
does, and `fix` plans that same wheel (fixed test matrix)."""

from __future__ import annotations

from functools import partial

import pytest

from chipdoctor.matrix.model import Matrix
from chipdoctor.model import Device, Inventory, Severity
from chipdoctor.resolve.core import resolve
from chipdoctor.stacks.cuda import facts
from chipdoctor.stacks.cuda.archs import build_runs, published, runs
from chipdoctor.stacks.cuda.rules import evaluate
from tests import planning
from tests.planning import fixed

LIBRARY = "/venv/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so"


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return fixed().get("cuda")


def gpu_host(
    capability: str, name: str, read: tuple[str, str] | None = None, **versions: str
) -> Inventory:
    found = {f"{facts.FACT_CAPABILITY}0": capability}
    if read is not None:
        found |= {
            facts.FACT_TORCH_LIBRARY: LIBRARY,
            facts.FACT_TORCH_NATIVE: read[0],
            facts.FACT_TORCH_PORTABLE: read[1],
        }
    inv = planning.host("cuda", facts_=found)
    inv.components = planning.inventory("cuda", **versions).components
    inv.devices.append(Device("cuda", 0, name, "OK"))
    return inv


blackwell = partial(gpu_host, "12.0", "NVIDIA GeForce RTX 5090")


def _arch(inv: Inventory, matrix: Matrix) -> list:  # type: ignore[type-arg]
    return [f for f in evaluate(inv, matrix) if f.id == "cuda.torch-gpu-arch"]


def test_compatibility_rule() -> None:
    """NVIDIA's rule: same major and a minor <= the GPU's; an `a` cubin only on its own GPU;
    PTX for any GPU at least as new."""
    assert runs((8, 6), ("sm_80",), ())
    assert not runs((8, 0), ("sm_86",), ())
    assert not runs((9, 0), ("sm_80", "sm_86"), ())
    assert runs((12, 0), ("sm_90",), ("compute_90",))
    assert runs((9, 0), ("sm_90a",), ()) and not runs((10, 0), ("sm_90a",), ())
    assert not runs((7, 5), (), ("compute_80",))


def test_published_lists_and_the_toolkit_ceiling() -> None:
    assert published("2.6.0", "12.6") is not None
    assert published("2.7.1", "12.8") is None  # 2.8's list: not assumed for 2.7
    assert build_runs("2.9.1", "12.8", (12, 0)) is True
    assert build_runs("2.6.0", "12.6", (12, 0)) is False
    assert build_runs("2.5.1", "12.4", (12, 0)) is False  # CUDA 12.4 knows up to 9.0
    assert build_runs("2.5.1", "12.4", (8, 9)) is None  # no list: cannot tell
    assert build_runs("2.14.0", "13.0", (6, 1)) is False  # Pascal left the CUDA 13 lists


def test_published_lists_of_1x_releases() -> None:
    """pytorch/builder's lists when 1.7.1 and 1.8.1-1.10 were built: cu110 carries sm_80 (runs
    an RTX 3090, 8.6, by binary compatibility), cu101 of 1.7 stops at sm_75, cu102 of 1.10 at
    sm_70 (the 'sm_37 sm_50 sm_60 sm_70' PyTorch prints for it, WPFS#3)."""
    assert build_runs("1.7.1", "11.0", (8, 6)) is True
    assert build_runs("1.7.1", "10.1", (8, 6)) is False
    assert build_runs("1.7.1", "10.1", (7, 5)) is True
    assert build_runs("1.10.1", "10.2", (8, 0)) is False
    assert build_runs("1.10.1", "11.1", (8, 0)) is True
    listed = published("1.10.1", "10.2")
    assert listed is not None and listed.native == ("sm_37", "sm_50", "sm_60", "sm_70")
    assert published("1.12.1", "10.2") is None  # a later release: not assumed


def test_library_read_beats_the_published_list(matrix: Matrix) -> None:
    """What libtorch_cuda.so carries decides, even where the published list would pass."""
    inv = blackwell(
        ("sm_80 sm_90", ""),
        torch="2.9.1+cu128",
        nvidia_driver="580.65.06",
        cuda_driver_api="13.0",
    )
    (finding,) = _arch(inv, matrix)
    assert finding.severity is Severity.ERROR
    assert "carries kernels for sm_80 sm_90 only (read from " + LIBRARY in finding.message
    assert "no kernel image is available" in finding.message
    assert "sm_120 is not compatible" in finding.message


def test_a_build_that_carries_it_is_clean(matrix: Matrix) -> None:
    inv = blackwell(
        ("sm_75 sm_80 sm_86 sm_90 sm_100 sm_120", "compute_120"),
        torch="2.9.1+cu128",
        nvidia_driver="580.65.06",
        cuda_driver_api="13.0",
    )
    assert _arch(inv, matrix) == []


def test_ptx_runs_on_newer_gpus(matrix: Matrix) -> None:
    inv = gpu_host(
        "12.0", "X", ("sm_80", "compute_90"), torch="2.9.1+cu128", nvidia_driver="580.65.06"
    )
    assert _arch(inv, matrix) == []


@pytest.mark.parametrize(
    ("torch", "driver", "api"),
    [("2.6.0+cu126", "570.124.04", "12.8"), ("2.5.1+cu121", "590.48.01", "13.1")],
)
def test_check_and_fix_name_the_same_wheel(
    matrix: Matrix, torch: str, driver: str, api: str
) -> None:
    inv = blackwell(None, torch=torch, nvidia_driver=driver, cuda_driver_api=api)
    (finding,) = _arch(inv, matrix)
    resolution = resolve(inv, fixed())
    target = resolution.target["torch"]
    _, _, tag = target.partition("+")
    assert f"torch=={target} " in finding.fix
    assert f"--index-url https://download.pytorch.org/whl/{tag}" in finding.fix
    assert (
        _arch(blackwell(None, torch=target, nvidia_driver=driver, cuda_driver_api=api), matrix)
        == []
    )


def test_an_old_gpu_on_a_cuda_13_build(matrix: Matrix) -> None:
    """Pascal (6.1) left PyTorch's CUDA 13 lists (7.5 and up): the cu126 build of the same
    release still carries sm_60, which runs on 6.1."""
    inv = gpu_host(
        "6.1",
        "NVIDIA GeForce GTX 1080 Ti",
        torch="2.14.0+cu130",
        nvidia_driver="580.65.06",
        cuda_driver_api="13.0",
    )
    (finding,) = _arch(inv, matrix)
    assert "whl/cu126" in finding.fix and "torch==2.14.0+cu126 " in finding.fix


def test_no_capability_no_verdict(matrix: Matrix) -> None:
    inv = planning.host("cuda", torch="2.6.0+cu126", nvidia_driver="570.124.04")
    assert _arch(inv, matrix) == []


def test_an_unknown_driver_constrains_nothing(matrix: Matrix) -> None:
    """No driver recorded (a report that pasted only the GPU): the newest wheel that carries
    the architecture, the same one `fix` plans."""
    inv = blackwell(None, torch="2.6.0+cu126")
    (finding,) = _arch(inv, matrix)
    target = resolve(inv, fixed()).target["torch"]
    _, _, tag = target.partition("+")
    assert f"torch=={target} --index-url https://download.pytorch.org/whl/{tag}" in finding.fix
