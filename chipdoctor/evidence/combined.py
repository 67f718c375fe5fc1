"""An image on this machine: the image's files, environment and Python, plus what a container
of it would see from the host, namely the devices, driver files and tools the stack's
`docker run` line passes in (each stack.yaml's `mounts:`). This answers "will this image run
here?"."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from chipdoctor.evidence.base import (
    CommandResult,
    DockerEngine,
    FileStat,
    Identity,
    PlatformInfo,
    PythonInfo,
)
from chipdoctor.evidence.commands import argv_for
from chipdoctor.loader.devcode import DeviceCode
from chipdoctor.loader.elf import ElfInfo
from chipdoctor.loader.symbols import Unresolved

if TYPE_CHECKING:
    from chipdoctor.evidence.host import HostEvidence
    from chipdoctor.evidence.image import ImageEvidence


class ImageOnHostEvidence:
    """Paths under a bind mount read from the host; every other path from the image."""

    def __init__(
        self,
        image: ImageEvidence,
        host: HostEvidence,
        volumes: list[tuple[str, str]],
        devices: list[str],
    ) -> None:
        self.image = image
        self.host = host
        # Device nodes `docker run --device` passes; `{index}` stands for one per device.
        self._devices = [
            re.compile(re.escape(d).replace(re.escape("{index}"), "[0-9]+") + r"\Z")
            for d in devices
        ]
        # (container path, host path), longest first so the most specific mount wins.
        self._mounts = sorted(
            ((c.rstrip("/") or "/", h.rstrip("/") or "/") for h, c in volumes),
            key=lambda pair: -len(pair[0]),
        )

    def _host_path(self, path: str) -> str | None:
        if any(device.match(path) for device in self._devices):
            return path
        for container, host in self._mounts:
            if path == container or path.startswith(container + "/"):
                return host + path[len(container) :]
        return None

    def read_text(self, path: str) -> str | None:
        mapped = self._host_path(path)
        return self.image.read_text(path) if mapped is None else self.host.read_text(mapped)

    def list_dir(self, path: str) -> list[str] | None:
        mapped = self._host_path(path)
        if mapped is not None:
            return self.host.list_dir(mapped)
        entries = self.image.list_dir(path)
        if path.rstrip("/") == "/dev":  # the image's /dev plus the host devices passed in
            passed = [n for n in self.host.list_dir("/dev") or [] if self._host_path(f"/dev/{n}")]
            entries = sorted({*(entries or []), *passed})
        return entries

    def is_dir(self, path: str) -> bool:
        mapped = self._host_path(path)
        return self.image.is_dir(path) if mapped is None else self.host.is_dir(mapped)

    def environment(self) -> dict[str, str]:
        """The container's environment is the image's."""
        return self.image.environment()

    def stat(self, path: str) -> FileStat | None:
        mapped = self._host_path(path)
        return self.image.stat(path) if mapped is None else self.host.stat(mapped)

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        mapped = self._host_path(path)
        if mapped is None:
            return self.image.read_bytes(path, limit)
        return self.host.read_bytes(mapped, limit)

    def elf(self, path: str) -> ElfInfo | None:
        mapped = self._host_path(path)
        return self.image.elf(path) if mapped is None else self.host.elf(mapped)

    def device_code(self, path: str) -> DeviceCode | None:
        mapped = self._host_path(path)
        return self.image.device_code(path) if mapped is None else self.host.device_code(mapped)

    def unresolved_symbols(self, path: str, providers: tuple[str, ...]) -> Unresolved | None:
        """On the host only where the library and every provider are mapped from it."""
        mapped = [self._host_path(p) for p in (path, *providers)]
        if any(m is None for m in mapped):
            return self.image.unresolved_symbols(path, providers)
        here = [m for m in mapped if m is not None]
        return self.host.unresolved_symbols(here[0], tuple(here[1:]))

    def defined_symbols(self, path: str, names: tuple[str, ...]) -> frozenset[str] | None:
        mapped = self._host_path(path)
        if mapped is None:
            return self.image.defined_symbols(path, names)
        return self.host.defined_symbols(mapped, names)

    def identity(self) -> Identity:
        """The container runs as the image's user."""
        return self.image.identity()

    def host_name(self) -> str | None:
        """An image is no node."""
        return None

    def docker_engine(self) -> DockerEngine | None:
        """The engine of the host the container would run on."""
        return self.host.docker_engine()

    def requires_dist(self) -> Mapping[str, tuple[str, ...]]:
        """The image's distributions are the container's."""
        return self.image.requires_dist()

    def getenv(self, name: str) -> str | None:
        return self.image.getenv(name)

    def run(self, key: str) -> CommandResult | None:
        """A vendor tool runs from the host when the recipe mounts it into the container."""
        tool = argv_for(key)[0]
        if any(container.rsplit("/", 1)[-1] == tool for container, _ in self._mounts):
            return self.host.run(key)
        return self.image.run(key)

    @property
    def platform(self) -> PlatformInfo:
        return self.image.platform

    @property
    def python(self) -> PythonInfo:
        return self.image.python
