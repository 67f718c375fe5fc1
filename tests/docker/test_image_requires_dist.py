"""`check --image` reads each distribution's `Requires-Dist` from the image's METADATA heads, as
the host does (chipdoctor/evidence/distmeta.py): bounded, no round trip per file, and a live
check of the image and a snapshot of it give the same findings. On a real Docker Engine and an
image built here FROM scratch."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chipdoctor.evidence.distmeta import MAX_METADATA_BYTES, LocalFiles, read_requires
from chipdoctor.evidence.image import ImageEvidence
from tests.conftest import run_cli
from tests.docker_engine import build_image, write

SITE = "/usr/local/lib/python3.10/site-packages"
#: LlamaFactory#5763, as pip reported it: "torchvision 0.18.1+cpu requires torch==2.3.1, but you
#: have torch 2.1.0 which is incompatible" (https://github.com/hiyouga/LlamaFactory/issues/5763).
TORCHVISION = (
    "Metadata-Version: 2.1\nName: torchvision\nVersion: 0.18.1+cpu\n"
    "Requires-Dist: numpy\nRequires-Dist: torch==2.3.1\n"
    "Requires-Dist: pillow!=8.3.*,>=5.3.0\n\n"
    "The description, which is not read:\nRequires-Dist: torch==9.9.9\n"
)
#: Headers past the first read (8 KiB), so the second, longer read is needed.
LONG = "".join(f"Classifier: Topic :: Entry {i:04d} of a long header block\n" for i in range(300))
#: A header block that never ends: read up to the limit, and not past it.
ENDLESS = "Requires-Dist: torch>=1.0\n" + "X-Filler: " + "x" * MAX_METADATA_BYTES + "\n"


#: A secret in the image's config Env that a file the probes read repeats (a build note).
REGISTRY_TOKEN = "Zq8pW2xR7vK4mN9tB3cY6"


def _metadata(name: str, version: str, headers: str = "") -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{headers}"


@pytest.fixture(scope="module")
def requires_image(client: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The image's tag, and the tree it was built from."""
    context = tmp_path_factory.mktemp("requires-image")
    rootfs = context / "rootfs"
    site = rootfs / SITE.lstrip("/")
    write(
        rootfs / "etc/os-release",
        f'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\nVARIANT="ci {REGISTRY_TOKEN}"\n',
    )
    write(rootfs / "usr/local/bin/python3", "#!/bin/sh\n", 0o755)
    files = {
        "torch-2.1.0": _metadata("torch", "2.1.0"),
        "torchvision-0.18.1+cpu": TORCHVISION,
        "long_headers-1.0": _metadata("long-headers", "1.0", LONG + "Requires-Dist: torch>=2\n"),
        "endless-1.0": _metadata("endless", "1.0", ENDLESS + "Requires-Dist: torch==0.1\n"),
        "numpy-1.26.4": _metadata("numpy", "1.26.4", "\nNo requirements.\n"),
    }
    for stem, text in files.items():
        write(site / f"{stem}.dist-info" / "METADATA", text)
    write(
        context / "Dockerfile",
        "FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/bin\n"
        f"ENV REGISTRY_TOKEN={REGISTRY_TOKEN}\n",
    )
    tag = "chipdoctor-test/requires-dist:1"
    build_image(client, context, tag)
    return tag, rootfs


class _Counted(ImageEvidence):
    """The real image evidence, counting its Engine API round trips."""

    trips = 0

    def _stat(self, path: str) -> dict[str, Any] | None:
        self.trips += 1
        return super()._stat(path)

    @contextlib.contextmanager
    def _archive(self, path: str) -> Iterator[Any]:
        self.trips += 1
        with super()._archive(path) as archive:
            yield archive


def test_the_image_requires_are_read_as_the_host_reads_them(
    client: Any, requires_image: tuple[str, Path]
) -> None:
    tag, rootfs = requires_image
    image = _Counted(client, tag)
    try:
        assert image.python.paths == (SITE,)
        before = image.trips
        requires = image.requires_dist()
        assert image.trips == before  # the heads came with the site's listing
        packages = image.python.packages
    finally:
        image.close()
    assert requires == {
        "torch": (),
        "torchvision": ("numpy", "torch==2.3.1", "pillow!=8.3.*,>=5.3.0"),
        "long-headers": ("torch>=2",),
        "endless": ("torch>=1.0",),  # the line past 128 KiB is not read
        "numpy": (),
    }
    on_disk = LocalFiles(lambda path: rootfs / path.lstrip("/"))
    assert read_requires(on_disk, [SITE], packages) == requires  # what the host reads of it


def test_a_live_check_of_the_image_and_its_snapshot_agree(
    client: Any, docker_host: str, requires_image: tuple[str, Path], tmp_path: Path
) -> None:
    tag, _ = requires_image
    live = json.loads(
        run_cli(
            "check", "--image", tag, "--format", "json", env={"DOCKER_HOST": docker_host}
        ).stdout
    )
    (unmet,) = [f for f in live["findings"] if f["id"] == "host.unmet-requirement"]
    assert unmet["severity"] == "error"
    assert "torch==2.3.1" in unmet["message"] and "2.1.0" in unmet["message"]
    snap = tmp_path / "snap"
    run_cli("snapshot", str(snap), "--image", tag, env={"DOCKER_HOST": docker_host})
    recorded = json.loads(run_cli("check", "--snapshot", str(snap), "--format", "json").stdout)
    assert recorded["findings"] == live["findings"]
    assert recorded["components"] == live["components"]
    written = b"".join(p.read_bytes() for p in snap.rglob("*") if p.is_file())
    assert b"VARIANT" in written and REGISTRY_TOKEN.encode() not in written


def test_past_the_budget_a_head_is_read_on_its_own(
    client: Any, requires_image: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The heads kept from listings are bounded; past the bound each file costs its own round
    trips and gives the same requirements."""
    import chipdoctor.evidence.image as image_module

    tag, _ = requires_image
    with ImageEvidence(client, tag) as image:
        everything = image.requires_dist()
    monkeypatch.setattr(image_module, "_MAX_KEPT_METADATA", 200)
    image = _Counted(client, tag)
    try:
        image.python  # noqa: B018 - lists the site
        assert sum(map(len, image._metadata.values())) <= 200
        before = image.trips
        assert image.requires_dist() == everything
        assert image.trips > before
    finally:
        image.close()
