"""The statuses in the dispatcher's order, on a small fixed data set (not the bundled data)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from chipdoctor.errors import BadInput
from chipdoctor.ops.data import PytorchOps, StackOps
from chipdoctor.ops.judge import OpsResult, judge
from chipdoctor.ops.names import Op
from chipdoctor.ops.target import Target

SOURCE = {
    "url": "https://example.invalid/{}",
    "commit": "c",
    "date": "2026-01-01",
    "retrieved": "x",
}


def _release(name: str, torch: list[str], **extra: object) -> dict[str, object]:
    return {"name": name, "torch": torch, "source": {**SOURCE, "url": f"file-{name}"}, **extra}


VENDOR = StackOps(
    {
        "format": "chipdoctor-ops-data/1",
        "stack": "cambricon",
        "component": "torch_mlu",
        "release_family": "torch_mlu",
        "fallback": {
            "env": "ENABLE_FALLBACK_TO_CPU",
            "disabled_when": ["0"],
            "registered": "fb",
            "source": "doc",
        },
        "releases": [_release("1.0.0+torch2.1.0", ["2.1"]), _release("2.0.0+torch2.1.0", ["2.1"])],
        "versions": {},
        "ops": {
            "convolution": {"1.0.0+torch2.1.0": {"native": "2.1"}},
            "bad_op": {"1.0.0+torch2.1.0": {"unsupported": "2.1"}},
            "to_cpu": {"1.0.0+torch2.1.0": {"tocpu": "2.1"}},
            "add.Tensor": {"1.0.0+torch2.1.0": {"native": "2.1"}},
            "late": {"2.0.0+torch2.1.0": {"native": "2.1"}},
        },
    },
    Path("vendor.json"),
)
TORCH = PytorchOps(
    {
        "composite": {"conv2d": "implicit", "new_op": "implicit", "zeros_like": "explicit"},
        "decompositions": {"conv2d": ["convolution"]},
        "operators": ["add.Tensor", "conv2d", "convolution", "new_op", "zeros_like"],
        "source": {"url": "nf"},
    }
)
TARGET = Target("cambricon", "torch_mlu", "1.0.0", VENDOR.releases[0], "2.1.0")


def run(*names: str, disabled: bool = False) -> OpsResult:
    observed = Counter(Op("aten", n, exact="::" not in n) for n in names)
    return judge(observed, TARGET, disabled=disabled, model="m", data=(VENDOR, TORCH))


def status(result: OpsResult) -> dict[str, tuple[str, int]]:
    return {v.op: (v.status, v.count) for v in result.ops}


def test_composite_parts_are_judged_and_counted() -> None:
    result = run("conv2d", "conv2d", "convolution")
    assert status(result) == {"aten::conv2d": ("composite", 2), "aten::convolution": ("native", 3)}
    assert result.coverage == 1.0
    assert result.exit_code(strict=True) == 0


def test_unsupported_exits_1_and_ranks_first() -> None:
    result = run("convolution", "bad_op")
    assert [v.op for v in result.ops] == ["aten::bad_op", "aten::convolution"]
    assert result.ops[0].status == "unsupported"
    assert result.exit_code(strict=False) == 1


def test_fallbacks_a_tocpu_entry_and_no_kernel_at_all() -> None:
    result = run("to_cpu", "late")
    assert status(result) == {"aten::late": ("fallback", 1), "aten::to_cpu": ("fallback", 1)}
    late = next(v for v in result.ops if v.op == "aten::late")
    assert late.since == "torch_mlu 2.0.0+torch2.1.0"
    assert late.source == "fb"
    assert result.exit_code(strict=False) == 0
    assert result.exit_code(strict=True) == 1
    assert run("late", disabled=True).exit_code(strict=False) == 1


def test_an_explicit_composite_runs_its_shared_kernel_and_an_undecomposed_one_says_so() -> None:
    result = run("zeros_like", "new_op")
    assert status(result) == {
        "aten::new_op": ("composite", 1),
        "aten::zeros_like": ("composite", 1),
    }
    notes = {v.op: v.note for v in result.ops}
    assert notes["aten::new_op"] == "its decomposition is not in the bundled data"


def test_a_name_without_overload_is_native_when_one_overload_is() -> None:
    result = judge(
        Counter({Op("aten", "add", exact=False): 4}),
        TARGET,
        disabled=False,
        model="m",
        data=(VENDOR, TORCH),
    )
    assert status(result) == {"aten::add": ("native", 4)}


def test_other_namespaces_reach_the_fallback() -> None:
    result = judge(
        Counter({Op("torchvision", "nms"): 1}),
        TARGET,
        disabled=False,
        model="m",
        data=(VENDOR, TORCH),
    )
    assert status(result) == {"torchvision::nms": ("fallback", 1)}


def test_a_name_torch_does_not_have_is_unknown_not_a_fallback() -> None:
    """Neither native_functions.yaml nor the vendor's file has it: no operator to judge."""
    result = run("convolution", "nosuchop_zz", "nosuchop_zz")
    assert status(result) == {"aten::convolution": ("native", 1)}
    assert result.unknown == (("aten::nosuchop_zz", 2),)
    assert result.coverage == 1.0
    assert result.exit_code(strict=False) == 0
    assert result.exit_code(strict=True) == 1  # a warning, as a fallback is


def test_names_known_to_torch_or_to_the_vendor_alone_are_judged() -> None:
    """`late` is only in the vendor's file (torch may have dropped it since); `add` without an
    overload is a name torch has."""
    observed = Counter({Op("aten", "late"): 1, Op("aten", "add", exact=False): 1})
    result = judge(observed, TARGET, disabled=False, model="m", data=(VENDOR, TORCH))
    assert set(status(result)) == {"aten::late", "aten::add"}
    assert result.unknown == ()
    assert run("convolution", "add.nosuchoverload").unknown == (("aten::add.nosuchoverload", 1),)


def test_a_model_of_unknown_names_only_is_bad_input() -> None:
    with pytest.raises(
        BadInput, match=r"m: names no ATen operator torch has \(aten::nosuchop_zz\)"
    ):
        run("nosuchop_zz")
