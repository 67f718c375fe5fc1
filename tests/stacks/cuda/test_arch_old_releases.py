"""torch 1.0-1.6: the arch lists of their Linux wheels, and a plain version (no `+cuXY`, no
platform, no version.py) judged where every CUDA variant of its release lacks the GPU, with
`check`'s fix and `fix`'s plan naming the same older wheel (a fixed test matrix with a small
site overlay of test rows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chipdoctor.matrix.model import MatrixSet
from chipdoctor.model import (
    FACT_TORCH_BUILD_SOURCE,
    FACT_TORCH_CUDA,
    FACT_TORCH_DEFAULT_BUILD,
    Device,
    Finding,
    Inventory,
    Severity,
)
from chipdoctor.resolve.core import resolve
from chipdoctor.stacks.cuda import facts
from chipdoctor.stacks.cuda.archs import VARIANTS, build_runs, published, release_lacks
from chipdoctor.stacks.cuda.rules import evaluate
from chipdoctor.versions import PEP440
from tests import planning
from tests.planning import fixed

#: Test rows: the tagged (+cuXY) variants of two old releases, as a site file lays them over
#: the frozen test matrix.
SITE = """\
format: chipdoctor-matrix/1
stack: cuda
updated: "2026-12-06"
sources:
  test-old:
    title: "test rows"
    url: "https://example.invalid/test-old"
    retrieved: "2026-12-06"
tables:
  torch_cuda:
    key: torch
    description: "test"
    rows:
      - {torch: ["1.4.0"], cuda: "9.2", source: "test-old"}
      - {torch: ["1.2.0"], cuda: "9.2", source: "test-old"}
"""


@pytest.fixture(scope="module")
def matrices(tmp_path_factory: pytest.TempPathFactory) -> MatrixSet:
    site = tmp_path_factory.mktemp("site") / "cuda.yaml"
    site.write_text(SITE)
    return fixed(Path(site))


def gpu_host(capability: str, name: str, torch: str, arch: str | None = None) -> Inventory:
    inv = planning.host("cuda", facts_={f"{facts.FACT_CAPABILITY}0": capability}, torch=torch)
    if arch is not None:
        inv.components += planning.inventory("cuda", arch=arch).components
    inv.devices.append(Device("cuda", 0, name, "OK"))
    return inv


def _arch(inv: Inventory, matrices: MatrixSet) -> list[Finding]:
    matrix = matrices.get("cuda")
    assert matrix is not None
    return [f for f in evaluate(inv, matrix) if f.id == "cuda.torch-gpu-arch"]


def test_lists_of_the_1x_wheels() -> None:
    """builder's lists when each release was built: "3.5;5.0+PTX" up to 1.3.0, "3.7+PTX;5.0"
    for 1.4-1.5, "3.7;5.0;6.0;7.0" (no PTX) for 1.6."""
    assert build_runs("1.2.0", "9.2", (3, 5)) is True
    assert build_runs("1.3.0", "10.1", (3, 5)) is True
    assert build_runs("1.0.1", "9.0", (6, 1)) is True  # compute_50 PTX
    assert build_runs("1.4.0", "10.1", (3, 5)) is False
    assert build_runs("1.4.0", "10.1", (3, 7)) is True
    assert build_runs("1.5.1", "10.2", (8, 6)) is True  # compute_37 PTX, JIT-compiled
    assert build_runs("1.6.0", "10.2", (8, 0)) is False
    listed = published("1.6.0", "9.2")
    assert listed is not None and listed.native == ("sm_37", "sm_50", "sm_60", "sm_70")
    assert listed.portable == ()
    assert published("1.3.1", "10.1") is None  # built while the list changed: left out
    assert published("1.6.0", "10.1") is None  # changed two days after the release


def test_below_the_floor_no_later_build_runs() -> None:
    """From 1.3.1 on no PyTorch wheel carries anything below sm_37, listed or not."""
    assert build_runs("1.3.1", "10.1", (3, 5)) is False
    assert build_runs("1.12.1", "11.3", (3, 5)) is False  # no list of its own
    assert build_runs("2.7.1", "12.8", (3, 5)) is False
    assert build_runs("1.12.1", "11.3", (3, 7)) is None  # not below it: still unknown
    assert release_lacks("1.12.1", (3, 5)) is not None
    assert release_lacks("1.3.0", (3, 5)) is None


def test_every_variant_lacks_it(matrices: MatrixSet) -> None:
    """A Tesla K40m (3.5) under a plain torch 1.4.0: both variants (cu101, cu92) start at
    sm_37, so the unknown variant does not matter."""
    (finding,) = _arch(gpu_host("3.5", "Tesla K40m", "1.4.0"), matrices)
    assert finding.severity is Severity.ERROR
    assert "Linux wheels of 1.4.0" in finding.message
    assert "pytorch/builder manywheel/build.sh @ a8c085bb" in finding.message
    assert "sm_35 is not compatible" in finding.message
    # NOTE: PyTorch's own line for 1.2.0+cu92 reads the flat page (previous-versions.md).
    assert (
        finding.fix
        == "pip install torch==1.2.0+cu92 -f https://download.pytorch.org/whl/torch_stable.html"
    )


def test_check_and_fix_name_the_same_wheel(matrices: MatrixSet) -> None:
    inv = gpu_host("3.5", "Tesla K40m", "1.4.0")
    (finding,) = _arch(inv, matrices)
    target = resolve(inv, matrices).target["torch"]
    assert target == "1.2.0+cu92"
    assert f"torch=={target} " in finding.fix
    assert _arch(gpu_host("3.5", "Tesla K40m", target), matrices) == []


def test_newer_gpus_without_ptx(matrices: MatrixSet) -> None:
    """1.6's lists carry no PTX and stop at sm_75: an A100 (8.0) runs none of its variants
    (cu101's, not published, by its toolkit's newest architecture)."""
    (finding,) = _arch(gpu_host("8.0", "NVIDIA A100-SXM4-40GB", "1.6.0"), matrices)
    assert "Linux wheels of 1.6.0" in finding.message


@pytest.mark.parametrize(
    ("capability", "torch"),
    [
        ("3.7", "1.4.0"),  # sm_37 is in every list
        ("8.6", "1.4.0"),  # compute_37 PTX runs on newer GPUs
        ("3.5", "1.3.0"),  # its wheels still carried sm_35
        ("6.1", "1.12.1"),  # no variants known, not below the floor: no verdict
    ],
)
def test_no_verdict_where_a_variant_may_run(
    matrices: MatrixSet, capability: str, torch: str
) -> None:
    assert _arch(gpu_host(capability, "GPU", torch), matrices) == []


def test_only_a_plain_build_of_unknown_platform(matrices: MatrixSet) -> None:
    """Another machine, a CPU build that torch/version.py proves, or a ROCm tag are not judged
    by the Linux x86_64 CUDA lists."""
    assert _arch(gpu_host("3.5", "K40m", "1.4.0", arch="aarch64"), matrices) == []
    cpu = gpu_host("3.5", "K40m", "1.4.0")
    cpu.facts[FACT_TORCH_BUILD_SOURCE] = "/site-packages/torch/version.py"
    assert _arch(cpu, matrices) == []
    assert _arch(gpu_host("3.5", "K40m", "1.4.0+rocm3.7"), matrices) == []


def test_bundled_variants_agree_with_the_table() -> None:
    """Data: every tagged 1.x variant the bundled matrix lists before 1.7 is one of VARIANTS'
    (whose first is PyPI's untagged default, never a row), and each has a published list."""
    matrix = planning.bundled().get("cuda")
    assert matrix is not None
    rows: dict[str, set[str]] = {}
    for row in matrix.table("torch_cuda").rows:
        for release in row.patterns("torch"):
            if release.startswith("1.") and PEP440.matches("<1.7", release.rstrip(".*")):
                rows.setdefault(release, set()).add(row.first("cuda"))
    assert rows  # the 1.2-1.6 rows are there
    for release, cudas in rows.items():
        assert cudas == set(VARIANTS[release][1:]), release
        for cuda in cudas:
            assert published(release, cuda) is not None or (release, cuda) == ("1.6.0", "10.1")


def test_a_default_build_is_judged_by_its_list_and_fix_agrees(matrices: MatrixSet) -> None:
    """Where the platform names the release's default build (PyPI's untagged 1.4.0 is CUDA
    10.1), its list decides, and `fix` no longer keeps the untagged install it rejects."""
    inv = gpu_host("3.5", "Tesla K40m", "1.4.0")
    inv.facts[FACT_TORCH_CUDA] = "10.1"
    inv.facts[FACT_TORCH_DEFAULT_BUILD] = "test"
    (finding,) = _arch(inv, matrices)
    assert "carries kernels for sm_37 sm_50 sm_60 sm_61 sm_70 sm_75 compute_37 only" in (
        finding.message
    )
    target = resolve(inv, matrices).target["torch"]
    assert target == "1.2.0+cu92" and f"torch=={target} " in finding.fix
