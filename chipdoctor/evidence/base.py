"""The one interface every probe reads through.

Probes never touch the file system, the environment or subprocesses directly, so each probe
works unchanged on the live host, on a snapshot directory and on a container image.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chipdoctor.loader.devcode import DeviceCode
    from chipdoctor.loader.elf import ElfInfo
    from chipdoctor.loader.symbols import Unresolved

#: Files larger than this are not evidence (a version file is a few hundred bytes).
MAX_FILE_BYTES = 1 << 20


class UnreadableError(Exception):
    """A path exists but cannot be read (permission denied, not a regular file, too large)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NotRecorded(Exception):
    """The source holds no record of this kind of fact (a snapshot in an older format)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not recorded in this snapshot")
        self.what = what


@dataclass(frozen=True)
class FileStat:
    """What `stat` says about a path (symlinks followed), as access checks need it."""

    kind: str  # "file", "dir", "char", "block", "fifo", "socket" or "other"
    mode: int  # permission bits, st_mode & 0o7777
    uid: int
    gid: int
    owner: str = ""  # the owner's user name on that machine, "" when it has none
    group: str = ""
    #: POSIX access ACL entries (tag, permissions, id) beyond the mode bits, if any.
    acl: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True)
class Identity:
    """Who the checked process runs as: effective ids and every group it holds."""

    uid: int
    gid: int
    user: str = ""
    groups: tuple[tuple[int, str], ...] = ()  # (gid, name), the primary group included

    @property
    def gids(self) -> frozenset[int]:
        return frozenset([self.gid, *(gid for gid, _ in self.groups)])


@dataclass(frozen=True)
class CommandResult:
    """What one run of a command gave.

    `exit` is None when the command did not finish: it timed out, printed more than the cap
    (`truncated`: the output is cut there and the tool was killed) or could not be started.
    """

    key: str
    exit: int | None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    error: str = ""
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.exit == 0


@dataclass(frozen=True)
class DockerEngine:
    """What the node's Docker Engine says of its runtimes (Engine API `/info`)."""

    address: str
    runtimes: tuple[str, ...]
    default_runtime: str


#: A machine name as `uname -m` and image configs spell it (x86_64, aarch64, arm64, ppc64le):
#: it reaches printed install steps and recipes (`…_linux-{arch}.run`), so nothing else passes.
MACHINE = re.compile(r"[A-Za-z0-9_]{1,32}")


@dataclass(frozen=True)
class PlatformInfo:
    system: str = ""
    machine: str = ""
    release: str = ""
    glibc: str = ""
    os_release: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PythonInfo:
    """The inspected interpreter.

    `packages` maps PEP 503-normalised names to versions; `paths` are the site directories
    that hold them, so probes can read a package's own files (e.g. `torch/version.py`).
    """

    version: str = ""
    packages: Mapping[str, str] = field(default_factory=dict)
    paths: tuple[str, ...] = ()

    def package(self, name: str) -> str | None:
        return self.packages.get(normalize_name(name))


def normalize_name(name: str) -> str:
    """PEP 503 normalisation, so `torch_npu`, `torch-npu` and `Torch.NPU` are one package."""
    out = []
    previous_dash = False
    for char in name.lower():
        if char in "-_.":
            if not previous_dash:
                out.append("-")
            previous_dash = True
        else:
            out.append(char)
            previous_dash = False
    return "".join(out)


class Evidence(Protocol):
    """A machine to look at."""

    @property
    def platform(self) -> PlatformInfo: ...

    @property
    def python(self) -> PythonInfo: ...

    def read_text(self, path: str) -> str | None:
        """The file's text, None when it does not exist; raises UnreadableError."""

    def list_dir(self, path: str) -> list[str] | None:
        """Sorted entry names, None when the directory does not exist."""

    def getenv(self, name: str) -> str | None: ...

    def run(self, key: str) -> CommandResult | None:
        """Run the command registered under `key`; None when it is not installed."""

    def stat(self, path: str) -> FileStat | None:
        """Type, mode, owner and group; None when the path does not exist."""

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        """Up to `limit` bytes of a file, None when it does not exist; raises UnreadableError."""

    def elf(self, path: str) -> ElfInfo | None:
        """The file's ELF identity and dynamic section, None when it does not exist.

        Raises UnreadableError for a file that cannot be read or is not an ELF object.
        """

    def device_code(self, path: str) -> DeviceCode | None:
        """The GPU architectures the library at `path` carries code for (its `.nv_fatbin` or
        `.hip_fatbin`), None when it does not exist or carries none. Raises UnreadableError,
        and NotRecorded where the source cannot say (a snapshot without the record, an image).
        """

    def unresolved_symbols(self, path: str, providers: tuple[str, ...]) -> Unresolved | None:
        """The torch symbols the library at `path` needs (its undefined dynamic symbols in
        torch's C++ namespaces, chipdoctor/loader/symbols.py) that none of `providers`
        exports; None when it does not exist. A provider that does not exist provides nothing.
        Raises UnreadableError (the library or a provider cannot be read), and NotRecorded.
        One answer per library, so a snapshot keeps what was missing, not every name."""

    def defined_symbols(self, path: str, names: tuple[str, ...]) -> frozenset[str] | None:
        """Which of `names` the library at `path` exports, None when it does not exist.
        Raises UnreadableError, and NotRecorded (a snapshot that did not ask for a name)."""

    def identity(self) -> Identity:
        """Who the checked process runs as; raises NotRecorded where the source never saw."""

    def host_name(self) -> str | None:
        """The node's hostname, naming it in reports; None where the source does not know it."""

    def docker_engine(self) -> DockerEngine | None:
        """The node's Docker Engine; None when none answers (or none was recorded)."""

    def requires_dist(self) -> Mapping[str, tuple[str, ...]]:
        """Each installed distribution's `Requires-Dist` lines (PEP 503 name -> lines), read
        from its METADATA; empty where the source holds none (a snapshot without the key)."""
