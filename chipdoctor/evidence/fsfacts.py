"""File-system facts of a live machine for the access checks: stat, ACLs, ELF headers, identity.

Kept apart from host.py so the plain version checks never import `pwd`, `grp` or the ELF
reader. Nothing here opens a device node: `stat` and extended attributes only.
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from chipdoctor.evidence.base import FileStat, Identity, UnreadableError
from chipdoctor.loader.devcode import DeviceCode, DeviceCodeError, read_device_code
from chipdoctor.loader.elf import ElfError, ElfInfo, ReadAt, parse_elf
from chipdoctor.loader.symbols import (
    SymbolError,
    Unresolved,
    defined_symbols,
    needed_torch_symbols,
    unresolved,
)

#: gid/uid -> name on the inspected machine ("" when it has no such entry).
NameOf = Callable[[int], str]

_KINDS = (
    (stat.S_ISREG, "file"),
    (stat.S_ISDIR, "dir"),
    (stat.S_ISCHR, "char"),
    (stat.S_ISBLK, "block"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"),
)
# NOTE: the xattr format of <linux/posix_acl_xattr.h>: a little-endian u32 version (2), then
# (u16 tag, u16 perm, u32 id) entries.
_ACL_XATTR = "system.posix_acl_access"
_ACL_VERSION = 2


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def stat_path(local: Path, path: str, user_name: NameOf, group_name: NameOf) -> FileStat | None:
    """`stat` of `local` (reported as `path`), None when absent."""
    try:
        info = local.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:
        raise UnreadableError(path, "permission denied") from None
    except OSError as exc:
        raise UnreadableError(path, _reason(exc)) from None
    kind = next((name for test, name in _KINDS if test(info.st_mode)), "other")
    return FileStat(
        kind,
        stat.S_IMODE(info.st_mode),
        info.st_uid,
        info.st_gid,
        user_name(info.st_uid),
        group_name(info.st_gid),
        _access_acl(local),
    )


def _access_acl(local: Path) -> tuple[tuple[int, int, int], ...]:
    try:
        raw = os.getxattr(local, _ACL_XATTR)
    except OSError:
        return ()  # no ACL, or a file system without them
    return parse_acl_xattr(raw)


def parse_acl_xattr(raw: bytes) -> tuple[tuple[int, int, int], ...]:
    if len(raw) < 4 or struct.unpack_from("<I", raw)[0] != _ACL_VERSION:
        return ()
    return tuple(struct.iter_unpack("<HHI", raw[4 : 4 + (len(raw) - 4) // 8 * 8]))


def _open(local: Path, path: str) -> BinaryIO:
    """The file for reading; O_NONBLOCK so a FIFO cannot hang the check, refused unless regular."""
    descriptor = os.open(local, os.O_RDONLY | os.O_NONBLOCK)
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise UnreadableError(
            path, "is a directory" if stat.S_ISDIR(mode) else "not a regular file"
        )
    return os.fdopen(descriptor, "rb")


def read_prefix(local: Path, path: str, limit: int) -> bytes | None:
    try:
        with _open(local, path) as handle:
            return handle.read(limit)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise UnreadableError(path, "is a directory") from None
    except PermissionError:
        raise UnreadableError(path, "permission denied") from None
    except OSError as exc:
        raise UnreadableError(path, _reason(exc)) from None


_T = TypeVar("_T")


def elf_of(local: Path, path: str) -> ElfInfo | None:
    """The ELF facts of one file, read in a few seeks; never loads it."""
    return _read_elf(local, path, parse_elf)


def device_code_of(local: Path, path: str) -> DeviceCode | None:
    """The GPU architectures one library carries, from its section headers; never loads it."""
    return _read_elf(local, path, read_device_code)


def needed_symbols_of(local: Path, path: str) -> tuple[str, ...] | None:
    """The torch symbols one library needs, from its dynamic symbol table; never loads it."""
    return _read_elf(local, path, needed_torch_symbols)


def defined_symbols_of(local: Path, path: str, names: tuple[str, ...]) -> frozenset[str] | None:
    """Which of `names` one library exports, through its GNU hash table; never reads it whole."""
    return _read_elf(local, path, lambda read: defined_symbols(read, names))


#: (provider path, symbol name) -> whether the provider exports it: one check asks torch's
#: libraries for the same names library after library. Bounded: past this, nothing is kept.
KnownSymbols = dict[tuple[str, str], bool]
MAX_KNOWN = 1_000_000


def unresolved_symbols_of(
    local: Path, path: str, providers: list[tuple[Path, str]], known: KnownSymbols | None = None
) -> Unresolved | None:
    """The torch symbols one library needs that none of `providers` (local file, path as
    reported) exports; each provider is asked only for what the ones before it left, and
    only for names `known` does not answer."""
    needed = needed_symbols_of(local, path)
    if needed is None:
        return None
    known = {} if known is None else known
    left = set(needed)
    for provider_local, provider in providers:
        if not left:
            break
        ask = tuple(sorted(name for name in left if (provider, name) not in known))
        if ask:
            try:
                found = defined_symbols_of(provider_local, provider, ask) or frozenset()
            except UnreadableError as exc:
                raise UnreadableError(path, f"{provider}: {exc.reason}") from None
            if len(known) + len(ask) <= MAX_KNOWN:
                known.update(((provider, name), name in found) for name in ask)
            left -= found
        left = {name for name in left if not known.get((provider, name), False)}
    return unresolved(needed, left)


def _read_elf(local: Path, path: str, parse: Callable[[ReadAt], _T]) -> _T | None:
    """`parse` over the file through seeks and reads, its failures as UnreadableError. An
    offset past the file's end reads nothing: the object's own offsets are u64, and a seek
    that far raises ValueError, not an OSError."""
    try:
        with _open(local, path) as handle:
            end = os.fstat(handle.fileno()).st_size

            def read(offset: int, size: int) -> bytes:
                if offset >= end:
                    return b""
                handle.seek(offset)
                return handle.read(size)

            return parse(read)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (ElfError, DeviceCodeError, SymbolError) as exc:
        raise UnreadableError(path, str(exc)) from None
    except IsADirectoryError:
        raise UnreadableError(path, "is a directory") from None
    except PermissionError:
        raise UnreadableError(path, "permission denied") from None
    except OSError as exc:
        raise UnreadableError(path, _reason(exc)) from None


def nss_names() -> tuple[NameOf, NameOf]:
    """User and group names through the C library (files, LDAP, SSSD: whatever NSS uses)."""
    import grp
    import pwd

    def user(uid: int) -> str:
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return ""

    def group(gid: int) -> str:
        try:
            return grp.getgrgid(gid).gr_name
        except KeyError:
            return ""

    return user, group


def table_names(passwd: str | None, group: str | None) -> tuple[NameOf, NameOf]:
    """User and group names from `/etc/passwd` and `/etc/group` texts (name:x:id:…)."""
    users = _id_table(passwd or "")
    groups = _id_table(group or "")
    return (lambda uid: users.get(uid, "")), (lambda gid: groups.get(gid, ""))


def _id_table(text: str) -> dict[int, str]:
    table: dict[int, str] = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            table.setdefault(int(fields[2]), fields[0])
    return table


def process_identity() -> Identity:
    """The effective user and every group of this process, named through NSS."""
    user, group = nss_names()
    uid, gid = os.geteuid(), os.getegid()
    gids = dict.fromkeys([gid, *os.getgroups()])
    return Identity(uid, gid, user(uid), tuple((g, group(g)) for g in gids))
