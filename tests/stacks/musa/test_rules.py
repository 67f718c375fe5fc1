"""MUSA verdicts on hand-built inventories, judged against a small matrix written here."""

from __future__ import annotations

from pathlib import Path

import pytest

from chipdoctor.matrix.load import load_file
from chipdoctor.matrix.model import Matrix
from chipdoctor.model import Component, Device, Finding, Inventory, Severity
from chipdoctor.stacks.musa.facts import FACT_MCCL, FACT_MCCL_DIRS, FACT_TOOLKIT_HOME
from chipdoctor.stacks.musa.rules import evaluate

MATRIX = """\
format: chipdoctor-matrix/1
stack: musa
sources:
  s:
    title: "test source"
    url: "https://example.org/musa"
tables:
  torch_musa:
    key: torch_musa
    rows:
      - {torch_musa: "1.3.0", torch: "2.2.0", musa_toolkit: "3.1.0", source: s}
      - {torch_musa: "2.0.0", torch: "2.2.0", source: s}
      - {torch_musa: "2.0.0", torch: "2.5.0", source: s}
      - {torch_musa: "2.7.1", torch: "2.7.1", musa_toolkit: "4.3.4", source: s}
      - {torch_musa: "2.9.1", torch: "2.9.1", musa_toolkit: "5.1.0", source: s}
"""


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    path: Path = tmp_path_factory.mktemp("matrix") / "musa.yaml"
    path.write_text(MATRIX, encoding="utf-8")
    return load_file(path)


def make(*, gpus: int = 0, home: bool = True, **versions: str) -> Inventory:
    inv = Inventory(stacks=["musa"])
    inv.components = [Component(k, v, "test") for k, v in versions.items()]
    inv.devices = [Device("musa", i, "MTT S4000", "N/A") for i in range(gpus)]
    if home:
        inv.facts[FACT_TOOLKIT_HOME] = "/usr/local/musa"
    return inv


def one(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_published_stack_is_clean(matrix: Matrix) -> None:
    inv = make(torch="2.7.1", torch_musa="2.7.1", musa_toolkit="4.3.4", musa_driver="3.3.5-server")
    assert evaluate(inv, matrix) == []


def test_local_tags_still_match(matrix: Matrix) -> None:
    assert evaluate(make(torch="2.2.0+cpu", torch_musa="1.3.0", musa_toolkit="3.1.0"), matrix) == []


def test_older_torch_is_an_error(matrix: Matrix) -> None:
    finding = one(evaluate(make(torch="2.5.0", torch_musa="2.7.1", musa_toolkit="4.3.4"), matrix))
    assert (finding.id, finding.severity) == ("musa.torch-torch_musa", Severity.ERROR)
    assert "must not be less than v2.7.1" in finding.message
    assert "example.org/musa" in finding.message
    assert "torch 2.7.1 and torch_musa 2.7.1" in finding.fix
    assert "or keep torch 2.5.0 with torch_musa 2.0.0" in finding.fix


def test_newer_torch_is_a_warning(matrix: Matrix) -> None:
    finding = one(evaluate(make(torch="2.9.1", torch_musa="2.7.1", musa_toolkit="4.3.4"), matrix))
    assert (finding.id, finding.severity) == ("musa.torch-torch_musa", Severity.WARNING)
    assert "torch version should be v2.7.1" in finding.message
    assert "torch_musa 2.9.1" in finding.fix


def test_any_published_torch_of_a_version_is_fine(matrix: Matrix) -> None:
    assert evaluate(make(torch="2.5.0", torch_musa="2.0.0"), matrix) == []
    assert evaluate(make(torch="2.2.0", torch_musa="2.0.0"), matrix) == []


def test_torch_between_two_builds_is_a_warning(matrix: Matrix) -> None:
    finding = one(evaluate(make(torch="2.3.0", torch_musa="2.0.0"), matrix))
    assert finding.severity is Severity.WARNING


def test_torch_missing(matrix: Matrix) -> None:
    finding = one(evaluate(make(torch_musa="2.7.1", musa_toolkit="4.3.4"), matrix))
    assert (finding.id, finding.severity) == ("musa.torch_musa-without-torch", Severity.ERROR)
    assert "PyTorch 2.7.1" in finding.message and finding.fix


def test_toolkit_differs_from_the_pairing(matrix: Matrix) -> None:
    finding = one(evaluate(make(torch="2.7.1", torch_musa="2.7.1", musa_toolkit="5.1.0"), matrix))
    assert (finding.id, finding.severity) == ("musa.torch_musa-musa_toolkit", Severity.WARNING)
    assert "published with MUSA toolkit 4.3.4, not 5.1.0" in finding.message
    assert "Install MUSA SDK 4.3.4" in finding.fix
    assert "torch_musa 2.9.1" not in finding.fix  # it needs torch 2.9.1, not the installed 2.7.1


def test_toolkit_fix_offers_a_torch_musa_for_it(matrix: Matrix) -> None:
    finding = one(evaluate(make(torch_musa="2.9.1", torch="2.9.1", musa_toolkit="4.3.4"), matrix))
    assert finding.id == "musa.torch_musa-musa_toolkit"
    assert "or torch_musa 2.7.1, paired with MUSA toolkit 4.3.4" not in finding.fix
    finding = one(evaluate(make(torch_musa="2.9.1", musa_toolkit="4.3.4"), matrix)[1:])
    assert "or torch_musa 2.7.1, paired with MUSA toolkit 4.3.4" in finding.fix


def test_no_toolkit_at_all_is_an_error(matrix: Matrix) -> None:
    finding = one(evaluate(make(home=False, torch="2.7.1", torch_musa="2.7.1"), matrix))
    assert (finding.id, finding.severity) == ("musa.torch_musa-without-toolkit", Severity.ERROR)
    assert "MUSA SDK 4.3.4" in finding.fix


def test_toolkit_installed_but_unreadable_is_left_to_the_probe(matrix: Matrix) -> None:
    assert evaluate(make(torch="2.7.1", torch_musa="2.7.1"), matrix) == []


def test_unknown_torch_musa(matrix: Matrix) -> None:
    finding = one(evaluate(make(torch="2.8.0", torch_musa="2.8.0", musa_toolkit="5.0.0"), matrix))
    assert (finding.id, finding.severity) == ("musa.unknown-combination", Severity.WARNING)
    assert "not in the MUSA matrix" in finding.message


def test_no_toolkit_pairing_published(matrix: Matrix) -> None:
    finding = one(evaluate(make(torch="2.2.0", torch_musa="2.0.0", musa_toolkit="3.0.0"), matrix))
    assert finding.id == "musa.unknown-combination"
    assert "no published MUSA toolkit pairing" in finding.message


def test_torch_without_torch_musa_on_a_musa_host(matrix: Matrix) -> None:
    finding = one(evaluate(make(torch="2.7.1", gpus=2), matrix))
    assert (finding.id, finding.severity) == ("musa.torch-without-torch_musa", Severity.INFO)
    assert "torch_musa 2.7.1" in finding.fix
    finding = one(evaluate(make(torch="2.4.0", musa_driver="3.0.0"), matrix))
    assert "No torch_musa in the matrix is built for torch 2.4.0" in finding.fix
    assert "torch_musa 2.9.1" in finding.fix


def test_torch_alone_is_not_judged(matrix: Matrix) -> None:
    assert evaluate(make(torch="2.7.1", home=False), matrix) == []


def _without_mccl(inv: Inventory) -> Inventory:
    inv.facts[FACT_MCCL] = ""
    inv.facts[FACT_MCCL_DIRS] = "/usr/local/musa/lib"
    return inv


def test_torch_musa_without_mccl_is_an_error(matrix: Matrix) -> None:
    """torch_musa links MCCL: without libmccl.so* its import fails (torch_musa#5, #102)."""
    inv = _without_mccl(make(torch="2.7.1", torch_musa="2.7.1", musa_toolkit="4.3.4"))
    found = one(evaluate(inv, matrix))
    assert (found.id, found.severity) == ("musa.mccl-missing", Severity.ERROR)
    assert "libmccl.so.2" in found.message and "/usr/local/musa/lib" in found.message
    assert "MCCL" in found.fix and "USE_MCCL=0" in found.fix and "mccl" in found.fix


def test_toolkit_alone_without_mccl_is_a_warning(matrix: Matrix) -> None:
    found = one(evaluate(_without_mccl(make(musa_toolkit="4.3.4")), matrix))
    assert (found.id, found.severity) == ("musa.mccl-missing", Severity.WARNING)
    assert found.components == ("musa_toolkit",)


def test_mccl_found_or_not_looked_for_is_clean(matrix: Matrix) -> None:
    inv = make(torch="2.7.1", torch_musa="2.7.1", musa_toolkit="4.3.4")
    assert evaluate(inv, matrix) == []
    inv.facts[FACT_MCCL] = "/usr/local/musa/lib/libmccl.so.2"
    assert evaluate(inv, matrix) == []


def test_the_log_stands_in_where_no_lib_was_seen_and_is_an_error(matrix: Matrix) -> None:
    """The failed job's `libmccl.so.2: cannot open shared object file` (check --log)."""
    from chipdoctor.symptoms.recognise import recognise

    inv = make(musa_toolkit="4.3.4")
    inv.symptoms = list(
        recognise(["x", "ImportError: libmccl.so.2: cannot open shared object file"])
    )
    found = one(evaluate(inv, matrix))
    assert (found.id, found.severity) == ("musa.mccl-missing", Severity.ERROR)
    assert "as the log shows at line 2: 'ImportError: libmccl.so.2" in found.message
    assert "the MUSA toolkit 4.3.4 here does not provide it" in found.message


def test_the_log_does_not_overrule_mccl_found_here(matrix: Matrix) -> None:
    from chipdoctor.symptoms.judge import unexplained
    from chipdoctor.symptoms.recognise import recognise

    inv = make(torch="2.7.1", torch_musa="2.7.1", musa_toolkit="4.3.4")
    inv.facts[FACT_MCCL] = "/usr/local/musa/lib/libmccl.so.2"
    inv.symptoms = list(recognise(["ImportError: libmccl.so.2: cannot open shared object file"]))
    assert evaluate(inv, matrix) == []
    [warning] = unexplained(inv, [])
    assert (warning.id, warning.severity) == ("host.log-symptom", Severity.WARNING)
    assert "this machine has /usr/local/musa/lib/libmccl.so.2" in warning.message
