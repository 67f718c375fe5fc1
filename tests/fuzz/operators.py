"""Named, seeded mutation operators over the files chipdoctor reads.

Each operator is a pure function of (input, `random.Random`), so a mutant is fully named by
its input, operator and seed, and `tests/fuzz/test_fuzz.py` can replay one from those three.
YAML operators work on the parsed tree where they can (so the mutant is still YAML and reaches
the code behind the parser) and on the text where the tree cannot say it (duplicate keys,
aliases, depth past the dumper). Byte operators work on any file.
"""

from __future__ import annotations

import io
import random
import tarfile
from collections.abc import Callable
from typing import Any

import yaml

YamlOperator = Callable[[bytes, random.Random], bytes]

#: Replaced in the dumped text by text the dumper cannot write (aliases, deep nesting).
_SENTINEL = "CHIPDOCTOR_FUZZ_SENTINEL"

#: Bytes worth inserting: YAML syntax, control characters, bad UTF-8, tags, directives.
_SPICE = (
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"\x1b[31m",
    b"\x07",
    b": ",
    b"- ",
    b"&a ",
    b"*a ",
    b"!!python/object/apply:os.system ['true'] ",
    b"!!binary ",
    b"\t",
    b"{",
    b"[",
    b"'",
    b'"',
    b"%YAML 1.1\n",
    b"---\n",
    b"...\n",
    b"\xef\xbb\xbf",
    b"\r",
    b"\n  ",
    b"? ",
    b"<<: ",
    b"..",
    b"/../../",
    b"9" * 80,
)


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node's path from the root: keys of mappings, indexes of lists."""
    found = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _load(data: bytes) -> Any:
    return yaml.safe_load(data.decode("utf-8"))


def _dump(tree: Any) -> bytes:
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=1 << 16).encode()


def _replace(tree: Any, rng: random.Random, make: Callable[[Any], Any]) -> Any:
    """`tree` with one random node (never the root) replaced by `make(node)`."""
    paths = [p for p in _paths(tree) if p] or [()]
    path = rng.choice(paths)
    if not path:
        return make(tree)
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = make(parent[path[-1]])
    return tree


def _with_text(data: bytes, rng: random.Random, text: str) -> bytes:
    """`data` with one random node replaced by the raw YAML flow `text`."""
    tree = _replace(_load(data), rng, lambda _: _SENTINEL)
    return _dump(tree).replace(_SENTINEL.encode(), text.encode(), 1)


def delete_key(data: bytes, rng: random.Random) -> bytes:
    """Remove one entry of a mapping or a list: evidence that is no longer there."""
    tree = _load(data)
    containers = [
        p for p in _paths(tree) if _at(tree, p) and isinstance(_at(tree, p), (dict, list))
    ]
    if not containers:
        return b""
    node = _at(tree, rng.choice(containers))
    if isinstance(node, dict):
        del node[rng.choice(list(node))]
    else:
        del node[rng.randrange(len(node))]
    return _dump(tree)


def _at(tree: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        tree = tree[step]
    return tree


def change_type(data: bytes, rng: random.Random) -> bytes:
    """One value replaced by a value of another YAML type."""
    choices: list[Any] = [
        0,
        -1,
        2.5,
        True,
        "text",
        "",
        [],
        ["a", 1],
        {},
        {"k": "v"},
        {1: 2},
        [[]],
        "2.1.0",
        1e309,
    ]

    def other(node: Any) -> Any:
        return rng.choice([c for c in choices if type(c) is not type(node)])

    return _dump(_replace(_load(data), rng, other))


def null_value(data: bytes, rng: random.Random) -> bytes:
    """One value replaced by `null`."""
    return _dump(_replace(_load(data), rng, lambda _: None))


def truncate(data: bytes, rng: random.Random) -> bytes:
    """The file cut short at a random byte."""
    return data[: rng.randrange(len(data) + 1)]


def insert_bytes(data: bytes, rng: random.Random) -> bytes:
    """One to three pieces of syntax, control characters or random bytes put at random places."""
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(data) + 1)
        if rng.random() < 0.2:
            piece = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            piece = rng.choice(_SPICE)
        data = data[:at] + piece + data[at:]
    return data


def duplicate(data: bytes, rng: random.Random) -> bytes:
    """One line written twice (a duplicate key, a repeated list item) or one node repeated."""
    lines = data.splitlines(keepends=True)
    if lines and rng.random() < 0.7:
        at = rng.randrange(len(lines))
        return b"".join([*lines[: at + 1], lines[at], *lines[at + 1 :]])
    tree = _load(data)
    lists = [p for p in _paths(tree) if isinstance(_at(tree, p), list) and _at(tree, p)]
    if not lists:
        return data + data
    node = _at(tree, rng.choice(lists))
    node.extend(node * rng.randint(1, 3))
    return _dump(tree)


def deep_nesting(data: bytes, rng: random.Random) -> bytes:
    """One value replaced by lists or mappings nested tens to thousands deep."""
    depth = rng.choice([rng.randint(10, 70), rng.randint(60, 200), rng.randint(500, 5000)])
    if rng.random() < 0.5:
        text = "[" * depth + "1" + "]" * depth
    else:
        text = "{a: " * depth + "1" + "}" * depth
    return _with_text(data, rng, text)


def aliases(data: bytes, rng: random.Random) -> bytes:
    """One value replaced by an alias bomb, an alias inside its own anchor, or a merge key."""
    kind = rng.choice(["bomb", "self", "merge", "undefined"])
    if kind == "bomb":
        width, levels = rng.randint(2, 10), rng.randint(2, 9)
        parts = ["&a0 [" + ", ".join(["lol"] * width) + "]"]
        for level in range(1, levels):
            parts.append(f"&a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
        text = "[" + ", ".join(parts) + "]"
    elif kind == "self":
        text = rng.choice(["&r [*r]", "&r {k: *r}", "&r [1, [2, *r]]"])
    elif kind == "merge":
        text = "[&m {a: 1, b: [x]}, {<<: *m, c: *m}, {<<: [*m, *m]}]"
    else:
        text = "*nowhere"
    return _with_text(data, rng, text)


def oversize(data: bytes, rng: random.Random) -> bytes:
    """One value replaced by something too big: a long string, a huge version, many keys."""
    kind = rng.choice(["string", "version", "keys", "file"])
    if kind == "string":
        size = rng.choice([5_000, 300_000, 3_000_000])
        return _dump(_replace(_load(data), rng, lambda _: "x" * size))
    if kind == "version":
        digits = rng.choice([65, 200, 5_000])
        return _dump(_replace(_load(data), rng, lambda _: "1." + "9" * digits + ".0"))
    if kind == "keys":
        count = rng.choice([1_000, 250_000])
        return _with_text(data, rng, "{" + ", ".join(f"k{i}: {i}" for i in range(count)) + "}")
    return data + b"#" + b"x" * (3 << 20)


#: Variables the probes read paths from (chipdoctor/stacks/*/probe.py, chipdoctor/access/).
_PATH_VARIABLES = (
    "ASCEND_HOME_PATH",
    "ASCEND_TOOLKIT_HOME",
    "ASCEND_OPP_PATH",
    "ATB_HOME_PATH",
    "CUDA_HOME",
    "CUDA_PATH",
    "ROCM_PATH",
    "ROCM_HOME",
    "NEUWARE_HOME",
    "MUSA_HOME",
    "LD_LIBRARY_PATH",
    "PATH",
    "HOME",
)


def _hostile(value: str, rng: random.Random) -> str:
    base = value if value.startswith("/") else "/usr/local/" + value
    return rng.choice(
        [
            base.lstrip("/") or "relative",
            base + "/..",
            base + "/../../../../../..",
            "/.." + base,
            base.replace("/", "/./", 2),
            base + "//",
            "/usr/" + "y" * 300,
            base + "/" + "z" * 256,
            "/a" * 2100,
            "",
            ".",
            "..",
            "/",
            "::" + base + ":relative:",
            "$ORIGIN/../" + base.rsplit("/", 1)[-1],
            base + "\u00fc\u2028",
        ]
    )


def hostile_path(data: bytes, rng: random.Random) -> bytes:
    """A path the probes follow (an environment variable, an ELF name or search path, any
    string holding a slash) made relative, `..`-laden, too long, empty or odd."""
    tree = _load(data)
    strings = [
        p for p in _paths(tree) if p and isinstance(_at(tree, p), str) and "/" in _at(tree, p)
    ]
    if isinstance(tree, dict) and (not strings or rng.random() < 0.4):
        env = tree.get("env")
        if not isinstance(env, dict):
            env = tree["env"] = {}
        env[rng.choice(_PATH_VARIABLES)] = _hostile(rng.choice([*map(str, env.values()), ""]), rng)
        return _dump(tree)
    if not strings:
        return insert_bytes(data, rng)
    path = rng.choice(strings)
    parent = _at(tree, path[:-1])
    parent[path[-1]] = _hostile(parent[path[-1]], rng)
    return _dump(tree)


#: The YAML operators by name; the fuzz test picks among them with its seed.
YAML_OPERATORS: dict[str, YamlOperator] = {
    op.__name__: op
    for op in (
        delete_key,
        change_type,
        null_value,
        truncate,
        insert_bytes,
        duplicate,
        deep_nesting,
        aliases,
        oversize,
        hostile_path,
    )
}

#: Operators after which the mutant holds less evidence than its fixture (for the oracle).
REMOVES_EVIDENCE = frozenset(
    {"delete_key", "null_value", "truncate", "delete_file", "tar_truncate", "gz_truncate"}
)


# --- archives: the tar members themselves -------------------------------------------------


def _members(data: bytes) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return [(m, tar.extractfile(m).read() if m.isfile() else b"") for m in tar.getmembers()]  # type: ignore[union-attr]


def _pack(members: list[tuple[tarfile.TarInfo, bytes]], fmt: int = tarfile.GNU_FORMAT) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as tar:
        for info, content in members:
            info.size = len(content) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(content) if info.isfile() else None)
    return _gzip(raw.getvalue())


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, compresslevel=1, mtime=0)


def _tar_bytes(data: bytes) -> bytes:
    import gzip

    return gzip.decompress(data)


def archive_member(op: YamlOperator) -> Callable[[bytes, random.Random], bytes]:
    """A YAML operator applied to the archive's snapshot.yaml, the archive repacked."""

    def mutate(data: bytes, rng: random.Random) -> bytes:
        members = _members(data)
        for index, (info, content) in enumerate(members):
            if info.name.endswith("/snapshot.yaml"):
                members[index] = (info, op(content, rng))
        return _pack(members)

    mutate.__name__ = op.__name__
    return mutate


def tar_bytes(op: YamlOperator) -> Callable[[bytes, random.Random], bytes]:
    """A byte operator applied to the uncompressed tar stream (headers included), regzipped."""

    def mutate(data: bytes, rng: random.Random) -> bytes:
        return _gzip(op(_tar_bytes(data), rng))

    mutate.__name__ = f"tar_{op.__name__}"
    return mutate


def delete_file(data: bytes, rng: random.Random) -> bytes:
    """One member left out of the archive: a file the snapshot no longer holds."""
    members = _members(data)
    files = [i for i, (m, _) in enumerate(members) if m.isfile()]
    del members[rng.choice(files)]
    return _pack(members)


def member_type(data: bytes, rng: random.Random) -> bytes:
    """One member turned into a link, FIFO, device, sparse file or an entry escaping the top."""
    members = _members(data)
    index = rng.randrange(len(members))
    info, _ = members[index]
    kind = rng.choice(["sym", "hard", "fifo", "chr", "escape", "absolute", "dir"])
    if kind == "sym":
        info.type, info.linkname = tarfile.SYMTYPE, rng.choice(["/etc/passwd", "../../x", "."])
    elif kind == "hard":
        info.type, info.linkname = tarfile.LNKTYPE, members[0][0].name
    elif kind == "fifo":
        info.type = tarfile.FIFOTYPE
    elif kind == "chr":
        info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
    elif kind == "escape":
        info.name = "../" + info.name
    elif kind == "absolute":
        info.name = "/" + info.name
    else:
        info.type = tarfile.DIRTYPE
    members[index] = (info, b"")
    return _pack(members)


def member_duplicate(data: bytes, rng: random.Random) -> bytes:
    """One member written twice, the second time with other content."""
    members = _members(data)
    info, content = members[rng.randrange(len(members))]
    copy = tarfile.TarInfo(info.name)
    copy.type, copy.mode = info.type, info.mode
    members.append((copy, content[::-1] if info.isfile() else b""))
    return _pack(members)


def member_deep(data: bytes, rng: random.Random) -> bytes:
    """A member nested far deeper than a snapshot allows, or with a name past 4096 bytes."""
    members = _members(data)
    top = members[0][0].name.split("/")[0]
    if rng.random() < 0.5:
        name = top + "/files/" + "/".join(["d"] * rng.choice([63, 70, 300]))
    else:
        name = top + "/files/" + "n" * rng.choice([255, 5000])
    info = tarfile.TarInfo(name + "/f")
    members.append((info, b"x"))
    return _pack(members, rng.choice([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]))


def member_many(data: bytes, rng: random.Random) -> bytes:
    """Many empty members: past the member cap, or just under it."""
    members = _members(data)
    top = members[0][0].name.split("/")[0]
    count = rng.choice([100, 50_001])
    members.extend((tarfile.TarInfo(f"{top}/files/m{i}"), b"") for i in range(count))
    return _pack(members)


def member_oversize(data: bytes, rng: random.Random) -> bytes:
    """A member over the 1 MiB text limit, or a pax header that lies about the size."""
    members = _members(data)
    files = [i for i, (m, _) in enumerate(members) if m.isfile()]
    index = rng.choice(files)
    info, content = members[index]
    if rng.random() < 0.5:
        members[index] = (info, content + b"9" * (rng.choice([1, 2]) << 20))
        return _pack(members)
    info.pax_headers = {"size": str(rng.choice([1 << 30, 1 << 40, 99999999999999]))}
    return _pack(members, tarfile.PAX_FORMAT)


def gz_truncate(data: bytes, rng: random.Random) -> bytes:
    """The compressed archive cut short (a download that stopped)."""
    return data[: rng.randrange(len(data) + 1)]


ARCHIVE_OPERATORS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    op.__name__: op
    for op in (
        *(archive_member(o) for o in YAML_OPERATORS.values()),
        tar_bytes(truncate),
        tar_bytes(insert_bytes),
        delete_file,
        member_type,
        member_duplicate,
        member_deep,
        member_many,
        member_oversize,
        gz_truncate,
    )
}
