"""`chipdoctor check` run inside real containers through the Docker Engine (`--network none`).

The Ascend image is laid out like the official CANN 8.2.RC1 image (toolkit, torch_npu, the
image's ENV lines) and, like it, has no driver (ascend.md §5.1: "The images contain no
driver"). The ROCm image has ROCm 7.2.0 under /opt/rocm with its ld.so.conf entry and a cache
written by ldconfig. The host side is real too: character device nodes made with mknod and
passed with `--device`, and a driver directory bind-mounted with `-v`, or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.access_trees import HWHIAIUSER, compiler
from tests.docker.access_images import (
    DRIVER_LIB64,
    RENDER_NODE,
    VERSION_INFO,
    ContainerOptions,
    ascend_devices,
    ascend_host_side,
    build_ascend_image,
    build_rocm_image,
    check_in,
    rocm_host_side,
)


@pytest.fixture(scope="module")
def ascend_image(client: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    if compiler("x86_64") is None:
        pytest.skip("no C compiler (cc) to build the image's shared objects")
    return build_ascend_image(client, tmp_path_factory.mktemp("ascend-image"))


@pytest.fixture(scope="module")
def host_side(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    host = tmp_path_factory.mktemp("host")
    ascend_host_side(host)
    yield host


def _by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in report["findings"]}


def _errors(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["severity"] == "error"]


def test_driver_not_mounted_is_named_from_inside(
    client: Any, ascend_image: str, host_side: Path
) -> None:
    code, report = check_in(client, ascend_image, ContainerOptions(ascend_devices(host_side)))
    assert code == 1
    (finding,) = _errors(report)
    assert finding["id"] == "ascend.library-not-mounted"
    assert "libascend_hal.so" in finding["message"]
    assert "a Docker container (/.dockerenv" in finding["message"]
    assert finding["fix"] == (
        f"Start the container with -v {DRIVER_LIB64}:{DRIVER_LIB64} "
        f"-v {VERSION_INFO}:{VERSION_INFO}"
    )
    missing = _by_id(report)["ascend.container-mounts"]["message"].split("missing: ", 1)[1]
    assert f"{DRIVER_LIB64}, {VERSION_INFO}" in missing


def test_mounted_driver_comes_from_the_host(
    client: Any, ascend_image: str, host_side: Path
) -> None:
    volumes = {
        str(host_side / "driver/lib64"): {"bind": DRIVER_LIB64, "mode": "ro"},
        str(host_side / "driver/version.info"): {"bind": VERSION_INFO, "mode": "ro"},
    }
    code, report = check_in(
        client, ascend_image, ContainerOptions(ascend_devices(host_side), volumes)
    )
    assert not _errors(report), report["findings"]
    where = _by_id(report)["ascend.libraries"]["message"]
    assert (
        "libascend_hal.so -> /usr/local/Ascend/driver/lib64/driver/libascend_hal.so "
        "(LD_LIBRARY_PATH, from the host)" in where
    )
    assert (
        "libascendcl.so -> /usr/local/Ascend/ascend-toolkit/latest/lib64/libascendcl.so "
        "(LD_LIBRARY_PATH, from the image)" in where
    )
    assert {c["id"]: c["version"] for c in report["components"]}["ascend_driver"] == "25.0.rc1.1"
    assert code == 0


def test_user_outside_the_device_group_gets_the_group_add_flag(
    client: Any, ascend_image: str, host_side: Path
) -> None:
    volumes = {str(host_side / "driver/lib64"): {"bind": DRIVER_LIB64, "mode": "ro"}}
    code, report = check_in(
        client, ascend_image, ContainerOptions(ascend_devices(host_side), volumes, user="1001:1001")
    )
    finding = _by_id(report)["ascend.device-permission"]
    assert finding["severity"] == "error"
    assert "cannot open /dev/davinci0 (crw-rw---- HwHiAiUser HwHiAiUser)" in finding["message"]
    assert finding["fix"] == f"Start the container with --group-add {HWHIAIUSER}"
    assert code == 1


def test_missing_device_node_names_the_device_flag(
    client: Any, ascend_image: str, host_side: Path
) -> None:
    volumes = {str(host_side / "driver/lib64"): {"bind": DRIVER_LIB64, "mode": "ro"}}
    devices = ascend_devices(host_side, leave_out="davinci0")
    code, report = check_in(client, ascend_image, ContainerOptions(devices, volumes))
    (finding,) = _errors(report)
    assert finding["id"] == "ascend.device-missing"
    assert finding["fix"].startswith("Start the container with --device /dev/davinci0")
    assert code == 1


def test_rocm_container_without_kfd(client: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    if compiler("x86_64") is None:
        pytest.skip("no C compiler (cc) to build the image's shared objects")
    image = build_rocm_image(client, tmp_path_factory.mktemp("rocm-image"))
    host = tmp_path_factory.mktemp("rocm-host")
    rocm_host_side(host)
    name = RENDER_NODE[0]
    render = f"{host}/dev/dri/{name}:/dev/dri/{name}:rwm"
    code, report = check_in(client, image, ContainerOptions([render]))
    (finding,) = _errors(report)
    assert finding["id"] == "rocm.device-missing"
    assert finding["fix"].startswith("Start the container with --device /dev/kfd")
    where = _by_id(report)["rocm.libraries"]["message"]
    assert "libamdhip64.so -> /opt/rocm/lib/libamdhip64.so (ld.so.cache, from the image)" in where
    assert code == 1
    code, report = check_in(
        client, image, ContainerOptions([render, f"{host}/dev/kfd:/dev/kfd:rwm"])
    )
    assert not _errors(report), report["findings"]
