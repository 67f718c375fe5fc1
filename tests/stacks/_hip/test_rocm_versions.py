"""Tests for chipdoctor.stacks._hip.rocm_versions on version strings quoted in docs/stacks."""

from __future__ import annotations

from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.stacks._hip.rocm_versions import (
    dtk_from_torch,
    is_dtk_build,
    major_minor,
    parse_version_file,
    rocm_from_hip,
    rocm_from_torch,
    strip_build,
    version_from_dir,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7.2.0\n", "7.2.0"),  # /opt/rocm/.info/version (reference C.3)
        ("7.2.1-43\n", "7.2.1-43"),  # version-dev
        ("24.04.3\n", "24.04.3"),  # /opt/dtk/.info/version as gpustack read it (reference B.4)
        ("DTK-26.04-rc4\n", "26.04-rc4"),  # /opt/dtk/.dtk_version
        ("\n\n  6.16.13\n", "6.16.13"),  # /sys/module/amdgpu/version
        ("", None),
        ("not a version\n7.0.0\n", None),
    ],
)
def test_parse_version_file(text: str, expected: Optional[str]) -> None:
    assert parse_version_file(text) == expected


def test_strip_build_keeps_prerelease_tags() -> None:
    assert strip_build("7.2.1-43") == "7.2.1"
    assert strip_build("26.04-rc4") == "26.04-rc4"
    assert strip_build("7.2.0") == "7.2.0"


def test_version_from_dir() -> None:
    assert version_from_dir("rocm-6.2.0", "rocm-") == "6.2.0"
    assert version_from_dir("dtk-24.04.1", "dtk-") == "24.04.1"
    assert version_from_dir("rocm", "rocm-") is None
    assert version_from_dir("rocm-latest", "rocm-") is None


@pytest.mark.parametrize(
    ("torch", "rocm"),
    [
        ("2.6.0+rocm6.2.4", "6.2.4"),
        ("1.13.1+rocm5.2", "5.2"),
        ("2.9.1+rocm7.2.0.git7e1940d4", "7.2.0"),  # AMD-built wheel
        ("2.10.0a0+rocm7.10.0a20251015", "7.10.0"),  # TheRock nightly
        ("2.8.0.dev20250529+rocm6.4", "6.4"),
        ("2.3.0+cpu", None),
        ("2.7.0a0+git295f2ed", None),
        ("2.5.1+das.opt1.dtk2604", None),
    ],
)
def test_rocm_from_torch(torch: str, rocm: Optional[str]) -> None:
    assert rocm_from_torch(torch) == rocm


def test_rocm_from_hip() -> None:
    assert rocm_from_hip("6.2.41133-dd7f95766") == "6.2"
    assert rocm_from_hip("7.2.26015-fc0010cf6a") == "7.2"
    assert rocm_from_hip("garbage") is None


@pytest.mark.parametrize(
    ("torch", "dtk"),
    [
        ("2.5.1+das.opt1.dtk2604", "26.04"),
        ("2.4.1+das.opt1.dtk25041", "25.04.1"),
        ("2.1.0+das1.0+git00661e0.abi0.dtk2404", "24.04"),
        ("1.10.0a0+git450cdd1.dtk22.4.1", "22.04.1"),
        ("2.11.0+das.opt1.dtk2604.202604021232.g1175f0", "26.04"),
        ("2.6.0+rocm6.2.4", None),
        ("2.5.1", None),
    ],
)
def test_dtk_from_torch(torch: str, dtk: Optional[str]) -> None:
    assert dtk_from_torch(torch) == dtk


def test_is_dtk_build() -> None:
    assert is_dtk_build("2.3.0+das.opt1.dtk24042")
    assert is_dtk_build("1.13.1+git55d300e.abi0.dtk2304")
    assert not is_dtk_build("2.6.0+rocm6.2.4")
    assert not is_dtk_build("2.3.0")


def test_major_minor() -> None:
    assert major_minor("6.2.4") == "6.2"
    assert major_minor("26.04.1") == "26.04"
    assert major_minor("7") is None


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raise(text: str) -> None:
    parse_version_file(text)
    rocm_from_torch(text)
    rocm_from_hip(text)
    dtk_from_torch(text)
    is_dtk_build(text)
    version_from_dir(text, "rocm-")
    major_minor(text)
