"""The `chipdoctor-snapshot/2` records: identity, stats, dirs and elf, to and from YAML data.

Layout (docs/contracts.md):

    identity: {uid: 1000, gid: 1000, user: alice, groups: [{gid: 1000, name: alice}]}
    stats:    {/dev/davinci0: {type: char, mode: "0660", uid: 0, gid: 1001,
                               owner: root, group: HwHiAiUser}, /dev/kfd: null}
    dirs:     {/dev: [davinci0, davinci_manager]}
    elf:      {/usr/lib/libfoo.so: {class: 64, byte_order: little, machine: 62,
                                    needed: [libc.so.6], runpath: [$ORIGIN]}}

    symbols:  {/site/ext/_C.so: {providers: [/site/torch/lib/libc10.so],
                                 unresolved: {count: 1, first: [_ZN3c10…]}},
               /site/torch/lib/libc10.so: {defines: [_ZN3c10…], lacks: [_ZN3c10…]}}

`null` records "does not exist"; `{error: "…"}` records "exists but could not be read".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chipdoctor.evidence.base import FileStat, Identity
from chipdoctor.loader.devcode import DeviceCode
from chipdoctor.loader.elf import ElfInfo

if TYPE_CHECKING:
    from chipdoctor.loader.symbols import Unresolved

#: `where`, message -> the BadInput to raise (LocatedYaml.error of the snapshot file).
Fail = Callable[[tuple[Any, ...], str], Exception]

KINDS = ("file", "dir", "char", "block", "fifo", "socket", "other")


def identity_to_data(identity: Identity) -> dict[str, Any]:
    return {
        "uid": identity.uid,
        "gid": identity.gid,
        "user": identity.user,
        "groups": [{"gid": gid, "name": name} for gid, name in identity.groups],
    }


def identity_from_data(data: Any, fail: Fail) -> Identity:
    where = ("identity",)
    if not isinstance(data, dict):
        raise fail(where, "identity must be a mapping with uid, gid, user and groups")
    uid, gid = _int(data, "uid", where, fail), _int(data, "gid", where, fail)
    groups = data.get("groups") or []
    if not isinstance(groups, list):
        raise fail((*where, "groups"), "groups must be a list of {gid, name}")
    pairs = []
    for index, group in enumerate(groups):
        at = (*where, "groups", index)
        if not isinstance(group, dict):
            raise fail(at, "each group must be a mapping {gid, name}")
        pairs.append((_int(group, "gid", at, fail), str(group.get("name") or "")))
    return Identity(uid, gid, str(data.get("user") or ""), tuple(pairs))


def stat_to_data(info: FileStat) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": info.kind,
        "mode": f"{info.mode:04o}",
        "uid": info.uid,
        "gid": info.gid,
        "owner": info.owner,
        "group": info.group,
    }
    if info.acl:
        data["acl"] = [list(entry) for entry in info.acl]
    return data


def stat_from_data(path: str, data: Any, fail: Fail) -> FileStat:
    where = ("stats", path)
    if not isinstance(data, dict):
        raise fail(where, f"stat of {path} must be a mapping, null or {{error: …}}")
    kind = data.get("type")
    if kind not in KINDS:
        raise fail((*where, "type"), f"type of {path} must be one of {', '.join(KINDS)}")
    mode = data.get("mode")
    try:
        bits = int(mode, 8) if isinstance(mode, str) else None
    except ValueError:
        bits = None
    if bits is None:
        raise fail((*where, "mode"), f'mode of {path} must be octal text such as "0660"')
    acl = data.get("acl") or []
    if not isinstance(acl, list) or not all(
        isinstance(e, list) and len(e) == 3 and all(isinstance(v, int) for v in e) for e in acl
    ):
        raise fail((*where, "acl"), f"acl of {path} must be a list of [tag, perm, id]")
    return FileStat(
        str(kind),
        bits & 0o7777,
        _int(data, "uid", where, fail),
        _int(data, "gid", where, fail),
        str(data.get("owner") or ""),
        str(data.get("group") or ""),
        tuple((e[0], e[1], e[2]) for e in acl),
    )


def elf_to_data(info: ElfInfo) -> dict[str, Any]:
    data: dict[str, Any] = {
        "class": info.elf_class,
        "byte_order": info.byte_order,
        "machine": info.machine,
        "type": info.elf_type,
        "flags": info.flags,
    }
    for key, value in (
        ("soname", info.soname),
        ("needed", list(info.needed)),
        ("rpath", list(info.rpath)),
        ("runpath", list(info.runpath)),
    ):
        if value:
            data[key] = value
    return data


def elf_from_data(path: str, data: Any, fail: Fail) -> ElfInfo:
    where = ("elf", path)
    if not isinstance(data, dict):
        raise fail(where, f"elf of {path} must be a mapping, null or {{error: …}}")
    elf_class = data.get("class")
    if elf_class not in (32, 64):
        raise fail((*where, "class"), f"class of {path} must be 32 or 64")
    order = data.get("byte_order")
    if order not in ("little", "big"):
        raise fail((*where, "byte_order"), f"byte_order of {path} must be little or big")
    lists = {}
    for key in ("needed", "rpath", "runpath"):
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail((*where, key), f"{key} of {path} must be a list of strings")
        lists[key] = tuple(value)
    return ElfInfo(
        int(elf_class),
        str(order),
        _int(data, "machine", where, fail),
        _int({"type": 3, **data}, "type", where, fail),
        _int({"flags": 0, **data}, "flags", where, fail),
        str(data.get("soname") or ""),
        lists["needed"],
        lists["rpath"],
        lists["runpath"],
    )


def device_code_to_data(code: DeviceCode) -> dict[str, Any]:
    return {"native": list(code.native), "portable": list(code.portable)}


def device_code_from_data(path: str, data: Any, fail: Fail) -> DeviceCode:
    where = ("device_code", path)
    if not isinstance(data, dict):
        raise fail(where, f"device_code of {path} must be a mapping, null or {{error: …}}")
    lists = {}
    for key in ("native", "portable"):
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail((*where, key), f"{key} of {path} must be a list of architecture names")
        lists[key] = tuple(value)
    return DeviceCode(lists["native"], lists["portable"])


@dataclass(frozen=True)
class SymbolRecord:
    """What was read of one library's dynamic symbols: the torch symbols it needs that its
    `providers` do not export (None: not asked), and of the names looked up in it, those it
    defines and those it lacks."""

    providers: tuple[str, ...] = ()
    unresolved: Unresolved | None = None
    defines: frozenset[str] = frozenset()
    lacks: frozenset[str] = frozenset()

    def merged(self, other: SymbolRecord) -> SymbolRecord:
        asked = other.unresolved is not None
        return SymbolRecord(
            other.providers if asked else self.providers,
            other.unresolved if asked else self.unresolved,
            self.defines | other.defines,
            self.lacks | other.lacks,
        )


def symbols_to_data(record: SymbolRecord) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if record.unresolved is not None:
        out["providers"] = list(record.providers)
        gaps: dict[str, Any] = {
            "count": record.unresolved.count,
            "first": list(record.unresolved.first),
        }
        if record.unresolved.abi:
            gaps["abi"] = record.unresolved.abi
        out["unresolved"] = gaps
    if record.defines:
        out["defines"] = sorted(record.defines)
    if record.lacks:
        out["lacks"] = sorted(record.lacks)
    return out


def _names(data: dict[str, Any], key: str, where: tuple[Any, ...], fail: Fail) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail((*where, key), f"{key} must be a list of names")
    return tuple(value)


def symbols_from_data(path: str, data: Any, fail: Fail) -> SymbolRecord:
    where = ("symbols", path)
    keys = {"providers", "unresolved", "defines", "lacks"}
    if not isinstance(data, dict) or not set(data) <= keys:
        raise fail(where, f"symbols of {path} must be a mapping of {', '.join(sorted(keys))}")
    gaps = data.get("unresolved")
    found = None
    if gaps is not None:
        if not isinstance(gaps, dict) or not set(gaps) <= {"count", "first", "abi"}:
            raise fail((*where, "unresolved"), "unresolved must be a mapping of count, first, abi")
        first = _names(gaps, "first", (*where, "unresolved"), fail)
        count = gaps.get("count", len(first))
        if not isinstance(count, int) or isinstance(count, bool) or count < len(first):
            raise fail((*where, "unresolved", "count"), "count must be an integer >= len(first)")
        abi = gaps.get("abi")
        if abi not in (None, "cxx11", "old"):
            raise fail((*where, "unresolved", "abi"), "abi must be cxx11 or old")
        from chipdoctor.loader.symbols import Unresolved  # only where a snapshot holds one

        found = Unresolved(count, first, abi)
    return SymbolRecord(
        _names(data, "providers", where, fail),
        found,
        frozenset(_names(data, "defines", where, fail)),
        frozenset(_names(data, "lacks", where, fail)),
    )


def record_error(data: Any) -> str | None:
    """The reason of an `{error: …}` record, None for any other record."""
    if isinstance(data, dict) and set(data) == {"error"}:
        return str(data["error"])
    return None


def _int(data: dict[str, Any], key: str, where: tuple[Any, ...], fail: Fail) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise fail((*where, key), f"{key} must be an integer")
    return value
