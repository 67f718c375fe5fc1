"""The live machine: real files, real environment, real subprocesses with timeouts."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from chipdoctor.errors import BadInput
from chipdoctor.evidence import pyinfo
from chipdoctor.evidence.base import (
    MAX_FILE_BYTES,
    CommandResult,
    DockerEngine,
    FileStat,
    Identity,
    PlatformInfo,
    PythonInfo,
    UnreadableError,
)
from chipdoctor.evidence.commands import argv_for
from chipdoctor.evidence.process import run_bounded
from chipdoctor.parsers.keyvalue import parse_key_values

if TYPE_CHECKING:
    from chipdoctor.evidence.fsfacts import KnownSymbols, NameOf
    from chipdoctor.loader.devcode import DeviceCode
    from chipdoctor.loader.elf import ElfInfo
    from chipdoctor.loader.symbols import Unresolved

DEFAULT_TIMEOUT = 10.0
#: Vendor tools often live off a non-root PATH: npu-smi in /usr/local/sbin, rocm-smi in
#: /opt/rocm/bin, hy-smi in /opt/hyhal/bin (other-stacks.md B.4, C.3).
_EXTRA_TOOL_DIRS = (
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/opt/rocm/bin",
    "/opt/hyhal/bin",
)


class HostEvidence:
    """Evidence from this machine.

    `root` prefixes every file path (tests point it at a fixture tree); `env` replaces the
    process environment; `python` names another interpreter to inspect.
    """

    def __init__(
        self,
        *,
        root: str = "/",
        env: Mapping[str, str] | None = None,
        python: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._root = Path(root)
        self._env = dict(os.environ if env is None else env)
        self._python_path = python
        self.timeout = timeout

    def _local(self, path: str) -> Path:
        if not path.startswith("/"):
            raise ValueError(f"evidence paths are absolute: {path!r}")
        return self._root / path.lstrip("/")

    def read_text(self, path: str) -> str | None:
        local = self._local(path)
        try:
            info = local.stat()
            if stat.S_ISDIR(info.st_mode):
                raise UnreadableError(path, "is a directory")
            if not stat.S_ISREG(info.st_mode):
                raise UnreadableError(path, "not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                raise UnreadableError(path, f"larger than {MAX_FILE_BYTES} bytes")
            with local.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except PermissionError:
            raise UnreadableError(path, "permission denied") from None
        except OSError as exc:
            raise UnreadableError(path, (exc.strerror or type(exc).__name__).lower()) from None
        return data.decode("utf-8", errors="replace")

    def list_dir(self, path: str) -> list[str] | None:
        try:
            return sorted(os.listdir(self._local(path)))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except PermissionError:
            raise UnreadableError(path, "permission denied") from None
        except OSError as exc:
            raise UnreadableError(path, (exc.strerror or type(exc).__name__).lower()) from None

    def is_dir(self, path: str) -> bool:
        return self._local(path).is_dir()

    def getenv(self, name: str) -> str | None:
        return self._env.get(name)

    def environment(self) -> dict[str, str]:
        """Every variable the probes may read: a snapshot redacts the secret ones' values."""
        return dict(self._env)

    def run(self, key: str) -> CommandResult | None:
        argv = argv_for(key)
        search = os.pathsep.join([self._env.get("PATH", ""), *_EXTRA_TOOL_DIRS])
        executable = which(argv[0], search)
        if executable is None:
            return None
        return run_command(key, [executable, *argv[1:]], timeout=self.timeout, env=self._env)

    # NOTE: fsfacts (and the ELF reader) are imported on first use: only the access checks
    # of a found stack need them, and `chipdoctor check` on a plain host must start fast.
    def stat(self, path: str) -> FileStat | None:
        from chipdoctor.evidence import fsfacts

        user, group = self._names
        return fsfacts.stat_path(self._local(path), path, user, group)

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        from chipdoctor.evidence import fsfacts

        return fsfacts.read_prefix(self._local(path), path, limit)

    def elf(self, path: str) -> ElfInfo | None:
        from chipdoctor.evidence import fsfacts

        return fsfacts.elf_of(self._local(path), path)

    def device_code(self, path: str) -> DeviceCode | None:
        from chipdoctor.evidence import fsfacts

        return fsfacts.device_code_of(self._local(path), path)

    def unresolved_symbols(self, path: str, providers: tuple[str, ...]) -> Unresolved | None:
        from chipdoctor.evidence import fsfacts

        pairs = [(self._local(provider), provider) for provider in providers]
        return fsfacts.unresolved_symbols_of(self._local(path), path, pairs, self._known_symbols)

    def defined_symbols(self, path: str, names: tuple[str, ...]) -> frozenset[str] | None:
        from chipdoctor.evidence import fsfacts

        return fsfacts.defined_symbols_of(self._local(path), path, names)

    def identity(self) -> Identity:
        from chipdoctor.evidence import fsfacts

        return fsfacts.process_identity()

    def host_name(self) -> str | None:
        """None for a file tree under another `root`: a tree is no node."""
        # NOTE: the node name is gethostname() without importing socket (~3 ms at start-up).
        return _uname()[1] or None if self._root == Path("/") else None

    def docker_engine(self) -> DockerEngine | None:
        return self._docker_engine if self._root == Path("/") else None

    def requires_dist(self) -> Mapping[str, tuple[str, ...]]:
        return self._requires_dist

    @cached_property
    def _known_symbols(self) -> KnownSymbols:
        """The symbol lookups of this check, shared by the libraries that ask the same."""
        return {}

    @cached_property
    def _requires_dist(self) -> Mapping[str, tuple[str, ...]]:
        from chipdoctor.evidence.distmeta import LocalFiles, read_requires

        return read_requires(LocalFiles(self._local), self.python.paths, self.python.packages)

    @cached_property
    def _docker_engine(self) -> DockerEngine | None:
        # NOTE: asked once, and only when a stack found needs a runtime (engine.collect).
        from chipdoctor.container.engine import read_engine

        return read_engine()

    @cached_property
    def _names(self) -> tuple[NameOf, NameOf]:
        """Owner names from this machine's NSS, or from the tree's own files under `root`."""
        from chipdoctor.evidence import fsfacts

        if self._root == Path("/"):
            return fsfacts.nss_names()
        return fsfacts.table_names(
            _quiet_read(self, "/etc/passwd"), _quiet_read(self, "/etc/group")
        )

    @cached_property
    def platform(self) -> PlatformInfo:
        os_release_text = None
        for candidate in ("/etc/os-release", "/usr/lib/os-release"):
            try:
                os_release_text = self.read_text(candidate)
            except UnreadableError:
                continue
            if os_release_text is not None:
                break
        os_release = {
            k: v.strip().strip('"').strip("'")
            for k, v in parse_key_values(os_release_text or "").items()
        }
        system, _, release, machine = _uname()
        libc, libc_version = _libc()
        return PlatformInfo(
            system=system,
            machine=machine,
            release=release,
            glibc=libc_version if libc == "glibc" else "",
            os_release=os_release,
        )

    @cached_property
    def python(self) -> PythonInfo:
        if self._python_path is None:
            data = pyinfo.collect()
        else:
            data = inspect_interpreter(self._python_path, timeout=self.timeout)
        packages = data.get("packages")
        paths = data.get("paths")
        return PythonInfo(
            version=str(data.get("version", "")),
            packages=dict(packages) if isinstance(packages, dict) else {},
            paths=tuple(str(p) for p in paths) if isinstance(paths, list) else (),
        )


def which(name: str, path: str | None = None) -> str | None:
    """shutil.which on POSIX (a name with a slash as it is; else the first executable file of
    that name along `path`, default $PATH), without importing shutil: ~2 ms of start-up for
    its compression modules, and every probe asks for its tool."""
    if os.name == "nt":
        import shutil

        return shutil.which(name, path=path)
    if os.sep in name:
        return name if _executable(name) else None
    search = os.environ.get("PATH") if path is None else path
    if search is None:
        try:
            search = os.confstr("CS_PATH")
        except (AttributeError, ValueError):
            search = os.defpath
    seen = set()
    for directory in search.split(os.pathsep) if search else ():
        if directory in seen:
            continue
        seen.add(directory)
        candidate = (
            directory + name if directory.endswith("/") or not directory else f"{directory}/{name}"
        )
        if _executable(candidate):
            return candidate
    return None


def _executable(path: str) -> bool:
    try:
        mode = Path(path).stat().st_mode
    except (OSError, ValueError):
        return False
    return not stat.S_ISDIR(mode) and os.access(path, os.X_OK)


def _uname() -> tuple[str, str, str, str]:
    """System, node, release and machine: os.uname(), which platform.uname() reads on POSIX,
    without importing platform (~2 ms of start-up); platform itself elsewhere (Windows)."""
    if hasattr(os, "uname"):
        name = os.uname()
        return name.sysname, name.nodename, name.release, name.machine
    import platform

    return platform.system(), platform.node(), platform.release(), platform.machine()


def _libc() -> tuple[str, str]:
    """("glibc", "2.36"): the C library's confstr, which platform.libc_ver() asks first, and
    platform.libc_ver() itself where that says nothing (musl, another system)."""
    try:
        parts = (os.confstr("CS_GNU_LIBC_VERSION") or "").split(maxsplit=1)
    except (AttributeError, ValueError, OSError):
        parts = []
    if len(parts) == 2:
        return parts[0], parts[1]
    import platform

    return platform.libc_ver()


def _quiet_read(host: HostEvidence, path: str) -> str | None:
    try:
        return host.read_text(path)
    except UnreadableError:
        return None


def inspect_interpreter(python: str, *, timeout: float) -> dict[str, object]:
    """Run another interpreter on pyinfo.py: its packages, without importing any of them."""
    if which(python) is None and not Path(python).is_file():
        raise BadInput("no such interpreter", path=python)
    script = str(Path(pyinfo.__file__).resolve())
    result = run_command("python", [python, script], timeout=timeout, env=dict(os.environ))
    if result.timed_out:
        raise BadInput(f"timed out after {timeout:g} s reading its packages", path=python)
    if not result.ok:
        detail = (result.stderr.strip().splitlines() or [result.error or "failed"])[-1]
        raise BadInput(f"cannot inspect this interpreter: {detail}", path=python)
    import json  # only for --python: another interpreter's answer

    try:
        data = json.loads(result.stdout)
    except ValueError:
        raise BadInput("the interpreter printed no package list", path=python) from None
    if not isinstance(data, dict):
        raise BadInput("the interpreter printed no package list", path=python)
    return data


def run_command(
    key: str, argv: list[str], *, timeout: float, env: Mapping[str, str]
) -> CommandResult:
    """Run argv without a shell, bounded in time, output and descendants (evidence.process)."""
    child_env = {**env, "LC_ALL": "C", "LANG": "C"}
    try:
        outcome = run_bounded(argv, timeout=timeout, env=child_env)
    except OSError as exc:
        return CommandResult(key, None, error=(exc.strerror or str(exc)).lower())
    return CommandResult(
        key,
        outcome.exit,
        _decode(outcome.stdout),
        _decode(outcome.stderr),
        timed_out=outcome.timed_out,
        error=outcome.error,
        truncated=outcome.truncated,
    )


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
