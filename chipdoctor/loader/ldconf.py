"""`/etc/ld.so.conf` and the files it includes: the directories `ldconfig` puts in the cache.

The loader never reads these files; it reads the cache `ldconfig` built from them. A library
that sits in one of these directories but is missing from the cache means `ldconfig` was not
run after it was installed. Syntax: ldconfig(8) and glibc `elf/ldconfig.c` (`parse_conf`):
one directory per line, `#` comments, `include <glob>…` (relative globs count from the
including file's directory), and the obsolete `hwcap` lines, which are ignored.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field

LD_SO_CONF = "/etc/ld.so.conf"
_MAX_DEPTH = 8  # includes of includes; ldconfig itself has no limit, a loop would never end

ReadText = Callable[[str], "str | None"]
ListDir = Callable[[str], "list[str] | None"]


def conf_directories(read: ReadText, list_dir: ListDir, path: str = LD_SO_CONF) -> list[str]:
    """The directories named by `path` and everything it includes, in order, without repeats."""
    walk = _Walk(read, list_dir)
    walk.parse(path, depth=0)
    return list(dict.fromkeys(walk.found))


@dataclass(frozen=True)
class _Walk:
    """One walk through the configuration files: the evidence it reads, what it found, and the
    files already read (an include loop reads each once)."""

    read: ReadText
    list_dir: ListDir
    found: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def parse(self, path: str, *, depth: int) -> None:
        if path in self.seen or depth > _MAX_DEPTH:
            return
        self.seen.add(path)
        text = self.read(path)
        if text is None:
            return
        here = path.rsplit("/", 1)[0] or "/"
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split()
            if words[0] == "include" and len(words) > 1:
                for pattern in words[1:]:
                    absolute = pattern if pattern.startswith("/") else f"{here}/{pattern}"
                    for included in expand_glob(self.list_dir, absolute):
                        self.parse(included, depth=depth + 1)
            elif words[0].lower() == "hwcap":
                continue
            else:
                # NOTE: ldconfig drops a trailing "=TYPE" (libc5-era syntax) and trailing slashes.
                directory = line.split("=", 1)[0].strip().rstrip("/") or "/"
                if directory.startswith("/"):
                    self.found.append(directory)


def expand_glob(list_dir: ListDir, pattern: str) -> list[str]:
    """glob(3) over the evidence: every component may hold `*`, `?` or `[…]`; sorted matches."""
    parts = [part for part in pattern.split("/") if part]
    matches = ["/"]
    for part in parts:
        next_matches: list[str] = []
        for base in matches:
            prefix = base.rstrip("/")
            if not any(char in part for char in "*?["):
                next_matches.append(f"{prefix}/{part}")
                continue
            entries = list_dir(base) or []
            next_matches.extend(
                f"{prefix}/{entry}"
                for entry in sorted(entries)
                if fnmatch.fnmatchcase(entry, part) and not entry.startswith(".")
            )
        matches = next_matches
    return matches
