"""A runnable image built FROM scratch: this interpreter, its standard library and the shared
libraries they load, and chipdoctor installed from its own wheel with its dependencies.

No registry is reachable here, so the image is assembled from this machine: the wheel is built
with the project's build backend (`pip wheel --no-build-isolation`), installed with
`pip install --no-index --target`, and the dependencies are copied from this interpreter's
installed distributions (their RECORD file lists).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Where the image's Python lives: the prefix style of the official CANN images
#: (/usr/local/python<full version>; ascend.md, "inside an official CANN image").
PREFIX = f"/usr/local/python{sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}"
_SKIP = {
    "test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "lib2to3",
    "site-packages",
    "__pycache__",
}
#: Extension modules chipdoctor never imports whose libraries (Tk, X11) would bloat the image.
_SKIP_MODULES = ("_tkinter", "_test", "_ctypes_test", "xxlimited", "_xxtestfuzz")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def site_dir() -> str:
    return f"{PREFIX}/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"


def python_rootfs(rootfs: Path, scratch: Path) -> None:
    """Put the interpreter, its standard library, its libraries and chipdoctor into rootfs."""
    prefix = rootfs / PREFIX.lstrip("/")
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    (prefix / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(Path(sys.executable).resolve(), prefix / "bin" / version)
    (prefix / "bin" / "python3").symlink_to(version)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    shutil.copytree(
        stdlib,
        prefix / "lib" / version,
        ignore=lambda d, names: [
            n for n in names if n in _SKIP or n.startswith(("config-", *_SKIP_MODULES))
        ],
        symlinks=True,
    )
    site = rootfs / site_dir().lstrip("/")
    site.mkdir(parents=True, exist_ok=True)
    modules = [
        path
        for path in Path(stdlib, "lib-dynload").glob("*.so")
        if not path.name.startswith(_SKIP_MODULES)
    ]
    libraries = _shared_libraries([Path(sys.executable), *modules])
    libraries += _shared_libraries(_installed_extensions())
    for library in dict.fromkeys(libraries):
        # NOTE: libpython goes to the default directory: the binary's RUNPATH names this
        # machine's prefix, which the image does not have.
        target = (
            Path("/usr/lib/x86_64-linux-gnu") / library.name
            if "libpython" in library.name
            else library
        )
        local = rootfs / str(target).lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library.resolve(), local)
    _install_chipdoctor(site, scratch)


def _shared_libraries(objects: list[Path]) -> list[Path]:
    """Every library `ldd` resolves for these objects, the dynamic loader included."""
    found: list[Path] = []
    for path in objects:
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
        for line in result.stdout.splitlines():
            match = re.search(r"(/\S+) \(0x", line)
            if match:
                found.append(Path(match.group(1)))
    return found


def _requirements(name: str, seen: set[str]) -> None:
    key = name.lower().replace("_", "-")
    if key in seen:
        return
    seen.add(key)
    for requirement in metadata.requires(name) or []:
        if "extra ==" in requirement:
            continue
        if ";" in requirement:
            from packaging.markers import Marker

            if not Marker(requirement.split(";", 1)[1]).evaluate():
                continue
        match = _NAME.match(requirement)
        if match:
            _requirements(match.group(0), seen)


def _dependencies() -> list[metadata.Distribution]:
    seen: set[str] = set()
    _requirements("chipdoctor", seen)
    seen.discard("chipdoctor")
    return [metadata.distribution(name) for name in sorted(seen)]


def _installed_extensions() -> list[Path]:
    return [
        Path(str(dist.locate_file(f)))
        for dist in _dependencies()
        for f in dist.files or []
        if str(f).endswith(".so")
    ]


def _install_chipdoctor(site: Path, scratch: Path) -> None:
    wheels = scratch / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-build-isolation",
            "--no-deps",
            "--wheel-dir",
            str(wheels),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = wheels.glob("chipdoctor-*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    for dist in _dependencies():
        for entry in dist.files or []:
            source = Path(str(dist.locate_file(entry)))
            if (
                not source.is_file()
                or entry.parts[0] in ("..", "bin")
                or "__pycache__" in entry.parts
            ):
                continue
            target = site / entry
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
