"""A container image read through the Docker Engine API, without ever starting it.

A container is created from the image (never started) and only the paths the probes ask for
are copied out of it (`GET /containers/{id}/archive`); the environment is the image config's
`Env`; Python packages are the `*.dist-info` directories of the image's site directories. No
command runs: `run()` answers "not installed". `close()` removes the container.

NOTE: the engine can only copy whole trees, so listing a directory streams its subtree (tar
headers are read, file contents skipped); the listing of every directory inside it is kept,
so a CANN install or a site-packages directory is streamed once. The header blocks of the
`*.dist-info/METADATA` files passing by are kept too (bounded, as the host reads them:
evidence/distmeta.py), so each distribution's `Requires-Dist` costs no round trip of its own.
"""

from __future__ import annotations

import contextlib
import io
import re
import tarfile
from collections.abc import Iterator, Mapping
from functools import cached_property
from posixpath import dirname, join, normpath
from typing import Any

from chipdoctor.errors import BadInput
from chipdoctor.evidence import distmeta
from chipdoctor.evidence.base import (
    MACHINE,
    MAX_FILE_BYTES,
    CommandResult,
    DockerEngine,
    FileStat,
    Identity,
    NotRecorded,
    PlatformInfo,
    PythonInfo,
    UnreadableError,
    normalize_name,
)
from chipdoctor.evidence.docker_api import EngineRefused, archive_chunks, path_stat
from chipdoctor.evidence.fsfacts import NameOf, table_names
from chipdoctor.evidence.pyinfo import DIST_INFO
from chipdoctor.loader.devcode import DeviceCode
from chipdoctor.loader.elf import ElfError, ElfInfo, parse_elf_bytes
from chipdoctor.loader.symbols import Unresolved
from chipdoctor.parsers.keyvalue import parse_key_values

# Go's os.FileMode bits in the engine's path stat (X-Docker-Container-Path-Stat).
_MODE_DIR = 1 << 31
_MODE_SYMLINK = 1 << 27
_MAX_LINKS = 8
#: Bytes per read of an archive stream: small, so a bounded read stops soon after its bytes.
_CHUNK_BYTES = 1 << 16
#: The most of one file `elf()` reads (as a snapshot does): the headers come first.
_MAX_ELF_BYTES = 1 << 26
_TAR_KINDS = {
    tarfile.REGTYPE: "file",
    tarfile.AREGTYPE: "file",
    tarfile.DIRTYPE: "dir",
    tarfile.CHRTYPE: "char",
    tarfile.BLKTYPE: "block",
    tarfile.FIFOTYPE: "fifo",
}
_ARCH = {"amd64": "x86_64", "arm64": "aarch64", "ppc64le": "ppc64le", "s390x": "s390x"}
_PYTHON_PREFIX = re.compile(r"python(3\.[0-9]+(?:\.[0-9]+)?)$")
#: Minor versions probed for `<prefix>/lib/python3.N/site-packages`.
_PYTHON_MINORS = tuple(f"3.{n}" for n in range(16, 5, -1))
#: Debian/Ubuntu system site directories (checked when the interpreter lives in /usr).
_SYSTEM_SITES = ("/usr/lib/python3/dist-packages",)
#: The most METADATA header bytes kept from listings, all files together (a header block is a
#: few kilobytes; past this, a file is read on its own, two round trips).
_MAX_KEPT_METADATA = 16 << 20


class ImageEvidence:
    """Evidence from an image; `client` is a docker.DockerClient."""

    def __init__(self, client: Any, image: str) -> None:
        import docker.errors

        self.image = image
        self._api = client.api
        try:
            self._inspect = self._api.inspect_image(image)
        except docker.errors.ImageNotFound:
            raise BadInput(
                f"no such image on the Docker Engine: {image} (pull or build it first)"
            ) from None
        except docker.errors.APIError as exc:
            raise BadInput(
                f"the Docker Engine refused to inspect {image}: {exc.explanation}"
            ) from None
        # The command is never run: the container only gives the engine a file system to copy from.
        created = self._api.create_container(
            image, command=["/chipdoctor-never-started"], network_disabled=True
        )
        self._container = created["Id"]
        self._children: dict[str, list[str]] = {}
        #: path of a `*.dist-info/METADATA` -> its header block, kept while listing.
        self._metadata: dict[str, bytes] = {}
        self._metadata_bytes = 0

    def close(self) -> None:
        self._api.remove_container(self._container, force=True)

    def __enter__(self) -> ImageEvidence:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- files -------------------------------------------------------------------------------

    def _stat(self, path: str) -> dict[str, Any] | None:
        try:
            return path_stat(self._api, self._container, path)
        except EngineRefused as exc:
            raise UnreadableError(path, f"the engine refused: {exc}") from None

    def _resolve(self, path: str) -> tuple[str, dict[str, Any]] | None:
        """Follow a final symlink (the engine resolves the ones before it)."""
        for _ in range(_MAX_LINKS):
            stat = self._stat(path)
            if stat is None:
                return None
            if not stat["mode"] & _MODE_SYMLINK:
                return path, stat
            target = stat.get("linkTarget") or ""
            path = normpath(target if target.startswith("/") else join(dirname(path), target))
        raise UnreadableError(path, "too many levels of symbolic links")

    @contextlib.contextmanager
    def _archive(self, path: str) -> Iterator[tarfile.TarFile]:
        """The path as a tar stream; leaving the block drops the rest of the stream unread."""
        stream = archive_chunks(self._api, self._container, path, _CHUNK_BYTES)
        try:
            with stream as chunks, tarfile.open(fileobj=_ChunkReader(chunks), mode="r|") as tar:
                yield tar
        except EngineRefused as exc:
            raise UnreadableError(path, f"the engine refused: {exc}") from None

    def _first(self, path: str) -> tarfile.TarInfo | None:
        """The path's own tar header (symlinks followed), or None when it does not exist."""
        found = self._resolve(path)
        if found is None:
            return None
        with self._archive(found[0]) as archive:
            for member in archive:
                return member
        return None

    def _bytes(self, path: str, limit: int) -> bytes | None:
        found = self._resolve(path)
        if found is None:
            return None
        real, stat = found
        if stat["mode"] & _MODE_DIR:
            raise UnreadableError(path, "is a directory")
        with self._archive(real) as archive:
            for member in archive:
                handle = archive.extractfile(member)
                if handle is None:
                    raise UnreadableError(path, "not a regular file")
                return handle.read(limit)
        return None

    def read_text(self, path: str) -> str | None:
        found = self._resolve(path)
        if found is not None and found[1].get("size", 0) > MAX_FILE_BYTES:
            raise UnreadableError(path, f"larger than {MAX_FILE_BYTES} bytes")
        data = self._bytes(path, MAX_FILE_BYTES)
        return None if data is None else data.decode("utf-8", errors="replace")

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        return self._bytes(path, limit)

    def elf(self, path: str) -> ElfInfo | None:
        data = self._bytes(path, _MAX_ELF_BYTES)
        if data is None:
            return None
        try:
            return parse_elf_bytes(data)
        except ElfError as exc:
            raise UnreadableError(path, str(exc)) from None

    def device_code(self, path: str) -> DeviceCode | None:
        """Not read from an image: a CUDA torch's library weighs a gigabyte; the published
        architecture lists stand in."""
        raise NotRecorded(f"the device code of {path}")

    def unresolved_symbols(self, path: str, providers: tuple[str, ...]) -> Unresolved | None:
        """Not read from an image: a layer is a stream, and torch's libraries weigh hundreds
        of megabytes; the check runs on the host or its snapshot."""
        raise NotRecorded(f"the dynamic symbols of {path}")

    def defined_symbols(self, path: str, names: tuple[str, ...]) -> frozenset[str] | None:
        raise NotRecorded(f"the dynamic symbols of {path}")

    def stat(self, path: str) -> FileStat | None:
        member = self._first(path)
        if member is None:
            return None
        user, group = self._names
        return FileStat(
            _TAR_KINDS.get(member.type, "other"),
            member.mode & 0o7777,
            member.uid,
            member.gid,
            member.uname or user(member.uid),
            member.gname or group(member.gid),
        )

    def host_name(self) -> str | None:
        """An image is no node."""
        return None

    def docker_engine(self) -> DockerEngine | None:
        """An image holds no engine (`check --image` asks the host's, ImageOnHostEvidence)."""
        return None

    def requires_dist(self) -> Mapping[str, tuple[str, ...]]:
        return self._requires_dist

    @cached_property
    def _requires_dist(self) -> Mapping[str, tuple[str, ...]]:
        python = self.python  # lists the sites: their METADATA heads are kept on the way
        return distmeta.read_requires(_MetadataHeads(self), python.paths, python.packages)

    def identity(self) -> Identity:
        """The image's USER (root when it sets none), named from its own /etc/passwd."""
        spec = str((self._inspect.get("Config") or {}).get("User") or "0")
        user_part, _, group_part = spec.partition(":")
        passwd = self._quiet("/etc/passwd")
        uid = _id(user_part, _table(passwd))
        gid = (
            _id(group_part, _table(self._quiet("/etc/group"))) if group_part else _gid(passwd, uid)
        )
        user_name, group_name = self._names
        return Identity(uid, gid, user_name(uid), ((gid, group_name(gid)),))

    @cached_property
    def _names(self) -> tuple[NameOf, NameOf]:
        return table_names(self._quiet("/etc/passwd"), self._quiet("/etc/group"))

    def _quiet(self, path: str) -> str | None:
        try:
            return self.read_text(path)
        except UnreadableError:
            return None

    def list_dir(self, path: str) -> list[str] | None:
        key = normpath(path)
        if key in self._children:
            return list(self._children[key])
        found = self._resolve(key)
        if found is None or not found[1]["mode"] & _MODE_DIR:
            return None
        real, _ = found
        base = key.rstrip("/")
        tree: dict[str, set[str]] = {key: set()}
        with self._archive(real) as archive:
            for member in archive:
                parts = member.name.strip("/").split("/")[1:]  # drop the archive's own top name
                if not parts or not parts[-1]:
                    continue
                tree.setdefault("/".join([base, *parts[:-1]]) or "/", set()).add(parts[-1])
                if member.isdir():
                    tree.setdefault("/".join([base, *parts]), set())
                elif parts[-1] == "METADATA" and len(parts) > 1 and DIST_INFO.match(parts[-2]):
                    self._keep_metadata("/".join([base, *parts]), archive, member)
        for directory, names in tree.items():
            self._children[directory] = sorted(names)
        return list(self._children[key])

    def is_dir(self, path: str) -> bool:
        """A directory a listing streamed is known without a round trip; another path is
        asked of the engine (a snapshot asks this of the entries the probes listed)."""
        key = normpath(path)
        if key in self._children:
            return True
        found = self._resolve(key)
        return found is not None and bool(found[1]["mode"] & _MODE_DIR)

    def environment(self) -> dict[str, str]:
        """The image config's `Env`: a snapshot of the image redacts its secret values."""
        return dict(self._env)

    def _keep_metadata(self, path: str, archive: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        """The header block of a METADATA file the stream is passing, within the budget."""
        if not member.isreg() or self._metadata_bytes >= _MAX_KEPT_METADATA:
            return
        handle = archive.extractfile(member)
        if handle is None:
            return
        head = distmeta.header_block(distmeta.read_head(handle.read))
        if self._metadata_bytes + len(head) <= _MAX_KEPT_METADATA:
            self._metadata[path] = head
            self._metadata_bytes += len(head)

    def metadata_head(self, path: str, limit: int) -> bytes | None:
        """Up to `limit` bytes of a METADATA file's header block: kept from a listing, else
        read from the image."""
        kept = self._metadata.get(normpath(path))
        return kept[:limit] if kept is not None else self.read_bytes(path, limit)

    def _exists(self, path: str) -> bool:
        return self._resolve(path) is not None

    # -- environment, platform, Python --------------------------------------------------------

    @cached_property
    def _env(self) -> dict[str, str]:
        pairs = (self._inspect.get("Config") or {}).get("Env") or []
        return dict(item.split("=", 1) for item in pairs if "=" in item)

    def getenv(self, name: str) -> str | None:
        return self._env.get(name)

    def run(self, key: str) -> CommandResult | None:
        return None  # an image is never started: no command runs in it

    @cached_property
    def platform(self) -> PlatformInfo:
        text = None
        for candidate in ("/etc/os-release", "/usr/lib/os-release"):
            try:
                text = self.read_text(candidate)
            except UnreadableError:
                continue
            if text is not None:
                break
        os_release = {
            k: v.strip().strip('"').strip("'") for k, v in parse_key_values(text or "").items()
        }
        machine = str(self._inspect.get("Architecture", ""))
        return PlatformInfo(
            system=str(self._inspect.get("Os", "linux")).capitalize(),
            # NOTE: the image's word for it; one that is no machine name is not known.
            machine=_ARCH.get(machine, machine) if MACHINE.fullmatch(machine) else "",
            os_release=os_release,
        )

    @cached_property
    def python(self) -> PythonInfo:
        """The first interpreter on the image's PATH, and the distributions of its sites."""
        for directory in (self._env.get("PATH") or "").split(":"):
            if not directory.startswith("/") or not any(
                self._exists(f"{directory.rstrip('/')}/{name}") for name in ("python3", "python")
            ):
                continue
            prefix = dirname(directory.rstrip("/")) or "/"
            sites, version = self._sites(prefix)
            if not sites:
                continue
            packages: dict[str, str] = {}
            for site in sites:
                for name in self.list_dir(site) or []:
                    match = DIST_INFO.match(name)
                    if match:
                        packages.setdefault(normalize_name(match["name"]), match["version"])
            return PythonInfo(version=version, packages=packages, paths=tuple(sites))
        return PythonInfo()

    def _sites(self, prefix: str) -> tuple[list[str], str]:
        named = _PYTHON_PREFIX.search(prefix)
        for minor in _PYTHON_MINORS:
            site = f"{prefix.rstrip('/')}/lib/python{minor}/site-packages"
            if self._exists(site):
                sites = [site]
                if prefix == "/usr":
                    local = f"/usr/local/lib/python{minor}/dist-packages"
                    sites += [s for s in (local, *_SYSTEM_SITES) if self._exists(s)]
                full = named.group(1) if named and named.group(1).startswith(minor) else minor
                return sites, full
        if prefix == "/usr":
            sites = [s for s in _SYSTEM_SITES if self._exists(s)]
            return sites, ""
        return [], ""


class _MetadataHeads:
    """The image's files as distmeta.read_requires reads them: listings, and METADATA heads."""

    def __init__(self, image: ImageEvidence) -> None:
        self._image = image

    def list_dir(self, path: str) -> list[str] | None:
        return self._image.list_dir(path)

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        return self._image.metadata_head(path, limit)


def _table(text: str | None) -> dict[str, int]:
    """name -> id from /etc/passwd or /etc/group text."""
    out: dict[str, int] = {}
    for line in (text or "").splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            out.setdefault(fields[0], int(fields[2]))
    return out


def _id(spec: str, names: dict[str, int]) -> int:
    return int(spec) if spec.isdigit() else names.get(spec, 0)


def _gid(passwd: str | None, uid: int) -> int:
    """The primary group /etc/passwd gives the user (0 when it does not list it)."""
    for line in (passwd or "").splitlines():
        fields = line.split(":")
        if len(fields) >= 4 and fields[2] == str(uid) and fields[3].isdigit():
            return int(fields[3])
    return 0


class _ChunkReader(io.RawIOBase):
    """A file over the archive's chunks, for tarfile's stream mode."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size
