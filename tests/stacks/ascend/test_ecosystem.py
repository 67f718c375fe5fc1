"""vllm-ascend <-> vLLM <-> CANN <-> torch_npu and Triton-Ascend <-> CANN, judged by the
projects' own tables where no package metadata says it (issue 12 item 4), on the fixed test
matrices."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from chipdoctor.model import Finding, Severity
from chipdoctor.stacks import STACKS
from chipdoctor.stacks.ascend import facts
from chipdoctor.stacks.ascend.ecosystem import findings
from tests import planning

host = partial(planning.host, "ascend")
MATRIX = planning.fixed().get("ascend")


def packages(pins: str | None = None, **versions: str) -> dict[str, str]:
    """Inventory facts: installed ecosystem packages (`vllm_ascend="0.9.1"`) and, when given,
    the stack packages vllm-ascend's recorded Requires-Dist names."""
    out = {facts.FACT_PACKAGE.format(name=k.replace("_", "-")): v for k, v in versions.items()}
    if pins is not None:
        out[facts.FACT_VLLM_ASCEND_PINS] = pins
    return out


def judged(facts_: Mapping[str, str], **components: str) -> dict[str, Finding]:
    inventory = planning.inventory("ascend", **components)
    inventory.facts.update(facts_)
    return planning.by_id(findings(inventory, MATRIX))


def test_a_complete_release_row_is_clean() -> None:
    assert judged(packages(vllm_ascend="0.9.1", vllm="0.9.1+empty"),
                  cann="8.2.RC1", torch="2.5.1+cpu", torch_npu="2.5.1.post1") == {}  # fmt: skip


def test_another_vllm_is_an_error_naming_both_ways_out() -> None:
    found = judged(packages(vllm_ascend="0.9.1", vllm="0.13.0"), cann="8.5.0")
    finding = found["ascend.vllm-ascend-vllm"]
    assert finding.severity is Severity.ERROR
    assert "vLLM 0.9.1" in finding.message and "vLLM 0.13.0" in finding.message
    assert "versioning_policy.md" in finding.message
    # the release made for the installed vLLM (a final one before an rc), or vLLM of the row
    first, second = finding.fix.split("\n")
    assert first == "pip install vllm-ascend==0.13.0"
    assert second.endswith("pip install vllm==0.9.1")


def test_the_way_out_that_keeps_the_installed_cann_comes_first() -> None:
    # vllm-ascend 0.13.0 wants CANN 8.5.0; this host has 0.9.1's CANN 8.2.RC1
    found = judged(packages(vllm_ascend="0.9.1", vllm="0.13.0"), cann="8.2.RC1")
    first, second = found["ascend.vllm-ascend-vllm"].fix.split("\n")
    assert first == "pip install vllm==0.9.1"
    assert second.endswith("pip install vllm-ascend==0.13.0")


def test_a_release_line_of_only_release_candidates_is_still_offered() -> None:
    finding = judged(packages(vllm_ascend="0.9.1", vllm="0.22.1"))["ascend.vllm-ascend-vllm"]
    assert "pip install vllm-ascend==0.22.1rc1" in finding.fix


def test_vllm_missing_is_an_error() -> None:
    finding = judged(packages(vllm_ascend="0.23.0"))["ascend.vllm-ascend-vllm"]
    assert finding.severity is Severity.ERROR and "not installed" in finding.message
    assert finding.fix == "pip install vllm==0.23.0"


def test_cann_older_than_the_installation_guide_requires_is_an_error() -> None:
    finding = judged(packages(vllm_ascend="0.9.1", vllm="0.9.1"),
                     cann="8.1.RC1")["ascend.vllm-ascend-cann"]  # fmt: skip
    assert finding.severity is Severity.ERROR
    assert "requires CANN >=8.2.RC1" in finding.message and "installation.md" in finding.message
    assert "Install the CANN 8.2.RC1 toolkit" in finding.fix
    # a release whose row pairs the installed CANN, with its vLLM
    assert "pip install vllm-ascend==0.9.1rc1 vllm==0.9.1" in finding.fix


def test_newer_cann_where_the_guide_says_at_least_is_a_warning() -> None:
    finding = judged(packages(vllm_ascend="0.9.1", vllm="0.9.1"),
                     cann="8.3.RC1")["ascend.vllm-ascend-cann"]  # fmt: skip
    assert finding.severity is Severity.WARNING and "released with CANN 8.2.RC1" in finding.message


def test_another_cann_where_the_guide_says_exactly_is_an_error() -> None:
    finding = judged(packages(vllm_ascend="0.23.0", vllm="0.23.0"),
                     cann="9.0.0")["ascend.vllm-ascend-cann"]  # fmt: skip
    assert finding.severity is Severity.ERROR and "requires CANN 9.1.0" in finding.message
    assert "pip install vllm-ascend==0.22.1rc1 vllm==0.22.1" in finding.fix


def test_where_the_sources_disagree_the_required_cann_makes_a_warning_only() -> None:
    # v0.13.0rc3: the matrix names CANN 8.5.1, its installation guide "== 8.5.0"
    assert "ascend.vllm-ascend-cann" not in judged(
        packages(vllm_ascend="0.13.0rc3", vllm="0.13.0"), cann="8.5.1"
    )
    finding = judged(packages(vllm_ascend="0.13.0rc3", vllm="0.13.0"),
                     cann="8.5.0")["ascend.vllm-ascend-cann"]  # fmt: skip
    assert finding.severity is Severity.WARNING


def test_torch_npu_is_judged_only_where_vllm_ascends_pin_was_not_recorded() -> None:
    wrong = partial(judged, cann="8.2.RC1", torch="2.7.1+cpu", torch_npu="2.7.1")
    recorded = wrong(packages("torch torch-npu", vllm_ascend="0.9.1", vllm="0.9.1"))
    assert "ascend.vllm-ascend-torch_npu" not in recorded  # the requirements rule says it
    finding = wrong(packages(vllm_ascend="0.9.1", vllm="0.9.1"))["ascend.vllm-ascend-torch_npu"]
    assert finding.severity is Severity.ERROR
    assert "torch==2.5.1 --index-url https://download.pytorch.org/whl/cpu" in finding.fix
    assert "pip install torch-npu==2.5.1.post1" in finding.fix


def test_another_build_of_the_same_torch_npu_release_is_a_warning() -> None:
    finding = judged(packages(vllm_ascend="0.9.1", vllm="0.9.1"), cann="8.2.RC1",
                     torch="2.5.1", torch_npu="2.5.1")["ascend.vllm-ascend-torch_npu"]  # fmt: skip
    assert finding.severity is Severity.WARNING


def test_a_release_the_matrix_does_not_list_is_judged_by_its_installation_guide() -> None:
    older = judged(packages(vllm_ascend="0.7.3rc1", vllm="0.7.3"), cann="8.0.RC3")
    finding = older["ascend.vllm-ascend-cann"]
    assert finding.severity is Severity.ERROR and "requires CANN >=8.0.0" in finding.message
    assert "Install the CANN 8.0.0 toolkit" in finding.fix
    assert set(older) == {"ascend.vllm-ascend-cann"}  # no row: vLLM and torch_npu not judged
    assert judged(packages(vllm_ascend="0.7.3rc1", vllm="0.7.3"), cann="8.1.RC1") == {}


def test_a_release_not_in_the_table_is_not_judged() -> None:
    assert judged(packages(vllm_ascend="0.11.1.dev6+gb30408353.d20260307", vllm="0.11.1+empty"),
                  cann="8.3.RC1") == {}  # fmt: skip


def test_triton_ascend_with_a_cann_its_readme_does_not_list_is_a_warning() -> None:
    assert judged(packages(triton_ascend="3.2.0"), cann="8.5.0") == {}
    finding = judged(packages(triton_ascend="3.2.0"), cann="8.3.RC1")["ascend.triton-ascend-cann"]
    assert finding.severity is Severity.WARNING and "CANN 8.5.0" in finding.message
    assert "pip install triton-ascend==3.2.0rc4" in finding.fix


def test_the_rules_run_with_the_stacks_other_rules() -> None:
    inventory = host(facts_=packages(vllm_ascend="0.9.1", vllm="0.13.0"), cann="8.2.RC1",
                     torch="2.5.1", torch_npu="2.5.1.post1")  # fmt: skip
    found = planning.by_id(STACKS["ascend"].evaluate(inventory, MATRIX))
    assert found["ascend.vllm-ascend-vllm"].severity is Severity.ERROR


def test_the_bundled_tables_cover_every_release_row_with_its_required_cann() -> None:
    """Data: versioning_policy.md @ 182b75e lists 36 releases, v0.7.3 to v0.23.0; each has the
    CANN requirement of its own tag's installation guide. v0.7.1rc1, which the policy does not
    list, has a row from its own guide (the torch_npu daily build it relies on)."""
    bundled = planning.bundled().get("ascend")
    releases = [row.first("vllm-ascend") for row in bundled.table("vllm_ascend").rows]
    required = [row.first("vllm-ascend") for row in bundled.table("vllm_ascend_cann").rows]
    assert len(releases) == 37 and releases[0] == "0.23.0"
    assert releases[-2:] == ["0.7.3", "0.7.1rc1"]
    # the installation guides also of the tags the matrix does not list
    assert set(required) - set(releases) == {
        "0.25.1rc1", "0.24.0rc1", "0.8.4rc1", "0.7.3rc2", "0.7.3rc1"
    }  # fmt: skip
    (v071,) = bundled.table("vllm_ascend").lookup("0.7.1rc1")
    assert [v071.first(c) for c in ("vllm", "cann", "torch", "torch_npu")] == [
        "0.7.1", "8.0.0", "2.5.1", "2.5.1.dev20250218"
    ]  # fmt: skip
    assert set(releases) <= set(required)
    (v091,) = bundled.table("vllm_ascend").lookup("0.9.1")
    assert [v091.first(c) for c in ("vllm", "cann", "torch", "torch_npu")] == [
        "0.9.1", "8.2.RC1", "2.5.1", "2.5.1.post1"
    ]  # fmt: skip
    (v0101,) = bundled.table("vllm_ascend").lookup("0.10.1rc1")
    assert v0101.patterns("vllm") == ("0.10.1", "0.10.1.1")
    inventory = planning.inventory("ascend", cann="9.0.0")
    inventory.facts.update(packages(vllm_ascend="0.23.0", vllm="0.23.0"))
    (finding,) = findings(inventory, bundled)
    assert finding.severity is Severity.ERROR and "requires CANN 9.1.0" in finding.message
