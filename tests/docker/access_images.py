"""Images and host sides for the container access tests, and the recording of the container
scenario snapshots (tests/access_snapshots.py)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.access_trees import (
    ASCEND_NODES,
    HWHIAIUSER,
    AscendHost,
    Perms,
    build_object,
    char_node,
    write,
)
from tests.conftest import SNAPSHOTS
from tests.docker.python_image import PREFIX, python_rootfs, site_dir

ASCEND_IMAGE = "chipdoctor-test/cann-8.2.rc1-python:access"
ROCM_IMAGE = "chipdoctor-test/rocm-7.2-python:access"
#: The official image whose ENV lines the Ascend test image repeats (recipes/images.yaml).
OFFICIAL = "quay.io/ascend/cann:8.2.rc1-910b-ubuntu22.04-py3.11"
DRIVER_LIB64 = "/usr/local/Ascend/driver/lib64/"
VERSION_INFO = "/usr/local/Ascend/driver/version.info"
#: ROCm post-install: the linker configuration that puts ROCm's libraries in ld.so.cache
#: (https://rocm.docs.amd.com/projects/install-on-linux/en/docs-6.2.2/install/post-install.html).
ROCM_CONF = "/opt/rocm/lib\n/opt/rocm/lib64\n"
RENDER_GID = 109  # the render group of the Ubuntu images ROCm's docker docs use
#: /dev/kfd and the render nodes are `crw-rw---- root render` (ROCm/ROCm-docker #116); the
#: DRM major is 226 and render minors start at 128 (ROCm docker docs: "renderD<node>").
RENDER_NODE = ("renderD128", 226)


def _dockerfile(context: Path, env: list[tuple[str, str]]) -> None:
    lines = [
        "FROM scratch",
        "COPY rootfs/ /",
        f"ENV PATH={PREFIX}/bin:/usr/local/bin:/usr/bin:/bin",
    ]
    lines += [f"ENV {name}={value}" for name, value in env]
    write(context, "/Dockerfile", "\n".join(lines) + "\n")


def build_ascend_image(client: Any, context: Path) -> str:
    """The official CANN 8.2.RC1 image's layout and ENV, with torch_npu and no driver."""
    from chipdoctor.recipes.data import images

    rootfs = context / "rootfs"
    python_rootfs(rootfs, context)
    AscendHost(arch="x86_64", driver=False, nodes=False, site=site_dir()).build(rootfs)
    (official,) = [i for i in images() if i.reference == OFFICIAL]
    _dockerfile(context, list(official.environment))
    client.images.build(path=str(context), tag=ASCEND_IMAGE, rm=True, forcerm=True)
    return ASCEND_IMAGE


def build_rocm_image(client: Any, context: Path) -> str:
    """ROCm 7.2.0 under /opt/rocm, its ld.so.conf entry and cache, torch 2.11.0+rocm7.2."""
    rootfs = context / "rootfs"
    python_rootfs(rootfs, context)
    write(rootfs, "/opt/rocm/.info/version", "7.2.0\n")
    build_object(rootfs / "opt/rocm/lib/libamdhip64.so.7", "x86_64", soname="libamdhip64.so.7")
    (rootfs / "opt/rocm/lib/libamdhip64.so").symlink_to("libamdhip64.so.7")
    write(rootfs, "/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n")
    write(rootfs, "/etc/ld.so.conf.d/rocm.conf", ROCM_CONF)
    write(rootfs, "/etc/group", f"root:x:0:\nvideo:x:44:\nrender:x:{RENDER_GID}:\n")
    write(rootfs, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
    subprocess.run(["ldconfig", "-r", str(rootfs)], check=True)  # the image's ld.so.cache
    site = site_dir()
    # torch 2.11.0+rocm7.2 and its torch/version.py hip string (other-stacks.md C.1).
    write(
        rootfs,
        f"{site}/torch-2.11.0+rocm7.2.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: torch\nVersion: 2.11.0+rocm7.2\n",
    )
    write(
        rootfs,
        f"{site}/torch/version.py",
        "__version__ = '2.11.0+rocm7.2'\ncuda = None\nhip = '7.2.26015'\n",
    )
    _dockerfile(context, [])
    client.images.build(path=str(context), tag=ROCM_IMAGE, rm=True, forcerm=True)
    return ROCM_IMAGE


def ascend_host_side(host: Path) -> None:
    """The host of an Ascend container: NPU nodes as the driver makes them, and its files."""
    for name, major in ASCEND_NODES.items():
        char_node(host, f"/dev/{name}", major, Perms(HWHIAIUSER, HWHIAIUSER, 0o660))
    build_object(host / "driver/lib64/driver/libascend_hal.so", "x86_64", soname="libascend_hal.so")
    write(host, "/driver/version.info", "Version=25.0.rc1.1\npackage_version=25.0.rc1.1\n")


def rocm_host_side(host: Path) -> None:
    name, major = RENDER_NODE
    char_node(host, f"/dev/dri/{name}", major, Perms(0, RENDER_GID, 0o660))
    char_node(host, "/dev/kfd", 235, Perms(0, RENDER_GID, 0o660))


def ascend_devices(host: Path, *, leave_out: str = "") -> list[str]:
    return [f"{host}/dev/{n}:/dev/{n}:rwm" for n in ASCEND_NODES if n != leave_out]


@dataclass(frozen=True)
class ContainerOptions:
    """How a test container starts: the device nodes and volumes it gets, and its user."""

    devices: list[str]
    volumes: dict[str, Any] = field(default_factory=dict)
    user: str = ""


def run_in(
    client: Any, image: str, command: list[str], options: ContainerOptions
) -> tuple[int, str, str]:
    """Run a command in a fresh container without network; its exit code, stdout, stderr."""
    container = client.containers.run(
        image,
        command,
        detach=True,
        network_mode="none",
        devices=options.devices,
        volumes=options.volumes,
        user=options.user or None,
    )
    try:
        code = int(container.wait(timeout=120)["StatusCode"])
        out = container.logs(stdout=True, stderr=False).decode()
        err = container.logs(stdout=False, stderr=True).decode()
    finally:
        container.remove(force=True)
    return code, out, err


def check_in(client: Any, image: str, options: ContainerOptions) -> tuple[int, dict[str, Any]]:
    code, out, err = run_in(
        client, image, ["python3", "-m", "chipdoctor", "check", "--format", "json"], options
    )
    assert err == "", err
    return code, json.loads(out)


def record_container_scenarios(record: Callable[[str, Path, Callable[[Path], None]], None]) -> None:
    """Record `access-ascend-container-no-driver` and `access-rocm-no-kfd` (DOCKER_HOST)."""
    import tempfile

    import docker

    client = docker.DockerClient(base_url=os.environ["DOCKER_HOST"], timeout=600)
    with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
        base = Path(scratch)
        ascend = build_ascend_image(client, base / "ascend")
        rocm = build_rocm_image(client, base / "rocm")
        ascend_host_side(base / "ascend-host")
        rocm_host_side(base / "rocm-host")
        snapshot = ["python3", "-m", "chipdoctor", "snapshot", "/out/snap"]

        def ascend_run(out: Path) -> None:
            run_in(
                client,
                ascend,
                snapshot,
                ContainerOptions(
                    ascend_devices(base / "ascend-host"),
                    {str(out): {"bind": "/out", "mode": "rw"}},
                ),
            )

        def rocm_run(out: Path) -> None:
            name = RENDER_NODE[0]
            run_in(
                client,
                rocm,
                snapshot,
                ContainerOptions(
                    [f"{base}/rocm-host/dev/dri/{name}:/dev/dri/{name}:rwm"],
                    {str(out): {"bind": "/out", "mode": "rw"}},
                ),
            )

        record(
            "access-ascend-container-no-driver",
            SNAPSHOTS / "access-ascend-container-no-driver",
            ascend_run,
        )
        record("access-rocm-no-kfd", SNAPSHOTS / "access-rocm-no-kfd", rocm_run)
        client.close()
