"""Snapshot directories (`chipdoctor-snapshot/1` and `/2`): what the probes read, frozen on disk.

Layout and keys are a contract (docs/contracts.md): `snapshot.yaml`, `files/<absolute path>`
and `commands/<name>`. A file missing under `files/` does not exist on the machine; a command
missing under `commands:` is not installed there. Format 2 adds what the access checks read
(evidence/records.py): the user's identity, stat results, complete directory listings and ELF
dynamic sections; `chipdoctor snapshot` writes format 2 and both are read.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import yaml

from chipdoctor.boundedio import RefusedFile, kind_of, read_regular
from chipdoctor.errors import BadInput
from chipdoctor.evidence import records
from chipdoctor.evidence.base import (
    MACHINE,
    MAX_FILE_BYTES,
    CommandResult,
    DockerEngine,
    Evidence,
    FileStat,
    Identity,
    NotRecorded,
    PlatformInfo,
    PythonInfo,
    UnreadableError,
    normalize_name,
)
from chipdoctor.evidence.redact import recordable_environment
from chipdoctor.loader.devcode import DeviceCode
from chipdoctor.loader.elf import ElfError, ElfInfo, parse_elf_bytes
from chipdoctor.versions import MAX_VERSION_DIGITS
from chipdoctor.yamlio import LocatedYaml, YamlPath, read_yaml

if TYPE_CHECKING:
    from chipdoctor.loader.symbols import Unresolved
    from chipdoctor.symptoms.reading import Log

SNAPSHOT_FORMAT_V1 = "chipdoctor-snapshot/1"
SNAPSHOT_FORMAT_V2 = "chipdoctor-snapshot/2"
#: The format `chipdoctor snapshot` writes. /1 and /2 stay strict (an unknown key is bad
#: input); /3 readers ignore keys they do not know, with a note, so later keys need no new version.
SNAPSHOT_FORMAT = "chipdoctor-snapshot/3"
_FORMATS = (SNAPSHOT_FORMAT_V1, SNAPSHOT_FORMAT_V2, SNAPSHOT_FORMAT)
_TOP_KEYS = {"format", "platform", "python", "env", "commands", "unreadable"}
_V2_KEYS = {"identity", "stats", "dirs", "elf"}
_V3_KEYS = {"host", "docker", "requires_dist", "device_code", "symbols", "log"}
#: Where a snapshot keeps the failed job's log it was taken with (`snapshot --log`).
LOG_FILE = "log.txt"
#: Limits on a snapshot directory (docs/contracts.md, "Limits"): the entries under `files/`
#: and `commands/` together, and how deep they nest; the same caps as a snapshot archive's.
MAX_ENTRIES = 50_000
MAX_DEPTH = 64
_SCALARS = (str, int, float)
_LONG_NUMBER = re.compile(f"[0-9]{{{MAX_VERSION_DIGITS + 1},}}")


def _inside(base: Path, path: str) -> Path:
    """The snapshot copy of absolute `path`; refuses anything that would leave `base`."""
    parts = PurePosixPath(path).parts
    if not path.startswith("/") or ".." in parts:
        raise ValueError(f"not a clean absolute path: {path!r}")
    return base.joinpath(*parts[1:])


#: Longest file name and path Linux opens (NAME_MAX, PATH_MAX).
_NAME_MAX = 255
_PATH_MAX = 4096


def _as_resolved(path: str) -> str:
    """`path` as the kernel resolves it in a tree without links (a snapshot holds none): `..`
    and `.` taken lexically. Probes pass paths from the machine's own environment and ELF
    records, which may say anything, so this answers as a live host does (HostEvidence): a
    relative path is a probe's bug (ValueError), one too long to open is unreadable.
    """
    if not path.startswith("/"):
        raise ValueError(f"evidence paths are absolute: {path!r}")
    names = PurePosixPath(path).parts[1:]
    if len(path.encode()) >= _PATH_MAX or any(len(n.encode()) > _NAME_MAX for n in names):
        raise UnreadableError(path, "file name too long")
    parts: list[str] = []
    for part in names:
        if part == "..":
            del parts[-1:]
        else:
            parts.append(part)
    return "/" + "/".join(parts)


class SnapshotEvidence:
    """Evidence read back from a snapshot directory."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise BadInput("not a snapshot directory (no such directory)", path=str(directory))
        doc = read_yaml(self.directory / "snapshot.yaml")
        self._doc = doc
        self._data = _validate(doc)
        #: Top-level keys of a /3 snapshot this chipdoctor does not know (a newer one wrote
        #: them): ignored, and noted in the report.
        self.ignored = tuple(str(key) for key in doc.data if key not in self._data)
        _check_tree(self.directory)
        for key, entry in self._data.get("commands", {}).items():
            for stream in ("stdout", "stderr"):
                self._command_path(entry.get(stream), ("commands", key, stream))
        log = self._data.get("log")
        self._log: tuple[Path, int] | None = None
        if log is not None and (path := self._command_path(log["file"], ("log", "file"))):
            self._log = (path, int(log.get("first", 1)))
        self._files = self.directory / "files"
        self.format = str(self._data["format"])
        self._stats = self._records("stats", records.stat_from_data)
        self._elf = self._records("elf", records.elf_from_data)
        self._device_code = self._records("device_code", records.device_code_from_data)
        self._symbols = self._records("symbols", records.symbols_from_data)
        self._dirs = {
            str(path): entries for path, entries in (self._data.get("dirs") or {}).items()
        }
        identity = self._data.get("identity")
        self._identity = (
            None if identity is None else records.identity_from_data(identity, doc.error)
        )

    def _records(self, key: str, parse: Any) -> dict[str, Any]:
        """path -> parsed record, None ("does not exist") or the reason it was unreadable."""
        parsed: dict[str, Any] = {}
        for path, data in (self._data.get(key) or {}).items():
            reason = records.record_error(data)
            if reason is not None:
                parsed[str(path)] = reason
            else:
                parsed[str(path)] = (
                    None if data is None else parse(str(path), data, self._doc.error)
                )
        return parsed

    def read_text(self, path: str) -> str | None:
        path = _as_resolved(path)
        reason = self._data.get("unreadable", {}).get(path)
        if reason:
            raise UnreadableError(path, str(reason))
        local = _inside(self._files, path)
        if local.is_dir():
            raise UnreadableError(path, "is a directory")
        try:
            data = read_regular(local, MAX_FILE_BYTES)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except RefusedFile as exc:  # what a live host says of a file over the limit
            raise UnreadableError(path, f"larger than {MAX_FILE_BYTES} bytes") from exc
        return data.decode("utf-8", errors="replace")

    def list_dir(self, path: str) -> list[str] | None:
        path = _as_resolved(path)
        reason = self._data.get("unreadable", {}).get(path)
        if reason:
            raise UnreadableError(path, str(reason))
        if path in self._dirs:
            entries = self._dirs[path]
            return None if entries is None else sorted(str(entry) for entry in entries)
        local = _inside(self._files, path)
        if not local.is_dir():
            return None
        return sorted(child.name for child in local.iterdir())

    def stat(self, path: str) -> FileStat | None:
        """The recorded stat; a path only present under `files/` reads as root's, 0644/0755."""
        path = _as_resolved(path)
        if path in self._stats:
            recorded: FileStat | None = _recorded(path, self._stats[path])
            return recorded
        local = _inside(self._files, path)
        if local.is_dir():
            return FileStat("dir", 0o755, 0, 0, "root", "root")
        if local.is_file():
            return FileStat("file", 0o644, 0, 0, "root", "root")
        return None

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        path = _as_resolved(path)
        reason = self._data.get("unreadable", {}).get(path)
        if reason:
            raise UnreadableError(path, str(reason))
        local = _inside(self._files, path)
        if local.is_dir():
            raise UnreadableError(path, "is a directory")
        try:
            return read_regular(local, limit, truncate=True)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def elf(self, path: str) -> ElfInfo | None:
        """The recorded ELF facts; a real object placed under `files/` is parsed as it is."""
        path = _as_resolved(path)
        if path in self._elf:
            info: ElfInfo | None = _recorded(path, self._elf[path])
            return info
        data = self.read_bytes(path, 1 << 26)
        if data is None:
            return None
        try:
            return parse_elf_bytes(data)
        except ElfError as exc:
            raise UnreadableError(path, str(exc)) from None

    def device_code(self, path: str) -> DeviceCode | None:
        """The recorded architectures; a real library placed under `files/` is read as it is."""
        path = _as_resolved(path)
        if path in self._device_code:
            code: DeviceCode | None = _recorded(path, self._device_code[path])
            return code
        local = _inside(self._files, path)
        if not local.is_file():
            raise NotRecorded(f"the device code of {path}")
        from chipdoctor.evidence import fsfacts

        return fsfacts.device_code_of(local, path)

    def _symbol_record(self, path: str) -> records.SymbolRecord | Path | None:
        """The recorded symbols of `path`, or the real library placed under `files/`."""
        if path in self._symbols:
            record: records.SymbolRecord | None = _recorded(path, self._symbols[path])
            return record
        local = _inside(self._files, path)
        if not local.is_file():
            raise NotRecorded(f"the dynamic symbols of {path}")
        return local

    def unresolved_symbols(self, path: str, providers: tuple[str, ...]) -> Unresolved | None:
        """Answered where the snapshot asked the same providers."""
        path = _as_resolved(path)
        record = self._symbol_record(path)
        if isinstance(record, Path):
            from chipdoctor.evidence import fsfacts

            pairs = [(_inside(self._files, _as_resolved(p)), p) for p in providers]
            return fsfacts.unresolved_symbols_of(record, path, pairs)
        if record is None:
            return None
        if record.unresolved is None or record.providers != providers:
            raise NotRecorded(f"the symbols {path} needs from {len(providers)} libraries")
        return record.unresolved

    def defined_symbols(self, path: str, names: tuple[str, ...]) -> frozenset[str] | None:
        """A name that was not looked up when the snapshot was taken cannot be answered."""
        path = _as_resolved(path)
        record = self._symbol_record(path)
        if isinstance(record, Path):
            from chipdoctor.evidence import fsfacts

            return fsfacts.defined_symbols_of(record, path, names)
        if record is None:
            return None
        if not set(names) <= record.defines | record.lacks:
            raise NotRecorded(f"the symbols looked up in {path}")
        return record.defines.intersection(names)

    def identity(self) -> Identity:
        if self._identity is None:
            raise NotRecorded("the user's identity")
        return self._identity

    def recorded_log(self) -> Log | None:
        """The failed job's log this snapshot was taken with (`snapshot --log`), read as any
        log is (bounded, cleaned), its lines numbered as in the original."""
        if self._log is None:
            return None
        from chipdoctor.symptoms.reading import Log, read_log

        path, first = self._log
        read = read_log(str(path))
        return Log(read.lines, read.first + first - 1)

    def host_name(self) -> str | None:
        host = self._data.get("host")
        return None if host is None else str(host)

    def docker_engine(self) -> DockerEngine | None:
        docker = self._data.get("docker")
        if docker is None:
            return None
        return DockerEngine(
            address=str(docker.get("address", "")),
            runtimes=tuple(docker.get("runtimes", [])),
            default_runtime=str(docker.get("default_runtime", "")),
        )

    def requires_dist(self) -> Mapping[str, tuple[str, ...]]:
        """The recorded lines, kept as the host keeps the lines it reads (bounded)."""
        from chipdoctor.evidence.distmeta import kept_requirements

        recorded = self._data.get("requires_dist") or {}
        return {normalize_name(str(k)): kept_requirements(map(str, v)) for k, v in recorded.items()}

    def getenv(self, name: str) -> str | None:
        value = self._data.get("env", {}).get(name)
        return None if value is None else str(value)

    def run(self, key: str) -> CommandResult | None:
        entry = self._data.get("commands", {}).get(key)
        if entry is None:
            return None
        where = ("commands", key)
        return CommandResult(
            key=key,
            exit=entry.get("exit"),
            stdout=self._command_file(entry.get("stdout"), (*where, "stdout")),
            stderr=self._command_file(entry.get("stderr"), (*where, "stderr")),
            timed_out=bool(entry.get("timed_out", False)),
            error=str(entry.get("error", "")),
        )

    def _command_file(self, name: Any, where: tuple[str, ...]) -> str:
        local = self._command_path(name, where)
        if local is None:
            return ""
        try:
            data = read_regular(local, MAX_FILE_BYTES, truncate=True)
        except (OSError, RefusedFile) as exc:  # checked when the snapshot was opened
            raise self._doc.error(where, f"output file {name!r} cannot be read: {exc}") from None
        return data.decode("utf-8", errors="replace")

    def _command_path(self, name: Any, where: tuple[str, ...]) -> Path | None:
        """The recorded output file `name`: a regular file inside the snapshot, or bad input."""
        if name is None:
            return None
        try:
            local = _inside(self.directory, "/" + str(name))
        except ValueError:
            raise self._doc.error(where, f"output file {name!r} leaves the snapshot") from None
        try:
            info = local.lstat()
        except OSError:
            raise self._doc.error(where, f"output file {name!r} is missing") from None
        if not stat.S_ISREG(info.st_mode):
            raise self._doc.error(
                where, f"output file {name!r} is {kind_of(info.st_mode)}, not a regular file"
            )
        return local

    @cached_property
    def platform(self) -> PlatformInfo:
        data = self._data.get("platform") or {}
        return PlatformInfo(
            system=str(data.get("system", "")),
            machine=str(data.get("machine", "")),
            release=str(data.get("release", "")),
            glibc=str(data.get("glibc", "")),
            os_release={str(k): str(v) for k, v in (data.get("os_release") or {}).items()},
        )

    @cached_property
    def python(self) -> PythonInfo:
        data = self._data.get("python") or {}
        packages = data.get("packages") or {}
        return PythonInfo(
            version=str(data.get("version", "")),
            packages={normalize_name(str(k)): str(v) for k, v in packages.items()},
            paths=tuple(str(p) for p in data.get("paths") or ()),
        )


def _recorded(path: str, record: Any) -> Any:
    """A parsed format-2 record; a str is the reason the path could not be read."""
    if isinstance(record, str):
        raise UnreadableError(path, record)
    return record


def _validate(doc: LocatedYaml) -> dict[str, Any]:
    """The whole document, checked before any probe reads it: a snapshot is complete or refused."""
    data = _known_keys(doc)
    _no_nul(doc, (), data)
    _mappings(doc, data)
    _paths(doc, data)
    _platform(doc, data.get("platform", {}))
    _python(doc, data.get("python", {}))
    _env(doc, data.get("env", {}))
    for key, entry in data.get("commands", {}).items():
        _command(doc, key, entry)
    return data


def _known_keys(doc: LocatedYaml) -> dict[Any, Any]:
    """The document's format checked; keys the current format does not know are dropped, an
    older format's are refused."""
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "snapshot.yaml must be a mapping with format: " + SNAPSHOT_FORMAT)
    if data.get("format") not in _FORMATS:
        raise doc.error(
            ("format",),
            f"format must be one of {', '.join(_FORMATS)}, not {data.get('format')!r}",
        )
    if data["format"] == SNAPSHOT_FORMAT:
        known = _TOP_KEYS | _V2_KEYS | _V3_KEYS
        data = {key: value for key, value in data.items() if key in known}
        _host_and_engine(doc, data)
        _requires_dist(doc, data)
        _log(doc, data)
    else:
        allowed = _TOP_KEYS | (_V2_KEYS if data["format"] == SNAPSHOT_FORMAT_V2 else set())
        for key in data:
            if key not in allowed:
                raise doc.error((key,), f"unknown key {key!r}")
    return data


def _mappings(doc: LocatedYaml, data: dict[Any, Any]) -> None:
    """The sections that must be mappings are."""
    sections = ("platform", "python", "env", "commands", "unreadable", "device_code", "symbols")
    for key in (*sections, *sorted(_V2_KEYS)):
        if key in data and not isinstance(data[key], dict):
            raise doc.error((key,), f"{key} must be a mapping, not {_kind(data[key])}")


def _paths(doc: LocatedYaml, data: dict[Any, Any]) -> None:
    """The sections keyed by path: clean paths, directory listings, reasons as text."""
    for key in ("stats", "elf", "dirs", "unreadable", "device_code", "symbols"):
        for path, value in data.get(key, {}).items():
            _clean_path(doc, (key, path), path, f"{key} path")
            if key == "dirs" and value is not None:
                _listing(doc, (key, path), path, value)
            if key == "unreadable" and not isinstance(value, _SCALARS):
                raise doc.error((key, path), f"the reason {path} was unreadable must be text")


def _env(doc: LocatedYaml, env: dict[Any, Any]) -> None:
    """Environment variables: text names, string (or null) values."""
    for name, value in env.items():
        if not isinstance(name, str):
            raise doc.error(("env", name), f"env name {name!r} must be text")
        if value is not None and not isinstance(value, _SCALARS):
            raise doc.error(("env", name), f"env {name} must be a string")


def _host_and_engine(doc: LocatedYaml, data: dict[Any, Any]) -> None:
    """The /3 keys: `host` (the hostname) and `docker` (the engine's runtimes)."""
    if "host" in data and not isinstance(data["host"], str):
        raise doc.error(("host",), f"host must be text, not {_kind(data['host'])}")
    docker = data.get("docker")
    if docker is None:
        return
    if not isinstance(docker, dict):
        raise doc.error(("docker",), f"docker must be a mapping, not {_kind(docker)}")
    for key in ("address", "default_runtime"):
        if not isinstance(docker.get(key, ""), str):
            raise doc.error(("docker", key), f"docker {key} must be text")
    runtimes = docker.get("runtimes", [])
    if not isinstance(runtimes, list) or not all(isinstance(r, str) for r in runtimes):
        raise doc.error(("docker", "runtimes"), "docker runtimes must be a list of names")


def _log(doc: LocatedYaml, data: dict[Any, Any]) -> None:
    """The /3 key `log`: `{file: log.txt, first: N}`, the failed job's log the snapshot was
    taken with and the line number its first kept line had."""
    log = data.get("log")
    if log is None:
        return
    if not isinstance(log, dict) or not isinstance(log.get("file"), str):
        raise doc.error(("log",), "log must be a mapping with file: (text) and first: (a number)")
    first = log.get("first", 1)
    if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first < 1 << 40:
        raise doc.error(("log", "first"), "log first must be a line number (1 or more)")


def _requires_dist(doc: LocatedYaml, data: dict[Any, Any]) -> None:
    """The /3 key `requires_dist`: distribution name -> its Requires-Dist lines (text)."""
    recorded = data.get("requires_dist")
    if recorded is None:
        return
    if not isinstance(recorded, dict):
        raise doc.error(
            ("requires_dist",), f"requires_dist must be a mapping, not {_kind(recorded)}"
        )
    for name, lines in recorded.items():
        if not isinstance(name, str):
            raise doc.error(("requires_dist", name), f"requires_dist name {name!r} must be text")
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            raise doc.error(("requires_dist", name), f"requires_dist {name} must be a list of text")


def _command(doc: LocatedYaml, key: Any, entry: Any) -> None:
    where: YamlPath = ("commands", key)
    if not isinstance(key, str):
        raise doc.error(where, f"command key {key!r} must be text")
    if not isinstance(entry, dict):
        raise doc.error(where, f"command {key!r} must be a mapping with exit, stdout, stderr")
    code = entry.get("exit")
    if code is not None and (not isinstance(code, int) or isinstance(code, bool)):
        raise doc.error((*where, "exit"), f"exit of {key!r} must be an integer or null")
    for field_name in ("stdout", "stderr", "error"):
        if not isinstance(entry.get(field_name, ""), (str, type(None))):
            raise doc.error((*where, field_name), f"{field_name} of {key!r} must be text")
    if not isinstance(entry.get("timed_out", False), bool):
        raise doc.error((*where, "timed_out"), f"timed_out of {key!r} must be true or false")


def _platform(doc: LocatedYaml, platform: dict[Any, Any]) -> None:
    for key, value in platform.items():
        if key == "os_release":
            if not isinstance(value, dict):
                raise doc.error(
                    ("platform", key), f"os_release must be a mapping, not {_kind(value)}"
                )
            for name, item in value.items():
                if not isinstance(item, _SCALARS):
                    raise doc.error(("platform", key, name), f"os_release {name} must be text")
        elif not isinstance(value, _SCALARS):
            raise doc.error(("platform", key), f"platform {key} must be text, not {_kind(value)}")
        elif key == "glibc":
            _version(doc, ("platform", key), value)
        elif key == "machine" and value and not MACHINE.fullmatch(str(value)):
            raise doc.error(
                ("platform", key), f"platform machine {str(value)[:40]!r} is not a machine name"
            )


def _python(doc: LocatedYaml, python: dict[Any, Any]) -> None:
    if "version" in python:
        _version(doc, ("python", "version"), python["version"])
    packages = python.get("packages", {})
    if not isinstance(packages, dict):
        raise doc.error(("python", "packages"), "packages must map distribution names to versions")
    for name, version in packages.items():
        if not isinstance(name, str):
            raise doc.error(("python", "packages", name), f"package name {name!r} must be text")
        _version(doc, ("python", "packages", name), version)
    paths = python.get("paths", [])
    if not isinstance(paths, list):
        raise doc.error(("python", "paths"), "paths must be a list of site directories")
    for index, path in enumerate(paths):
        _clean_path(doc, ("python", "paths", index), path, "a site directory")


def _version(doc: LocatedYaml, where: YamlPath, value: Any) -> None:
    if not isinstance(value, _SCALARS) or isinstance(value, bool):
        raise doc.error(where, f"a version must be text, not {_kind(value)}")
    if _LONG_NUMBER.search(str(value)):
        raise doc.error(where, f"a version with a number of more than {MAX_VERSION_DIGITS} digits")


def _clean_path(doc: LocatedYaml, where: YamlPath, path: Any, what: str) -> None:
    try:
        _inside(Path("/"), path if isinstance(path, str) else "")
    except ValueError:
        raise doc.error(where, f"{what} {path!r} is not absolute, or holds '..'") from None


def _listing(doc: LocatedYaml, where: YamlPath, path: str, value: Any) -> None:
    if not isinstance(value, list):
        raise doc.error(where, f"listing of {path} must be a list of names")
    for index, name in enumerate(value):
        if not isinstance(name, str) or name in ("", ".", "..") or "/" in name:
            raise doc.error((*where, index), f"{name!r} in the listing of {path} is not a name")


def _no_nul(doc: LocatedYaml, where: YamlPath, value: Any) -> None:
    """No text in a snapshot holds a NUL: no path, name or value on a machine can."""
    if isinstance(value, str):
        if "\x00" in value:
            raise doc.error(where, f"a NUL character in {value!r}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(doc, (*where, key), key)
            _no_nul(doc, (*where, key), item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_nul(doc, (*where, index), item)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "text"}
    return names.get(type(value), type(value).__name__)


def _check_tree(directory: Path) -> None:
    """`files/` and `commands/` hold regular files and directories only, within the caps.

    Checked before any probe runs, without following links: a FIFO would block the reader,
    a link to `/dev/zero` never ends, and a probe that hit either would only report a crash.
    """
    pending = [(directory / part, 1) for part in ("files", "commands")]
    seen = 0
    while pending:
        folder, depth = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise BadInput(f"cannot list: {exc.strerror or exc}", path=str(folder)) from None
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                raise BadInput(
                    f"more than {MAX_ENTRIES} files and directories under files/ and commands/",
                    path=str(directory),
                )
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                if depth >= MAX_DEPTH:
                    raise BadInput(f"nested more than {MAX_DEPTH} levels deep", path=entry.path)
                pending.append((Path(entry.path), depth + 1))
            elif stat.S_ISLNK(mode):
                raise BadInput("a symbolic link; snapshots hold no links", path=entry.path)
            elif not stat.S_ISREG(mode):
                raise BadInput(
                    f"{kind_of(mode)}; snapshots hold regular files only", path=entry.path
                )


@dataclass
class Recording:
    """Everything probes read through a RecordingEvidence, ready to be written out."""

    files: dict[str, str | None] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    dirs: dict[str, list[str] | None] = field(default_factory=dict)
    env: dict[str, str | None] = field(default_factory=dict)
    commands: dict[str, CommandResult | None] = field(default_factory=dict)
    # Format 2: what the access checks read. A str value is the reason it was unreadable.
    binary: dict[str, bytes | None] = field(default_factory=dict)
    stats: dict[str, FileStat | str | None] = field(default_factory=dict)
    elf: dict[str, ElfInfo | str | None] = field(default_factory=dict)
    identity: Identity | None = None
    # Format 3: the GPU architectures libraries carry (a str: why it could not be read).
    device_code: dict[str, DeviceCode | str | None] = field(default_factory=dict)
    # Format 3: the torch symbols libraries need and define (a str: why unreadable).
    symbols: dict[str, records.SymbolRecord | str | None] = field(default_factory=dict)
    # Format 3: the failed job's log the snapshot was taken with (`snapshot --log`).
    log: Log | None = None
    # Format 3: the node's hostname and its Docker Engine, when asked.
    host: str | None = None
    docker: DockerEngine | None = None
    requires_dist: Mapping[str, tuple[str, ...]] | None = None


class RecordingEvidence:
    """Wraps another evidence source and remembers every read, for `chipdoctor snapshot`."""

    def __init__(self, inner: Evidence) -> None:
        self.inner = inner
        self.recording = Recording()
        self._lock = threading.Lock()

    def _note(self, table: dict[str, Any], key: str, value: Any) -> None:
        """Remember one read; probes run in threads, so the tables are shared."""
        with self._lock:
            table[key] = value

    @property
    def platform(self) -> PlatformInfo:
        return self.inner.platform

    @property
    def python(self) -> PythonInfo:
        return self.inner.python

    def read_text(self, path: str) -> str | None:
        try:
            text = self.inner.read_text(path)
        except UnreadableError as exc:
            self._note(self.recording.unreadable, path, exc.reason)
            raise
        self._note(self.recording.files, path, text)
        return text

    def list_dir(self, path: str) -> list[str] | None:
        try:
            entries = self.inner.list_dir(path)
        except UnreadableError as exc:
            self._note(self.recording.unreadable, path, exc.reason)
            raise
        self._note(self.recording.dirs, path, entries)
        return entries

    def getenv(self, name: str) -> str | None:
        value = self.inner.getenv(name)
        self._note(self.recording.env, name, value)
        return value

    def run(self, key: str) -> CommandResult | None:
        result = self.inner.run(key)
        self._note(self.recording.commands, key, result)
        return result

    def stat(self, path: str) -> FileStat | None:
        try:
            info = self.inner.stat(path)
        except UnreadableError as exc:
            self._note(self.recording.stats, path, exc.reason)
            raise
        self._note(self.recording.stats, path, info)
        return info

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        try:
            data = self.inner.read_bytes(path, limit)
        except UnreadableError as exc:
            self._note(self.recording.unreadable, path, exc.reason)
            raise
        self._note(self.recording.binary, path, data)
        return data

    def elf(self, path: str) -> ElfInfo | None:
        try:
            info = self.inner.elf(path)
        except UnreadableError as exc:
            self._note(self.recording.elf, path, exc.reason)
            raise
        self._note(self.recording.elf, path, info)
        return info

    def device_code(self, path: str) -> DeviceCode | None:
        try:
            code = self.inner.device_code(path)
        except UnreadableError as exc:
            self._note(self.recording.device_code, path, exc.reason)
            raise
        self._note(self.recording.device_code, path, code)
        return code

    def unresolved_symbols(self, path: str, providers: tuple[str, ...]) -> Unresolved | None:
        try:
            gaps = self.inner.unresolved_symbols(path, providers)
        except UnreadableError as exc:
            self._note(self.recording.symbols, path, exc.reason)
            raise
        record = None if gaps is None else records.SymbolRecord(providers, gaps)
        self._symbols(path, record)
        return gaps

    def defined_symbols(self, path: str, names: tuple[str, ...]) -> frozenset[str] | None:
        try:
            found = self.inner.defined_symbols(path, names)
        except UnreadableError as exc:
            self._note(self.recording.symbols, path, exc.reason)
            raise
        record = None
        if found is not None:
            record = records.SymbolRecord(defines=found, lacks=frozenset(names) - found)
        self._symbols(path, record)
        return found

    def _symbols(self, path: str, record: records.SymbolRecord | None) -> None:
        """Several reads of one library add up to one record."""
        with self._lock:
            known = self.recording.symbols.get(path)
            if record is not None and isinstance(known, records.SymbolRecord):
                record = known.merged(record)
            self.recording.symbols[path] = record

    def host_name(self) -> str | None:
        host = self.inner.host_name()
        with self._lock:
            self.recording.host = host
        return host

    def docker_engine(self) -> DockerEngine | None:
        engine = self.inner.docker_engine()
        with self._lock:
            self.recording.docker = engine
        return engine

    def identity(self) -> Identity:
        identity = self.inner.identity()
        with self._lock:
            self.recording.identity = identity
        return identity

    def requires_dist(self) -> Mapping[str, tuple[str, ...]]:
        """Recorded as the key, not as the METADATA files it comes from."""
        requires = self.inner.requires_dist()
        with self._lock:
            self.recording.requires_dist = requires
        return requires


def _v2_records(recording: Recording) -> dict[str, Any]:
    """The format-2 keys: identity, stats, complete directory listings and ELF facts."""
    out: dict[str, Any] = {}
    if recording.identity is not None:
        out["identity"] = records.identity_to_data(recording.identity)

    def convert(value: Any, to_data: Any) -> Any:
        if isinstance(value, str):
            return {"error": value}
        return None if value is None else to_data(value)

    out["stats"] = {
        path: convert(value, records.stat_to_data)
        for path, value in sorted(recording.stats.items())
    }
    out["dirs"] = dict(sorted(recording.dirs.items()))
    out["elf"] = {
        path: convert(value, records.elf_to_data) for path, value in sorted(recording.elf.items())
    }
    if recording.device_code:
        out["device_code"] = {
            path: convert(value, records.device_code_to_data)
            for path, value in sorted(recording.device_code.items())
        }
    if recording.symbols:
        out["symbols"] = {
            path: convert(value, records.symbols_to_data)
            for path, value in sorted(recording.symbols.items())
        }
    return out


def _command_file_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", key).strip("-") or "command"


def write_snapshot(
    directory: Path,
    recording: Recording,
    platform: PlatformInfo,
    python: PythonInfo,
    *,
    is_dir: Mapping[str, bool] | None = None,
) -> None:
    """Write `recording` as a snapshot directory; `directory` must be absent or empty."""
    files_root = directory / "files"
    files_root.mkdir(parents=True, exist_ok=True)
    _write_files(files_root, recording)
    _write_dirs(files_root, recording, is_dir)
    document: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "platform": {
            "system": platform.system,
            "machine": platform.machine,
            "release": platform.release,
            "glibc": platform.glibc,
            "os_release": dict(platform.os_release),
        },
        "python": {
            "version": python.version,
            "packages": dict(sorted(python.packages.items())),
            "paths": list(python.paths),
        },
        "env": recordable_environment(recording.env),  # allow-listed, secrets redacted
        "commands": _write_commands(directory / "commands", recording),
    }
    document.update(_optional_records(recording))
    document.update(_v2_records(recording))
    log = recording.log
    if log is not None:
        (directory / LOG_FILE).write_text("".join(f"{line}\n" for line in log.lines), "utf-8")
        document["log"] = {"file": LOG_FILE, "first": log.first}
    (directory / "snapshot.yaml").write_text(
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


def _write_files(files_root: Path, recording: Recording) -> None:
    """The files read, as text or byte for byte (the ld.so.cache is binary)."""
    for path, text in sorted(recording.files.items()):
        if text is None:
            continue
        local = _inside(files_root, path)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(text, encoding="utf-8")
    for path, data in sorted(recording.binary.items()):
        if data is None:
            continue
        local = _inside(files_root, path)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)  # byte for byte: the ld.so.cache is binary


def _write_dirs(files_root: Path, recording: Recording, is_dir: Mapping[str, bool] | None) -> None:
    """The directories listed, with those of their entries known to be directories."""
    for path, entries in sorted(recording.dirs.items()):
        if entries is None:
            continue
        _inside(files_root, path).mkdir(parents=True, exist_ok=True)
        for entry in entries:
            child = f"{path.rstrip('/')}/{entry}"
            if is_dir and is_dir.get(child):
                _inside(files_root, child).mkdir(parents=True, exist_ok=True)


def _write_commands(command_dir: Path, recording: Recording) -> dict[str, dict[str, Any]]:
    """Each command's output in commands/, and its records for snapshot.yaml."""
    commands: dict[str, dict[str, Any]] = {}
    for key, result in sorted(recording.commands.items()):
        if result is None:
            continue
        command_dir.mkdir(exist_ok=True)
        base = _command_file_name(key)
        (command_dir / f"{base}.txt").write_text(result.stdout, encoding="utf-8")
        (command_dir / f"{base}.err").write_text(result.stderr, encoding="utf-8")
        record: dict[str, Any] = {
            "exit": result.exit,
            "stdout": f"commands/{base}.txt",
            "stderr": f"commands/{base}.err",
        }
        if result.timed_out:
            record["timed_out"] = True
        if result.error:
            record["error"] = result.error
        commands[key] = record
    return commands


def _optional_records(recording: Recording) -> dict[str, Any]:
    """The keys written only when there is something to say: unreadable paths, host, engine."""
    records: dict[str, Any] = {}
    if recording.unreadable:
        records["unreadable"] = dict(sorted(recording.unreadable.items()))
    if recording.host is not None:
        records["host"] = recording.host
    if recording.docker is not None:
        records["docker"] = {
            "address": recording.docker.address,
            "runtimes": list(recording.docker.runtimes),
            "default_runtime": recording.docker.default_runtime,
        }
    if recording.requires_dist:
        records["requires_dist"] = {
            name: list(lines) for name, lines in sorted(recording.requires_dist.items()) if lines
        }
    return records
