"""docker-py at the edge: the adapter's stat and archive requests, and the bounded reads of
ImageEvidence, on a real engine."""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chipdoctor.evidence.docker_api import EngineRefused, archive_chunks, path_stat
from chipdoctor.evidence.image import ImageEvidence
from tests.docker_engine import build_image, write

PACKAGE = Path(__file__).resolve().parents[2] / "chipdoctor"
ADAPTER = PACKAGE / "evidence" / "docker_api.py"
BIG_BYTES = 64 << 20
#: Go's os.FileMode bits (the engine's stat header).
MODE_DIR, MODE_SYMLINK = 1 << 31, 1 << 27


@pytest.fixture(scope="module")
def files_image(client: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    context = tmp_path_factory.mktemp("files-image")
    write(context / "rootfs/etc/version.info", "Version=24.1.rc2\n")
    (context / "rootfs/opt/big").mkdir(parents=True)
    with (context / "rootfs/opt/big/blob").open("wb") as handle:
        handle.write(b"\x7fELF" + bytes(BIG_BYTES - 4))
    (context / "rootfs/etc/link.info").symlink_to("version.info")
    write(context / "Dockerfile", "FROM scratch\nCOPY rootfs/ /\n")
    tag = "chipdoctor-test/files:1"
    build_image(client, context, tag)
    return tag


@pytest.fixture
def container(client: Any, files_image: str) -> Iterator[str]:
    created = client.api.create_container(files_image, command=["/never-started"])
    yield created["Id"]
    client.api.remove_container(created["Id"], force=True)


def test_path_stat_of_a_file_a_directory_a_link_and_nothing(client: Any, container: str) -> None:
    api = client.api
    file = path_stat(api, container, "/etc/version.info")
    assert file is not None
    assert (file["name"], file["size"], file["mode"] & 0o777) == ("version.info", 17, 0o644)
    directory = path_stat(api, container, "/opt/big")
    assert directory is not None and directory["mode"] & MODE_DIR
    link = path_stat(api, container, "/etc/link.info")
    assert link is not None and link["mode"] & MODE_SYMLINK
    assert link["linkTarget"] == "/etc/version.info"  # the engine resolves it
    assert path_stat(api, container, "/etc/none") is None


def test_archive_chunks_of_a_file_and_of_nothing(client: Any, container: str) -> None:
    with archive_chunks(client.api, container, "/etc/version.info", 1 << 16) as chunks:
        data = b"".join(chunks)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        member = archive.next()
        assert member is not None and member.name == "version.info"
        handle = archive.extractfile(member)
        assert handle is not None and handle.read() == b"Version=24.1.rc2\n"
    missing = archive_chunks(client.api, container, "/etc/none", 1 << 16)
    with pytest.raises(EngineRefused, match="Could not find the file /etc/none"), missing:
        pass


def _engine_writes(docker_host: str) -> int:
    """Every byte the engine has written through write(2), its API sockets included."""
    pid = (Path(docker_host.removeprefix("unix://")).parent / "docker.pid").read_text().strip()
    match = re.search(r"^wchar: ([0-9]+)$", Path(f"/proc/{pid}/io").read_text(), re.MULTILINE)
    assert match is not None
    return int(match.group(1))


def test_a_bounded_read_stops_the_stream(
    client: Any, docker_host: str, files_image: str, container: str
) -> None:
    """Sixteen bytes of a 64 MiB file, and its tar header, cost the engine a few socket buffers,
    not the file; a whole read costs it all (which shows the measure sees the difference)."""
    with ImageEvidence(client, files_image) as image:
        before = _engine_writes(docker_host)
        assert image.read_bytes("/opt/big/blob", 16) == b"\x7fELF" + bytes(12)
        assert image.stat("/opt/big/blob") is not None
        bounded = _engine_writes(docker_host) - before
    before = _engine_writes(docker_host)
    chunks, _ = client.api.get_archive(container, "/opt/big/blob")
    assert sum(len(chunk) for chunk in chunks) > BIG_BYTES
    whole = _engine_writes(docker_host) - before
    assert whole > BIG_BYTES
    assert bounded < BIG_BYTES // 4, f"the engine sent {bounded} bytes for two small reads"


def test_only_the_adapter_reaches_into_docker_py() -> None:
    """docker-py's private helpers (`_url`, `_get`, `_raise_for_status`, …) change without
    notice; the one request the public API lacks is made in evidence/docker_api.py."""
    private = re.compile(r"\b_?api\._(?!_)[a-z]\w*|\._(?:url|get|post|raise_for_status)\(")
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != ADAPTER
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if private.search(line)
    ]
    assert offenders == []
