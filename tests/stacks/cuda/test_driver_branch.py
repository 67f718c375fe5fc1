"""From CUDA 13.4 NVIDIA names only a driver branch (R615) for a toolkit, no exact minimum: the
rules judge by the branch and say that the exact minimum is not published."""

from __future__ import annotations

from functools import partial

import pytest

from chipdoctor.matrix.load import load_file, overlay
from chipdoctor.matrix.model import Matrix
from chipdoctor.model import FACT_TORCH_CUDA, Severity
from chipdoctor.stacks.cuda.rules import evaluate
from tests import planning
from tests.planning import fixed

inventory = partial(planning.host, "cuda")

# The shape of the bundled 13.4 row (matrices/cuda.yaml), with a torch build for that CUDA.
SITE = """\
format: chipdoctor-matrix/1
stack: cuda
sources:
  branch-only: {title: "a release NVIDIA publishes a driver branch for", url: "https://example.invalid/"}
tables:
  toolkit_driver:
    key: cuda
    rows:
      - {cuda: "13.4", nvidia_driver: ">=615", branch: "R615", source: branch-only}
  torch_cuda:
    key: torch
    rows:
      - {torch: "2.99.*", cuda: "13.4", source: branch-only}
"""


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    site = tmp_path_factory.mktemp("site") / "cuda.yaml"
    site.write_text(SITE)
    base = fixed().get("cuda")
    assert base is not None
    return overlay(base, load_file(site))


def test_a_driver_of_an_older_branch_runs_it_under_minor_version_compatibility(
    matrix: Matrix,
) -> None:
    inv = inventory(cuda="13.4.1", nvidia_driver="610.43.02")
    finding = planning.by_id(evaluate(inv, matrix))["cuda.toolkit-driver"]
    assert finding.severity is Severity.WARNING
    assert "branch R615 or newer (NVIDIA publishes no exact minimum)" in finding.message
    assert finding.fix.startswith("Ask the administrator for NVIDIA driver branch R615 or newer")
    assert "615 or newer" not in finding.fix.replace("R615 or newer", "")


def test_a_driver_of_the_branch_or_newer_is_clean(matrix: Matrix) -> None:
    assert evaluate(inventory(cuda="13.4.1", nvidia_driver="620.70.06"), matrix) == []


def test_below_the_family_minimum_is_still_an_error(matrix: Matrix) -> None:
    inv = inventory(cuda="13.4.2", nvidia_driver="575.57.08")
    finding = planning.by_id(evaluate(inv, matrix))["cuda.toolkit-driver"]
    assert finding.severity is Severity.ERROR
    assert "needs NVIDIA driver >=580" in finding.message
    assert "NVIDIA driver branch R615 or newer" in finding.fix


def test_a_torch_build_for_that_cuda_names_the_branch(matrix: Matrix) -> None:
    inv = inventory(torch="2.99.0", nvidia_driver="610.43.02", facts_={FACT_TORCH_CUDA: "13.4"})
    finding = planning.by_id(evaluate(inv, matrix))["cuda.torch-driver"]
    assert finding.severity is Severity.WARNING
    assert "NVIDIA releases CUDA 13.4 with driver branch R615 or newer" in finding.message
    assert "NVIDIA publishes no exact minimum" in finding.message
    assert finding.fix.startswith("Ask the administrator for NVIDIA driver branch R615 or newer")


def test_the_bundled_data_names_branches_from_cuda_13_4() -> None:
    table = planning.bundled().get("cuda")
    assert table is not None
    rows = {r.first("cuda"): r for r in table.table("toolkit_driver").rows}
    assert rows["13.4"].extra["branch"] == "R615"
    assert rows["13.4"].first("nvidia_driver") == ">=615"
    assert rows["13.4.2"].extra["branch"] == "R615"
    assert rows["13.5"].extra["branch"] == "R620"
    assert "branch" not in rows["13.3.1"].extra  # an exact minimum: >=610.43.02
