"""The dynamic loader's search for a shared library, done over evidence instead of a process.

Order, per ld.so(8) and glibc `elf/dl-load.c` (`_dl_map_object`), for a name without a slash
needed by object R:

1. DT_RPATH of R and of the objects that loaded R, in turn, unless R has a DT_RUNPATH;
2. the directories of `LD_LIBRARY_PATH`;
3. DT_RUNPATH of R (R's own only);
4. `/etc/ld.so.cache` entries whose flags match R's ABI;
5. the default directories: `/lib/<triplet>`, `/usr/lib/<triplet>`, `/lib64` and `/usr/lib64`
   for 64-bit objects, `/lib`, `/usr/lib`.

A file that is there but built for another ABI (an x86_64 library seen by an aarch64 process,
a 32-bit one by a 64-bit process) is skipped and the search goes on, as the loader does. A
name that an object already loaded carries (its soname, or the file name of a library the
`import torch` before it loaded) is taken without a search. `$ORIGIN`, `$LIB` and `$PLATFORM`
expand as in ld.so(8).

Not modelled, and said so in docs/loader.md: the DT_RPATH of the Python executable itself, the
`glibc-hwcaps` subdirectories of search directories (their ld.so.cache entries are seen), empty
`LD_LIBRARY_PATH` entries (the job's working directory is unknown) and `DF_1_NODEFLIB`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from chipdoctor.evidence.base import Evidence, UnreadableError
from chipdoctor.loader.elf import (
    EM_386,
    EM_AARCH64,
    EM_ARM,
    EM_LOONGARCH,
    EM_PPC64,
    EM_RISCV,
    EM_S390,
    EM_X86_64,
    ElfInfo,
)
from chipdoctor.loader.ldcache import (
    LD_SO_CACHE,
    LdCache,
    LdCacheError,
    cache_flags,
    parse_ld_so_cache,
)
from chipdoctor.loader.ldconf import conf_directories

#: Larger than any real ld.so.cache (a few hundred KB with thousands of libraries).
MAX_CACHE_BYTES = 1 << 26
#: The most objects one walk opens; a real dependency tree of an extension has a few dozen.
MAX_OBJECTS = 256

VIA_RPATH = "DT_RPATH"
VIA_LD_LIBRARY_PATH = "LD_LIBRARY_PATH"
VIA_RUNPATH = "DT_RUNPATH"
VIA_CACHE = "ld.so.cache"
VIA_DEFAULT = "default directory"
VIA_LOADED = "already loaded"
VIA_PATH = "path"
# Only libraries found through these are descended into; the dependencies of a system library
# found in the cache or a default directory are the distribution's business, not the stack's.
_DESCEND = (VIA_RPATH, VIA_LD_LIBRARY_PATH, VIA_RUNPATH, VIA_PATH)

# NOTE: Debian/Ubuntu multiarch triplets (https://wiki.debian.org/Multiarch/Tuples).
_TRIPLETS = {
    (EM_X86_64, 64): "x86_64-linux-gnu",
    (EM_X86_64, 32): "x86_64-linux-gnux32",
    (EM_AARCH64, 64): "aarch64-linux-gnu",
    (EM_386, 32): "i386-linux-gnu",
    (EM_PPC64, 64): "powerpc64le-linux-gnu",
    (EM_S390, 64): "s390x-linux-gnu",
    (EM_RISCV, 64): "riscv64-linux-gnu",
    (EM_LOONGARCH, 64): "loongarch64-linux-gnu",
    (EM_ARM, 32): "arm-linux-gnueabihf",
}


@dataclass(frozen=True)
class Rejected:
    """A file the loader would find but skip."""

    path: str
    reason: str
    elf: ElfInfo | None = None


@dataclass(frozen=True)
class Resolution:
    name: str
    path: str | None  # None: the loader finds no usable file
    via: str = ""  # VIA_* (with the object whose RPATH/RUNPATH it was, see `via_object`)
    via_object: str = ""
    elf: ElfInfo | None = None
    rejected: tuple[Rejected, ...] = ()
    searched: tuple[str, ...] = ()  # directories tried, in order

    @property
    def found(self) -> bool:
        return self.path is not None

    def where(self) -> str:
        """How it was found, in words: `LD_LIBRARY_PATH`, `DT_RUNPATH of …/libtorch_npu.so`."""
        if self.via in (VIA_RPATH, VIA_RUNPATH) and self.via_object:
            return f"{self.via} of {self.via_object}"
        return self.via


@dataclass(frozen=True)
class Loaded:
    """An object in the process, and the chain of objects that loaded it (for DT_RPATH)."""

    path: str
    elf: ElfInfo
    loader: Loaded | None = None


@dataclass
class Walk:
    """Everything one walk of a dependency tree found, in the order the loader met it."""

    resolutions: dict[str, Resolution] = field(default_factory=dict)
    needed_by: dict[str, list[str]] = field(default_factory=dict)

    def missing(self) -> list[Resolution]:
        return [r for r in self.resolutions.values() if not r.found]


def default_directories(abi: ElfInfo) -> tuple[str, ...]:
    triplet = _TRIPLETS.get((abi.machine, abi.elf_class))
    dirs = [f"/lib/{triplet}", f"/usr/lib/{triplet}"] if triplet else []
    if abi.elf_class == 64:
        dirs += ["/lib64", "/usr/lib64"]
    return (*dirs, "/lib", "/usr/lib")


class LoaderSearch:
    """Resolves library names for one process the way its dynamic loader would."""

    def __init__(
        self, evidence: Evidence, process: ElfInfo, preloaded: Mapping[str, str] | None = None
    ) -> None:
        self.evidence = evidence
        self.process = process
        #: name -> path of libraries already in the process before the walk starts.
        self.preloaded = dict(preloaded or {})
        #: Why the loader ignores /etc/ld.so.cache (set once `cache` is read): it cannot be
        #: read, or it is damaged. None when it is usable or absent (minimal images have none).
        self.cache_error: UnreadableError | LdCacheError | None = None

    @cached_property
    def library_path(self) -> tuple[str, ...]:
        value = self.evidence.getenv("LD_LIBRARY_PATH") or ""
        # NOTE: ld.so splits LD_LIBRARY_PATH on ':' and ';'.
        # Empty and relative entries name the job's working directory, which is not known.
        parts = value.replace(";", ":").split(":")
        expanded = (self._expand(part, "", self.process) for part in parts if part)
        return tuple(path for path, ok in expanded if ok and path.startswith("/"))

    @cached_property
    def cache(self) -> LdCache | None:
        """The cache the loader reads; None when it has none it can use (see `cache_error`)."""
        try:
            data = self.evidence.read_bytes(LD_SO_CACHE, MAX_CACHE_BYTES)
        except UnreadableError as exc:
            self.cache_error = exc
            return None
        if data is None:
            return None
        try:
            return parse_ld_so_cache(data)
        except LdCacheError as exc:
            # NOTE: glibc's _dl_load_cache_lookup ignores a cache with a wrong magic or layout.
            self.cache_error = exc
            return None

    @cached_property
    def conf_dirs(self) -> tuple[str, ...]:
        """The directories /etc/ld.so.conf names: those `ldconfig` puts in the cache."""

        def read(path: str) -> str | None:
            try:
                return self.evidence.read_text(path)
            except UnreadableError:
                return None

        def list_dir(path: str) -> list[str] | None:
            try:
                return self.evidence.list_dir(path)
            except UnreadableError:
                return None

        return tuple(conf_directories(read, list_dir))

    def walk(self, roots: Sequence[str], names: Sequence[str] = ()) -> Walk:
        """Load `roots` by path, follow their DT_NEEDED, then `names` as a `dlopen` from the
        first root (or from the process when there is none) would.

        A root that cannot be read is left out: the caller reports it (it knows which package
        the object belongs to).
        """
        result = Walk()
        queue: list[Loaded] = []
        for root in roots:
            try:
                info = self.evidence.elf(root)
            except UnreadableError:
                continue
            if info is not None:
                queue.append(Loaded(root, info))
                self.preloaded.setdefault(info.soname or root.rsplit("/", 1)[-1], root)
        first = queue[0] if queue else None
        opened = len(queue)
        while queue:
            current = queue.pop(0)
            for name in current.elf.needed:
                resolution = self._need(result, name, current)
                if (
                    resolution is not None
                    and resolution.elf is not None
                    and resolution.path is not None
                    and resolution.via in _DESCEND
                    and opened < MAX_OBJECTS
                ):
                    opened += 1
                    queue.append(Loaded(resolution.path, resolution.elf, current))
        for name in names:
            self._need(result, name, first, dlopen=True)
        return result

    def _need(
        self, result: Walk, name: str, requester: Loaded | None, *, dlopen: bool = False
    ) -> Resolution | None:
        """Resolve `name` for `requester` once; returns it only the first time.

        A DT_NEEDED entry records its requester in `needed_by`; a `dlopen` does not.
        """
        result.needed_by.setdefault(name, [])
        if not dlopen and requester is not None and requester.path not in result.needed_by[name]:
            result.needed_by[name].append(requester.path)
        if name in result.resolutions:
            return None
        resolution = self.resolve(name, requester)
        result.resolutions[name] = resolution
        if resolution.path is not None:
            key = resolution.elf.soname if resolution.elf and resolution.elf.soname else name
            self.preloaded.setdefault(key, resolution.path)
            self.preloaded.setdefault(name, resolution.path)
        return resolution

    def resolve(self, name: str, requester: Loaded | None = None) -> Resolution:
        """Where the loader finds `name` when `requester` (None: the process) needs it."""
        abi = requester.elf if requester is not None else self.process
        if name in self.preloaded:
            return Resolution(name, self.preloaded[name], VIA_LOADED)
        if "/" in name:
            path = name if name.startswith("/") else ""
            return self._candidates(name, [(path, VIA_PATH, "")] if path else [], abi)
        steps: list[tuple[str, str, str]] = []
        if requester is None or not requester.elf.runpath:
            chain: Loaded | None = requester
            while chain is not None:
                for directory in self._dirs(chain.elf.rpath, chain):
                    steps.append((f"{directory}/{name}", VIA_RPATH, chain.path))
                chain = chain.loader
        steps += [(f"{d}/{name}", VIA_LD_LIBRARY_PATH, "") for d in self.library_path]
        if requester is not None:
            steps += [
                (f"{d}/{name}", VIA_RUNPATH, requester.path)
                for d in self._dirs(requester.elf.runpath, requester)
            ]
        if self.cache is not None:
            steps += [(e.path, VIA_CACHE, "") for e in self.cache.lookup(name, cache_flags(abi))]
        steps += [(f"{d}/{name}", VIA_DEFAULT, "") for d in default_directories(abi)]
        return self._candidates(name, steps, abi)

    def _candidates(self, name: str, steps: list[tuple[str, str, str]], abi: ElfInfo) -> Resolution:
        rejected: list[Rejected] = []
        searched: list[str] = []
        for path, via, via_object in steps:
            if via != VIA_CACHE:
                searched.append(path.rsplit("/", 1)[0] or "/")
            try:
                info = self.evidence.elf(path)
            except UnreadableError as exc:
                rejected.append(Rejected(path, exc.reason))
                continue
            if info is None:
                continue
            if not info.same_abi(abi):
                reason = f"{info.describe()}, not {abi.arch}"
                rejected.append(Rejected(path, reason, info))
                continue
            return Resolution(
                name, path, via, via_object, info, tuple(rejected), tuple(dict.fromkeys(searched))
            )
        return Resolution(
            name, None, rejected=tuple(rejected), searched=tuple(dict.fromkeys(searched))
        )

    def _dirs(self, entries: tuple[str, ...], owner: Loaded) -> list[str]:
        dirs: list[str] = []
        for entry in entries:
            expanded, ok = self._expand(entry, owner.path.rsplit("/", 1)[0] or "/", owner.elf)
            if ok and expanded.startswith("/"):
                dirs.append(expanded)
        return dirs

    def _expand(self, entry: str, origin: str, abi: ElfInfo) -> tuple[str, bool]:
        """Expand ld.so's dynamic string tokens; False when one cannot be (no $ORIGIN known)."""
        text = entry
        tokens = {"ORIGIN": origin, "PLATFORM": abi.arch, "LIB": _lib_dir(abi)}
        for token, value in tokens.items():
            for spelled in (f"${{{token}}}", f"${token}"):
                if spelled in text:
                    if not value:
                        return text, False
                    text = text.replace(spelled, value)
        return _normalize(text), True

    def find_in(self, name: str, directories: Sequence[str]) -> list[str]:
        """Where `name` exists in any of `directories` (for "installed but not searched")."""
        found = []
        for directory in dict.fromkeys(directories):
            try:
                if self.evidence.stat(f"{directory.rstrip('/')}/{name}") is not None:
                    found.append(f"{directory.rstrip('/')}/{name}")
            except UnreadableError:
                continue
        return found


def _lib_dir(abi: ElfInfo) -> str:
    # NOTE: $LIB is the distribution's library directory name: lib64 on Red Hat-style 64-bit
    # systems, lib/<triplet> on Debian-style ones; the Red Hat spelling is assumed here.
    return "lib64" if abi.elf_class == 64 else "lib"


def _normalize(path: str) -> str:
    """Collapse `.`, `..` and repeated slashes of an absolute path, as a path string.

    NOTE: the kernel resolves `..` after following symlinks; doing it on the string keeps
    snapshot paths clean and differs only where `$ORIGIN` itself is reached through a symlink.
    """
    if not path.startswith("/"):
        return path
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)
