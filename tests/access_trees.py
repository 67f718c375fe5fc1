"""Real file trees for the access checks: shared objects built with the system compiler (or a
Debian cross compiler), device nodes made with mknod, ld.so.cache files written by ldconfig.

Used by the tests under tests/access/ and by tests/fixtures/snapshots/make_access_snapshots.py,
which records the committed `access-*` scenario snapshots from these trees.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chipdoctor.evidence.base import (
    CommandResult,
    DockerEngine,
    Evidence,
    FileStat,
    Identity,
    PlatformInfo,
    PythonInfo,
)
from chipdoctor.loader.devcode import DeviceCode
from chipdoctor.loader.elf import ElfInfo
from chipdoctor.loader.symbols import Unresolved
from tests.conftest import SNAPSHOTS

#: The compiler that builds shared objects for each architecture, as Debian names them.
COMPILERS = {
    "x86_64": "cc",
    "aarch64": "aarch64-linux-gnu-gcc",
    "i386": "i686-linux-gnu-gcc",
    "s390x": "s390x-linux-gnu-gcc",
}
HEALTHY_FILES = SNAPSHOTS / "ascend-910b-healthy" / "files"
NPU_SMI_OUTPUT = SNAPSHOTS / "ascend-910b-healthy" / "commands" / "npu-smi-info.txt"
ASCEND = "/usr/local/Ascend"
TOOLKIT = f"{ASCEND}/ascend-toolkit/latest"
DRIVER_LIB = f"{ASCEND}/driver/lib64"
ATB_LIB = f"{ASCEND}/nnal/atb/latest/atb/cxx_abi_1/lib"
#: The Python prefix of the official CANN images (ascend.md, "inside an official CANN image").
SITE = "/usr/local/python3.11.6/lib/python3.11/site-packages"
#: The environment set_env.sh (ascend.md §3.6) and the NNAL script set up.
SOURCED_ENV = {
    "ASCEND_TOOLKIT_HOME": TOOLKIT,
    "ASCEND_HOME_PATH": TOOLKIT,
    "ASCEND_OPP_PATH": f"{TOOLKIT}/opp",
    "ASCEND_AICPU_PATH": TOOLKIT,
    "TOOLCHAIN_HOME": f"{TOOLKIT}/toolkit",
    "LD_LIBRARY_PATH": ":".join(
        [
            DRIVER_LIB,
            f"{DRIVER_LIB}/common",
            f"{DRIVER_LIB}/driver",
            f"{TOOLKIT}/lib64",
            f"{TOOLKIT}/lib64/plugin/opskernel",
            f"{TOOLKIT}/lib64/plugin/nnengine",
        ]
    ),
}
ATB_ENV = {"ATB_HOME_PATH": f"{ASCEND}/nnal/atb/latest/atb/cxx_abi_1"}
# NOTE: owner, group and mode of the Ascend nodes: "crw-rw---- 1 HwHiAiUser HwHiAiUser 239, 0
# … /dev/davinci0" (Ascend/ascend-device-plugin src/plugin/pkg/npu/dsmi/dsmi.go); the user and
# group the driver installs as (ascend.md §3.5). Majors from the same sources.
HWHIAIUSER = 1000
ALICE = 1001
ASCEND_NODES = {"davinci0": 239, "davinci_manager": 240, "devmm_svm": 238, "hisi_hdc": 237}
PASSWD = (
    "root:x:0:0:root:/root:/bin/bash\n"
    f"HwHiAiUser:x:{HWHIAIUSER}:{HWHIAIUSER}::/home/HwHiAiUser:/bin/bash\n"
    f"alice:x:{ALICE}:{ALICE}::/home/alice:/bin/bash\n"
)
GROUP = f"root:x:0:\nHwHiAiUser:x:{HWHIAIUSER}:\nalice:x:{ALICE}:\n"


def compiler(arch: str) -> str | None:
    name = COMPILERS.get(arch)
    return shutil.which(name) if name else None


@dataclass(frozen=True)
class SearchPaths:
    """The directories an object tells the loader to search: DT_RUNPATH and DT_RPATH."""

    runpath: Sequence[str] = ()
    rpath: Sequence[str] = ()


def build_object(
    path: Path,
    arch: str,
    *,
    soname: str = "",
    needed: Sequence[str] = (),
    paths: SearchPaths = SearchPaths(),
) -> Path:
    """A tiny shared object for `arch` whose DT_NEEDED are exactly `needed`.

    Each needed name is linked from a stub with that soname, built in a scratch directory, so
    the names are recorded whether or not the tree holds the libraries.
    """
    cc = compiler(arch)
    if cc is None:
        raise RuntimeError(f"no compiler for {arch}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "object.c"
        source.write_text(
            f"int {path.stem.replace('.', '_').replace('-', '_')}_v(void){{return 1;}}\n"
        )
        stubs: list[str] = []
        for name in needed:
            stub = Path(scratch) / f"stub{len(stubs)}.so"
            subprocess.run(
                [
                    cc,
                    "-shared",
                    "-fPIC",
                    "-nostdlib",
                    f"-Wl,-soname,{name}",
                    "-o",
                    str(stub),
                    str(source),
                ],
                check=True,
            )
            stubs.append(str(stub))
        argv = [cc, "-shared", "-fPIC", "-nostdlib", "-o", str(path), str(source)]
        if soname:
            argv.append(f"-Wl,-soname,{soname}")
        for dirs, tags in (
            (paths.runpath, "--enable-new-dtags"),
            (paths.rpath, "--disable-new-dtags"),
        ):
            if dirs:
                argv += [f"-Wl,-rpath,{':'.join(dirs)}", f"-Wl,{tags}"]
        argv += ["-Wl,--no-as-needed", *stubs]
        subprocess.run(argv, check=True)
    return path


def write(root: Path, path: str, text: str, mode: int = 0o644) -> Path:
    local = root / path.lstrip("/")
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(text, encoding="utf-8")
    local.chmod(mode)
    return local


@dataclass(frozen=True)
class Perms:
    """A node's owner, group and permission bits."""

    uid: int
    gid: int
    mode: int


def char_node(root: Path, path: str, major: int, perms: Perms) -> None:
    """A real character device node (needs CAP_MKNOD: root)."""
    local = root / path.lstrip("/")
    local.parent.mkdir(parents=True, exist_ok=True)
    os.mknod(local, stat.S_IFCHR | perms.mode, os.makedev(major, 0))
    os.chown(local, perms.uid, perms.gid)
    local.chmod(perms.mode)  # mknod's mode went through the umask


@dataclass
class AscendHost:
    """What to put in an Ascend tree; each switch is one real failure class."""

    arch: str = "aarch64"
    toolkit: bool = True
    toolkit_arch: str = ""  # "" = arch; another one builds the CANN libraries for it
    driver: bool = True
    nnal: bool = False
    torch_npu: bool = True
    vllm_ascend: bool = False
    nodes: bool = True
    extra_packages: dict[str, str] = field(default_factory=dict)
    site: str = SITE

    def build(self, root: Path) -> None:
        self._copy_files(root)
        self._cann_libraries(root)
        self._python_packages(root)
        write(root, "/etc/passwd", PASSWD)
        write(root, "/etc/group", GROUP)
        if self.nodes:
            for name, major in ASCEND_NODES.items():
                char_node(root, f"/dev/{name}", major, Perms(HWHIAIUSER, HWHIAIUSER, 0o660))

    def _copy_files(self, root: Path) -> None:
        """The healthy snapshot's files, less the parts this host leaves out, for its arch."""
        copied = [p for p in HEALTHY_FILES.rglob("*") if p.is_file()]
        for source in copied:
            relative = "/" + str(source.relative_to(HEALTHY_FILES))
            if not self._keeps(relative):
                continue
            text = source.read_text(encoding="utf-8")
            if "/aarch64-linux/" in relative and self.arch != "aarch64":
                # NOTE: the x86_64 install keeps the same file under x86_64-linux (ascend.md §3.1).
                relative = relative.replace("/aarch64-linux/", f"/{self.arch}-linux/")
                text = text.replace("aarch64", self.arch)
            write(root, relative, text)

    def _keeps(self, relative: str) -> bool:
        """Whether the healthy file at `relative` belongs to a part this host has."""
        if ("/driver/" in relative or "/firmware/" in relative) and not self.driver:
            return False
        if "/nnal/" in relative and not self.nnal:
            return False
        return "/ascend-toolkit/" not in relative or self.toolkit

    def _cann_libraries(self, root: Path) -> None:
        """CANN's, the driver's and ATB's shared objects, linked as the real ones are."""
        arch = self.arch
        if self.toolkit:
            cann = self.toolkit_arch or arch
            # NOTE: the chain libascendcl -> libruntime -> libascend_hal is how CANN's runtime
            # reaches the driver (vllm-ascend #1440: import fails on libascend_hal.so).
            build_object(
                root / f"{TOOLKIT.lstrip('/')}/lib64/libruntime.so",
                cann,
                soname="libruntime.so",
                needed=["libascend_hal.so"],
            )
            build_object(
                root / f"{TOOLKIT.lstrip('/')}/lib64/libascendcl.so",
                cann,
                soname="libascendcl.so",
                needed=["libruntime.so"],
            )
            build_object(
                root / f"{TOOLKIT.lstrip('/')}/lib64/libhccl.so",
                cann,
                soname="libhccl.so",
                needed=["libascendcl.so"],
            )
        if self.driver:
            build_object(
                root / f"{DRIVER_LIB.lstrip('/')}/driver/libascend_hal.so",
                arch,
                soname="libascend_hal.so",
            )
        if self.nnal:
            build_object(
                root / f"{ATB_LIB.lstrip('/')}/libatb.so",
                arch,
                soname="libatb.so",
                needed=["libascendcl.so"],
            )

    def _python_packages(self, root: Path) -> None:
        """The site's distributions (metadata) and torch's and torch_npu's shared objects."""
        arch = self.arch
        site = root / self.site.lstrip("/")
        packages = {"torch": "2.5.1", "numpy": "1.26.4", **self.extra_packages}
        if self.torch_npu:
            packages["torch_npu"] = "2.5.1.post1"
        if self.vllm_ascend:
            # vllm-ascend v0.9.1 pairs with torch_npu 2.5.1.post1 and CANN 8.2.RC1 (ascend.md §1.7),
            # and is a plugin of vLLM 0.9.1 (vllm-ascend versioning_policy.md).
            packages["vllm_ascend"] = "0.9.1"
            packages["vllm"] = "0.9.1"
        for name, version in packages.items():
            write(
                root,
                f"{self.site}/{name}-{version}.dist-info/METADATA",
                f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
            )
        for name in ("libc10.so", "libtorch.so", "libtorch_cpu.so", "libtorch_python.so"):
            build_object(site / "torch/lib" / name, arch, soname=name)
        write(
            root,
            f"{self.site}/torch/version.py",
            "__version__ = '2.5.1'\ncuda = None\nhip = None\n",
        )
        if self.torch_npu:
            build_object(
                site / "torch_npu/lib/libtorch_npu.so",
                arch,
                soname="libtorch_npu.so",
                needed=["libc10.so", "libtorch.so", "libascendcl.so", "libhccl.so"],
                paths=SearchPaths(runpath=["$ORIGIN/../../torch/lib"]),
            )


def env_for(host: AscendHost, *, sourced: bool = True) -> dict[str, str]:
    env = {"HOME": "/root", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"}
    if sourced:
        env.update(SOURCED_ENV)
        if host.nnal:
            env.update(ATB_ENV)
            env["LD_LIBRARY_PATH"] += f":{ATB_LIB}"
    return env


#: The host of `ascend-910b-healthy`: an aarch64 openEuler 22.03 machine.
OPENEULER = PlatformInfo(
    "Linux",
    "aarch64",
    "5.10.0-60.18.0.50.oe2203.aarch64",
    "2.34",
    {"ID": "openEuler", "NAME": "openEuler", "VERSION_ID": "22.03"},
)


class Seen:
    """A tree's evidence as its own machine would give it: platform, user and Python."""

    def __init__(
        self,
        inner: Evidence,
        *,
        platform: PlatformInfo | None = None,
        identity: Identity | None = None,
        python: PythonInfo | None = None,
    ) -> None:
        self.inner = inner
        self._platform = platform
        self._identity = identity
        self._python = python

    @property
    def platform(self) -> PlatformInfo:
        return self._platform or self.inner.platform

    @property
    def python(self) -> PythonInfo:
        return self._python or self.inner.python

    def identity(self) -> Identity:
        return self._identity or self.inner.identity()

    def read_text(self, path: str) -> str | None:
        return self.inner.read_text(path)

    def list_dir(self, path: str) -> list[str] | None:
        return self.inner.list_dir(path)

    def getenv(self, name: str) -> str | None:
        return self.inner.getenv(name)

    def run(self, key: str) -> CommandResult | None:
        return self.inner.run(key)

    def stat(self, path: str) -> FileStat | None:
        return self.inner.stat(path)

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        return self.inner.read_bytes(path, limit)

    def elf(self, path: str) -> ElfInfo | None:
        return self.inner.elf(path)

    def device_code(self, path: str) -> DeviceCode | None:
        return self.inner.device_code(path)

    def unresolved_symbols(self, path: str, providers: tuple[str, ...]) -> Unresolved | None:
        return self.inner.unresolved_symbols(path, providers)

    def defined_symbols(self, path: str, names: tuple[str, ...]) -> frozenset[str] | None:
        return self.inner.defined_symbols(path, names)

    def host_name(self) -> str | None:
        return self.inner.host_name()

    def docker_engine(self) -> DockerEngine | None:
        return self.inner.docker_engine()

    def requires_dist(self) -> Mapping[str, tuple[str, ...]]:
        return self.inner.requires_dist()


def python_of(root: Path) -> PythonInfo:
    """The tree's interpreter: its site directory and the distributions in it."""
    from chipdoctor.evidence.pyinfo import installed_packages

    return PythonInfo("3.11.6", installed_packages([str(root / SITE.lstrip("/"))]), (SITE,))


def alice(groups: Mapping[int, str] | None = None) -> Identity:
    listed = {ALICE: "alice", **(groups or {})}
    return Identity(ALICE, ALICE, "alice", tuple(listed.items()))
