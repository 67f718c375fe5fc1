"""The ld.so(8) search order, checked against this machine's own dynamic loader (`ld.so --list`)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from chipdoctor.evidence.host import HostEvidence
from chipdoctor.loader.elf import native_abi
from chipdoctor.loader.ldconf import conf_directories, expand_glob
from chipdoctor.loader.search import (
    VIA_CACHE,
    VIA_LD_LIBRARY_PATH,
    VIA_LOADED,
    VIA_RPATH,
    VIA_RUNPATH,
    Loaded,
    LoaderSearch,
    default_directories,
)
from tests.access_trees import SearchPaths, build_object, compiler

LD_SO = Path("/lib64/ld-linux-x86-64.so.2")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Libraries whose names are found in several places, one place per search step."""
    if compiler("x86_64") is None or compiler("i386") is None:
        pytest.skip("needs cc and i686-linux-gnu-gcc")
    for where in ("rp", "llp"):
        build_object(tmp_path / where / "libB.so", "x86_64", soname="libB.so")
    build_object(tmp_path / "llp" / "libE.so", "i386", soname="libE.so")  # wrong class
    build_object(tmp_path / "rp" / "libE.so", "x86_64", soname="libE.so")
    build_object(
        tmp_path / "pkg/libA.so",
        "x86_64",
        needed=["libB.so"],
        paths=SearchPaths(runpath=["$ORIGIN/../rp"]),
    )
    build_object(
        tmp_path / "pkg/libC.so",
        "x86_64",
        needed=["libB.so"],
        paths=SearchPaths(rpath=["$ORIGIN/../rp"]),
    )
    build_object(
        tmp_path / "pkg/libD.so",
        "x86_64",
        needed=["libE.so"],
        paths=SearchPaths(runpath=["$ORIGIN/../rp"]),
    )
    build_object(tmp_path / "pkg/libF.so", "x86_64", needed=["libz.so.1"])
    return tmp_path


def _real_loader(path: Path, env: dict[str, str]) -> dict[str, str]:
    """name -> path, as this machine's ld.so resolves the object's DT_NEEDED."""
    if not LD_SO.exists():
        pytest.skip("no x86_64 dynamic loader at /lib64/ld-linux-x86-64.so.2")
    result = subprocess.run(
        [str(LD_SO), "--list", str(path)], capture_output=True, text=True, env=env, check=True
    )
    return dict(re.findall(r"^\s*(\S+) => (\S+) \(0x", result.stdout, re.MULTILINE))


@pytest.mark.parametrize(
    ("name", "library", "via"),
    [
        ("libA.so", "libB.so", VIA_LD_LIBRARY_PATH),  # LD_LIBRARY_PATH before DT_RUNPATH
        ("libC.so", "libB.so", VIA_RPATH),  # DT_RPATH before LD_LIBRARY_PATH
        ("libD.so", "libE.so", VIA_RUNPATH),  # the i386 libE.so is skipped
        ("libF.so", "libz.so.1", VIA_CACHE),
    ],
)
def test_resolution_agrees_with_this_machines_loader(
    tree: Path, name: str, library: str, via: str
) -> None:
    env = {"LD_LIBRARY_PATH": str(tree / "llp")}
    truth = _real_loader(tree / "pkg" / name, env)
    host = HostEvidence(env=env)
    search = LoaderSearch(host, native_abi("x86_64"))  # type: ignore[arg-type]
    info = host.elf(str(tree / "pkg" / name))
    assert info is not None
    resolution = search.resolve(library, Loaded(str(tree / "pkg" / name), info))
    assert resolution.path is not None
    assert Path(resolution.path).resolve() == Path(truth[library]).resolve()
    assert resolution.via == via
    if name == "libD.so":
        (skipped,) = resolution.rejected
        assert skipped.path == f"{tree}/llp/libE.so"
        assert skipped.reason == "ELF 32-bit LSB i386, not x86_64"


def test_a_walk_follows_runpaths_and_reports_what_is_missing(tree: Path) -> None:
    build_object(tree / "rp/libG.so", "x86_64", soname="libG.so", needed=["libmissing.so"])
    build_object(
        tree / "pkg/libtop.so",
        "x86_64",
        needed=["libG.so"],
        paths=SearchPaths(runpath=["$ORIGIN/../rp"]),
    )
    search = LoaderSearch(HostEvidence(env={}), native_abi("x86_64"))  # type: ignore[arg-type]
    walk = search.walk([str(tree / "pkg/libtop.so")], ["libB.so"])
    assert walk.resolutions["libG.so"].via == VIA_RUNPATH
    (missing,) = walk.missing()
    assert missing.name == "libmissing.so"
    assert walk.needed_by["libmissing.so"] == [f"{tree}/rp/libG.so"]
    assert walk.needed_by["libB.so"] == []  # opened by name, not listed by anything
    assert f"{tree}/rp" not in missing.searched  # libG.so has no RUNPATH of its own


def test_a_library_already_in_the_process_is_not_searched() -> None:
    abi = native_abi("x86_64")
    assert abi is not None
    search = LoaderSearch(HostEvidence(env={}), abi, {"libc10.so": "/site/torch/lib/libc10.so"})
    resolution = search.resolve("libc10.so")
    assert (resolution.path, resolution.via) == ("/site/torch/lib/libc10.so", VIA_LOADED)


def test_library_path_keeps_only_absolute_entries() -> None:
    abi = native_abi("aarch64")
    assert abi is not None
    env = {"LD_LIBRARY_PATH": "/a:;relative/dir:/b;/c/../d:$ORIGIN/x:/p/$PLATFORM"}
    search = LoaderSearch(HostEvidence(env=env), abi)
    assert search.library_path == ("/a", "/b", "/d", "/p/aarch64")


def test_default_directories_per_machine() -> None:
    x86 = native_abi("x86_64")
    i386 = native_abi("i686")
    assert x86 is not None and i386 is not None
    assert default_directories(x86) == (
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib64",
        "/usr/lib64",
        "/lib",
        "/usr/lib",
    )
    assert default_directories(i386)[:2] == ("/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu")
    assert "/lib64" not in default_directories(i386)


def test_ld_so_conf_includes_globs_and_comments(tmp_path: Path) -> None:
    root = tmp_path
    (root / "etc/ld.so.conf.d").mkdir(parents=True)
    (root / "etc/ld.so.conf").write_text(
        "# comment\ninclude /etc/ld.so.conf.d/*.conf\n/usr/local/lib/   \nhwcap 1 nosegneg\n"
        "include extra.conf\n/etc/ld.so.conf-loop-guard\n"
    )
    (root / "etc/ld.so.conf.d/rocm.conf").write_text("/opt/rocm/lib\n/opt/rocm/lib64\n")
    (root / "etc/ld.so.conf.d/zz-cuda.conf").write_text("/usr/local/cuda/lib64 # trailing\n")
    (root / "etc/ld.so.conf.d/ignored.txt").write_text("/not/read\n")
    (root / "etc/extra.conf").write_text("include /etc/ld.so.conf\n/opt/extra=libc6\n")
    host = HostEvidence(root=str(root), env={})
    assert conf_directories(host.read_text, host.list_dir) == [
        "/opt/rocm/lib",
        "/opt/rocm/lib64",
        "/usr/local/cuda/lib64",
        "/usr/local/lib",
        "/opt/extra",
        "/etc/ld.so.conf-loop-guard",
    ]
    assert expand_glob(host.list_dir, "/etc/ld.so.conf.d/[r]*.conf") == [
        "/etc/ld.so.conf.d/rocm.conf"
    ]
