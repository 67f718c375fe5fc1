"""Pins are prefixes read with each component's version scheme."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chipdoctor.components import ALL_COMPONENTS
from chipdoctor.resolve.pins import is_prerelease, parse_pin


@pytest.mark.parametrize(
    ("component", "pin", "version", "expected"),
    [
        ("torch", "2.4", "2.4.0", True),
        ("torch", "2.4", "2.4.1+cpu", True),
        ("torch", "2.4", "2.40.0", False),
        ("torch", "2.4.0", "2.4.0.post4", True),  # the 2.4.0 line, whatever its post-release
        ("torch_npu", "2.1.0.post10", "2.1.0.post10", True),
        ("torch_npu", "2.1.0.post10", "2.1.0.post1", False),
        ("torch_npu", "2.1.0.post1", "2.1.0.post10", False),
        ("cann", "8.0", "8.0.RC3", True),
        ("cann", "8.0.RC3", "8.0.RC3.20", True),
        ("cann", "8.0.rc3", "8.0.RC3", True),  # RC spelled either way
        ("cann", "8.0.RC3", "8.0.0", False),
        ("cann", "9", "9.0.0-beta.2", True),
        ("python", "3.10", "3.10.14", True),
        ("python", "3.1", "3.10.14", False),
        ("ascend_driver", "25.0", "25.0.rc1.1", True),
    ],
)
def test_prefix_matching(component: str, pin: str, version: str, expected: bool) -> None:
    assert parse_pin(component, pin, f"--pin {component}={pin}").matches(version) is expected


def test_exact_names_the_version_in_full() -> None:
    pin = parse_pin("cann", "9.0.0-beta.2", "--cann 9.0.0-beta.2")
    assert pin.exact("9.0.0-beta.2") and pin.exact("9.0.0-beta2")
    assert not parse_pin("cann", "9.0.0", "--cann 9.0.0").exact("9.0.0-beta.2")


def test_pre_releases_by_scheme() -> None:
    assert is_prerelease("cann", "9.1.0-beta.3")
    assert is_prerelease("cann", "8.5.0.alpha001")
    assert not is_prerelease("cann", "8.0.RC3")  # a Huawei release candidate is a release
    assert not is_prerelease("ascend_driver", "25.0.rc1.1")
    assert is_prerelease("torch_npu", "2.1.0.rc1")
    assert not is_prerelease("torch_npu", "2.1.0.post17")


def test_the_plan_schema_lists_every_component_id() -> None:
    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "chipdoctor/schemas/plan.schema.json").read_text()
    )
    assert set(schema["$defs"]["component_id"]["enum"]) == ALL_COMPONENTS
