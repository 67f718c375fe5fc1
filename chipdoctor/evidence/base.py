"""The one interface every probe reads through.

Probes never touch the file system, the environment or subprocesses directly, so each probe
works unchanged on the live host, on a snapshot directory and on a container image.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

#: Files larger than this are not evidence (a version file is a few hundred bytes).
MAX_FILE_BYTES = 1 << 20


class UnreadableError(Exception):
    """A path exists but cannot be read (permission denied, not a regular file, too large)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class CommandResult:
    """What one run of a command gave.

    `exit` is None when the command did not finish: it timed out or could not be started.
    """

    key: str
    exit: int | None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.exit == 0


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
