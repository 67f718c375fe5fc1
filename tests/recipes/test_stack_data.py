"""Each stack's data in its own folder: `chipdoctor/stacks/<name>/stack.yaml`, read through the
registry and checked as strictly as the shared files were (FILE:LINE on a broken entry)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from chipdoctor.access.data import DataError, access_data, load_access
from chipdoctor.errors import BadInput
from chipdoctor.recipes.data import (
    SHARED_IMAGES,
    images,
    load_images,
    load_mounts,
    load_wheels,
    mounts,
    read_stack_file,
    stack_files,
    wheels,
)
from chipdoctor.stacks import STACKS
from chipdoctor.yamlio import read_yaml

PACKAGE = Path(importlib.import_module("chipdoctor").__file__ or "").parent

#: A stack with every section, in the format of docs/stack-yaml.md.
GOOD = """\
format: chipdoctor-stack/1
access:
  driver: npu_driver
  extension: {package: torch-npu, objects: []}
  providers:
    driver:
      what: the driver
      installed: npu_driver
      install: install the driver
      host: [/opt/driver/lib]
  libraries:
    - {name: libdrv.so, provider: driver}
mounts:
  source: "a cited page"
  devices: ["/dev/npu{index}"]
  volumes: ["/opt/driver/lib:/opt/driver/lib"]
images:
  - repository: "quay.io/ascend/cann"
    tag: "{cann}-py{python}"
    source: cann-container-image
    provides: [cann, python]
    releases:
      - {cann: "8.5.0", python: ["3.10", "3.11"]}
wheels:
  torch-npu:
    index_url: ""
    source: "a cited page"
"""

#: The descriptor of a stack folder outside chipdoctor: only its own folder holds its data.
DESCRIPTOR = """\
from chipdoctor.stacks.interface import Stack


class NewStack(Stack):
    name = "newstack"
    title = "New"
    components = ()

    def probe(self):
        raise NotImplementedError

    def evaluate(self, inventory, matrix):
        return []


STACK = NewStack()
"""


def stack_file(tmp_path: Path, text: str, name: str = "newstack") -> Path:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    path = folder / "stack.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_stack_reads_the_stack_yaml_beside_its_descriptor() -> None:
    for name, stack in STACKS.items():
        assert stack.data_file() == PACKAGE / "stacks" / name / "stack.yaml"
    assert list(stack_files()) == ["ascend", "cambricon", "dcu", "rocm", "cuda"]  # MUSA: none
    assert {i.stack for i in images()} == set(mounts()) == set(access_data()) == set(stack_files())
    assert set(wheels()) == {"ascend"}
    # The per-stack lists are gone from the shared places: only what stacks share is left there.
    assert not (PACKAGE / "access" / "stacks.yaml").exists()
    assert not (PACKAGE / "recipes" / "mounts.yaml").exists()
    assert not (PACKAGE / "recipes" / "wheels.yaml").exists()
    assert set(read_yaml(SHARED_IMAGES).data) == {"format", "sources", "environments"}


def test_a_new_stack_folder_needs_no_shared_list(tmp_path: Path, monkeypatch: Any) -> None:
    path = stack_file(tmp_path, GOOD)
    (path.parent / "__init__.py").write_text(DESCRIPTOR, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("newstack", path.parent / "__init__.py")
    assert spec is not None and spec.loader is not None
    descriptor = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "newstack", descriptor)  # gone again after the test
    spec.loader.exec_module(descriptor)
    assert descriptor.STACK.data_file() == path
    stacks = {"newstack": read_stack_file(descriptor.STACK.data_file())}
    tags = load_images(read_yaml(SHARED_IMAGES), stacks)
    assert [t.reference for t in tags] == [
        "quay.io/ascend/cann:8.5.0-py3.10",
        "quay.io/ascend/cann:8.5.0-py3.11",
    ]
    layout = load_mounts(stacks)
    assert layout["newstack"].device_nodes(2) == ["/dev/npu0", "/dev/npu1"]
    assert load_wheels(stacks)["newstack"]["torch-npu"].index_url == ""
    access = load_access(stacks, layout)["newstack"]
    assert [v.host for v in access.volumes] == ["/opt/driver/lib"]
    assert access.libraries[0].provider == "driver"


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "format: chipdoctor-stack/1",
            "format: chipdoctor-stack/2",
            1,
            "format: chipdoctor-stack/1",
        ),
        ("wheels:\n", "wheel:\n", 24, "unknown section 'wheel'"),
        ("wheels:\n  torch-npu:", "wheels:\n  - torch-npu:", 24, "wheels must be a mapping"),
        ('"quay.io/ascend/cann"', '"quay.io/ascend/cann;rm -rf /"', 18, "image reference"),
        ("source: cann-container-image", "source: nowhere", 20, "'nowhere' is not defined"),
        ('cann: "8.5.0"', 'cann: "8.5.0 && id"', 23, "version"),
        ('"3.11"]}', '"3.11"], environment: nowhere}', 23, "no such environment"),
        ('devices: ["/dev/npu{index}"]', 'devices: ["/etc/passwd"]', 15, "device"),
        ('index_url: ""', 'index_url: "ftp://x"', 26, "URL"),
    ],
)
def test_a_broken_entry_names_its_stack_yaml_and_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD
    path = stack_file(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(BadInput) as caught:
        stacks = {"newstack": read_stack_file(path)}
        load_images(read_yaml(SHARED_IMAGES), stacks)
        load_mounts(stacks)
        load_wheels(stacks)
    assert f"{path}:{line}" in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("provider: driver}", "provider: toolkit}", 12, "newstack: libdrv.so names no provider"),
        ("host: [/opt/driver/lib]", "host: [/opt/other]", 10, "/opt/other is no volume"),
        ("mounts:\n", "mountz:\n", 13, "unknown section 'mountz'"),
    ],
)
def test_broken_access_data_names_its_stack_yaml_and_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD
    path = stack_file(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises((DataError, BadInput)) as caught:
        stacks = {"newstack": read_stack_file(path)}
        load_access(stacks, load_mounts(stacks))
    assert f"{path}:{line}" in str(caught.value)
    assert message in str(caught.value)


def test_access_without_mounts_is_refused(tmp_path: Path) -> None:
    text = GOOD.split("mounts:\n", maxsplit=1)[0]
    path = stack_file(tmp_path, text)
    stacks = {"newstack": read_stack_file(path)}
    with pytest.raises(DataError, match=r":2: newstack has access but no mounts section$"):
        load_access(stacks, load_mounts(stacks))


def test_the_shared_images_file_keeps_no_stack_entries(tmp_path: Path) -> None:
    shared = tmp_path / "images.yaml"
    shared.write_text(SHARED_IMAGES.read_text(encoding="utf-8") + "stacks: {}\n", encoding="utf-8")
    lines = len(shared.read_text(encoding="utf-8").splitlines())
    with pytest.raises(BadInput, match=rf"images.yaml:{lines}: unknown key 'stacks'"):
        load_images(read_yaml(shared), {})
