"""Real shared objects for the symbol checks, built with g++ on this machine: a fake torch
library `libc10.so` (C++11 ABI) exporting functions in namespace c10, and extensions linked
against it: one that loads, one needing a function the library lacks, one built with the old
C++ ABI (`-D_GLIBCXX_USE_CXX11_ABI=0`), one needing a hidden one."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

C10 = r"""
#include <string>
namespace c10 {
int touch(int x) { return x + 1; }
std::string name(const std::string& s) { return s + "!"; }
struct Thing { virtual ~Thing(); virtual int f(); };
Thing::~Thing() {}
int Thing::f() { return 2; }
__attribute__((visibility("hidden"))) int secret(int x) { return x; }
int absent_in_old_torch(int x) { return x; }
namespace detail {
void torchCheckFail(const char*, const char*, unsigned int, const std::string&) {}
}
}
"""
#: What each extension calls; declared here, defined (or not) in libc10.so.
_DECLS = r"""
#include <string>
namespace c10 {
int touch(int); std::string name(const std::string&); int secret(int);
int absent(int); int absent_in_old_torch(int);
struct Thing { virtual ~Thing(); virtual int f(); };
}
"""
EXTENSIONS = {
    # name -> (body, -D_GLIBCXX_USE_CXX11_ABI)
    "ext_ok": ('int run() { c10::Thing t; return c10::touch(t.f()) + c10::name("a").size(); }', 1),
    "ext_missing": ("int run() { return c10::touch(1) + c10::absent(2); }", 1),
    "ext_old_abi": ('int run() { return c10::name("a").size(); }', 0),
    "ext_hidden": ("int run() { return c10::secret(1); }", 1),
    "ext_new": ("int run() { return c10::absent_in_old_torch(1); }", 1),
}
#: The mangled names g++ gives them.
ABSENT = "_ZN3c106absentEi"
OLD_NAME = "_ZN3c104nameERKSs"
SECRET = "_ZN3c106secretEi"
NEW = "_ZN3c1019absent_in_old_torchEi"


@dataclass(frozen=True)
class Built:
    torch_lib: Path  # the directory holding libc10.so
    extensions: dict[str, Path]
    old_torch_lib: Path  # a libc10.so without absent_in_old_torch


def gxx() -> str:
    found = shutil.which("g++")
    if found is None:
        pytest.skip("g++ is not installed (.ci/run installs it)")
    return found


def _compile(source: str, out: Path, *flags: str) -> None:
    src = out.with_suffix(".cpp")
    src.write_text(source)
    subprocess.run(
        [gxx(), "-shared", "-fPIC", "-O0", "-o", str(out), str(src), *flags],
        check=True,
        capture_output=True,
    )


def build(directory: Path) -> Built:
    lib = directory / "torch" / "lib"
    lib.mkdir(parents=True)
    _compile(C10, lib / "libc10.so", "-D_GLIBCXX_USE_CXX11_ABI=1")
    old = directory / "old" / "lib"
    old.mkdir(parents=True)
    _compile(
        C10.replace("int absent_in_old_torch(int x) { return x; }", ""),
        old / "libc10.so",
        "-D_GLIBCXX_USE_CXX11_ABI=1",
    )
    extensions: dict[str, Path] = {}
    for name, (body, abi) in EXTENSIONS.items():
        out = directory / f"{name}.so"
        _compile(
            _DECLS + body,
            out,
            f"-D_GLIBCXX_USE_CXX11_ABI={abi}",
            f"-L{lib}",
            "-lc10",
        )
        extensions[name] = out
    return Built(lib, extensions, old)


def write_dist(
    site: Path, name: str, version: str, files: dict[str, Path], *, requires: bool = True
) -> None:
    """A wheel-installed distribution in `site`: its METADATA (requiring torch where
    `requires`) and a RECORD listing `files`, copied in."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    extra = "Requires-Dist: torch\n" if requires else ""
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{extra}\n"
    )
    record = [f"{name}-{version}.dist-info/METADATA,,"]
    for relative, source in files.items():
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        record.append(f"{relative},sha256=x,{target.stat().st_size}")
    (info / "RECORD").write_text("\n".join(record) + "\n")
