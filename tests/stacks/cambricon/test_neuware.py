"""Tests for chipdoctor.stacks.cambricon.neuware: version.txt, library names, torch_mlu versions."""

from __future__ import annotations

from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.stacks.cambricon.neuware import (
    TorchMluVersion,
    library_version,
    parse_neuware_version,
    parse_torch_mlu_version,
)
from tests.conftest import FIXTURES as FIXTURES_ROOT

FIXTURES = FIXTURES_ROOT / "neuware"

VERSION_FILES = {
    "version_3.9.0_mlu370-x8.txt": "3.9.0",
    "version_1.4.0_expected.txt": "1.4.0",
    "version_4.6.2_quoted.txt": "4.6.2",
}


def test_every_fixture_file_is_covered_and_sourced() -> None:
    on_disk = {path.name for path in FIXTURES.glob("*.txt")}
    assert on_disk == set(VERSION_FILES)
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    for name in on_disk:
        assert f"`{name}`" in sources


@pytest.mark.parametrize("name", sorted(VERSION_FILES))
def test_version_files(name: str) -> None:
    assert parse_neuware_version((FIXTURES / name).read_text()) == VERSION_FILES[name]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Neuware Version 3.9.0", "3.9.0"),
        ("Neuware Version v4.7.2\r\n", "4.7.2"),  # a leading v is dropped
        ("Neuware Version 3.13.5-1\n", "3.13.5-1"),
        ("header\nNeuware Version 4.0.1\n", "4.0.1"),
        ("neuware version 2.8.2", "2.8.2"),
        ("Neuware 4.7.2 (build 3)", "4.7.2"),  # no marker line: gpustack's first x.y.z
        ("Neuware Version unknown", None),
        ("", None),
        ("1.2", None),
    ],
)
def test_version_text(text: str, expected: Optional[str]) -> None:
    assert parse_neuware_version(text) == expected


@pytest.mark.parametrize(
    ("names", "library", "expected"),
    [
        # the library, its ABI link and its dev link, as `ls $NEUWARE_HOME/lib64` lists them
        (["libcnnl.so", "libcnnl.so.1", "libcnnl.so.1.26.6"], "cnnl", "1.26.6"),
        (["libcncl.so.1.30.8", "libcncl.so", "libcncl.so.1"], "cncl", "1.30.8"),
        # CNNL Extra must not be read as CNNL
        (["libcnnl_extra.so.2.4.0", "libcnnl.so.2.2.14"], "cnnl", "2.2.14"),
        (["libcnnl_extra.so.2.4.0"], "cnnl", None),
        (["libcnnl.so", "libcnnl.so.1"], "cnnl", None),  # links only: no version
        (["libcnnl.so.1.26.6.bak", "libcnnl.so.a.b"], "cnnl", None),
        (["libcnnl.so.1.26.6", "libcnnl.so.1.27.4"], "cnnl", "1.27.4"),
        ([], "cnnl", None),
    ],
)
def test_library_version(names: list[str], library: str, expected: Optional[str]) -> None:
    assert library_version(names, library) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.33.1+torch2.11.0", TorchMluVersion("1.33.1", "2.11.0", False)),
        ("1.25.0+torch2.4.1.cxx11.abi", TorchMluVersion("1.25.0", "2.4.1", True)),
        # torch_mlu.__version__ of old wheels (other-stacks.md A.1)
        ("1.17.0-torch1.13", TorchMluVersion("1.17.0", "1.13", False)),
        ("1.22.0", TorchMluVersion("1.22.0", None, False)),
        ("1.22.0+git1234", TorchMluVersion("1.22.0", None, False)),
        ("garbage", None),
        ("", None),
    ],
)
def test_torch_mlu_version(text: str, expected: Optional[TorchMluVersion]) -> None:
    assert parse_torch_mlu_version(text) == expected


def test_torch_mlu_key_drops_the_abi_suffix() -> None:
    parsed = parse_torch_mlu_version("1.25.0+torch2.4.1.cxx11.abi")
    assert parsed is not None
    assert parsed.key == "1.25.0+torch2.4.1"
    assert TorchMluVersion("1.22.0", None, False).key == "1.22.0"


_FUZZ = settings(max_examples=200, deadline=None)


@_FUZZ
@given(st.text())
def test_version_text_never_raises(text: str) -> None:
    result = parse_neuware_version(text)
    assert result is None or result[0].isdigit()


@_FUZZ
@given(st.lists(st.text(max_size=30), max_size=20), st.sampled_from(["cnnl", "cncl"]))
def test_library_version_never_raises(names: list[str], library: str) -> None:
    result = library_version(names, library)
    assert result is None or f"lib{library}.so.{result}" in names


@_FUZZ
@given(st.text(max_size=60))
def test_torch_mlu_version_never_raises(text: str) -> None:
    parsed = parse_torch_mlu_version(text)
    assert parsed is None or parsed.release[0].isdigit()
