"""A real Docker Engine for the tests (a plugin of tests/conftest.py, so one engine serves every
folder), started once per session as shared/DESIGN.md shows (no iptables, no bridge, data and
socket under a temporary directory; overlay2 storage where the kernel has it, else vfs), and the
images the tests build locally (no registry is reachable)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chipdoctor.container.engine import unix_refusal
from tests.conftest import SNAPSHOTS

#: The python prefix of the official CANN 8.2.RC1 images: `ENV PATH=/usr/local/python3.11.13/bin`
#: in https://github.com/Ascend/cann-container-image/blob/d9cadbed0ca113aed3e20c7f3dd739fa68690940/cann/8.2.rc1-910b-ubuntu22.04-py3.11/Dockerfile
PYTHON_PREFIX = "/usr/local/python3.11.13"
SITE = f"{PYTHON_PREFIX}/lib/python3.11/site-packages"
STAND_IN = "quay.io/ascend/cann:8.2.rc1-910b-ubuntu22.04-py3.11"
STEP_LOG = "/var/log/chipdoctor-steps.log"


@pytest.fixture(scope="session")
def docker_host() -> Iterator[str]:
    """DOCKER_HOST of a private engine; the tests that need it skip only if it cannot start."""
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        pytest.skip("dockerd is not installed (apt-get install docker.io)")
    if os.geteuid() != 0:
        pytest.skip("dockerd needs root to start here")
    runc = shutil.which("runc") or "/usr/sbin/runc"
    failures: list[str] = []
    # NOTE: overlay2 shares image layers with containers; vfs copies every layer for each one
    # (on this machine 7.9 GB written and 69 s of system time for the Docker tests). vfs only
    # where the kernel or file system has no overlay.
    for driver in STORAGE_DRIVERS:
        # NOTE: a unix socket path must stay under 108 bytes: the engine lives in a short /tmp dir.
        root = Path(tempfile.mkdtemp(prefix="cdd-", dir="/tmp"))
        process = _start(dockerd, runc, root, driver)
        address = f"unix://{root / 'docker.sock'}"
        try:
            if _wait_for(address, process):
                yield address
                return
            failures.append(
                f"{driver}: " + (root / "dockerd.log").read_text(errors="replace")[-300:]
            )
        finally:
            _stop(process)
            shutil.rmtree(root, ignore_errors=True)
    pytest.skip("dockerd could not start here: " + " / ".join(failures))


#: Storage drivers tried in order.
STORAGE_DRIVERS = ("overlay2", "vfs")


def _start(dockerd: str, runc: str, root: Path, driver: str) -> subprocess.Popen[bytes]:
    """dockerd with what the tests need only: no iptables, no bridge, data under root.

    setpriv asks the kernel to stop it (SIGTERM) when the test process dies, so a killed
    pytest does not leave an engine running."""
    setpriv = shutil.which("setpriv")
    orphan_guard = [setpriv, "--pdeathsig", "TERM"] if setpriv else []
    with (root / "dockerd.log").open("wb") as log:
        return subprocess.Popen(
            [
                *orphan_guard,
                dockerd,
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
                f"--storage-driver={driver}",
                "--data-root",
                str(root / "data"),
                "--exec-root",
                str(root / "exec"),
                "--pidfile",
                str(root / "docker.pid"),
                "-H",
                f"unix://{root / 'docker.sock'}",
                # An `ascend` runtime, so `check` can be seen to find one registered.
                "--add-runtime",
                f"ascend={runc}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait_for(address: str, process: subprocess.Popen[bytes]) -> bool:
    """Whether the engine answers within 60 s (False once it has exited)."""
    import docker

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        # NOTE: docker-py drops a unix socket whose connect failed without closing it (a
        # ResourceWarning, an error under filterwarnings=error): it only meets a socket that
        # took a connection (the check `chipdoctor check --image` makes, container/engine.py).
        # A fixed API version, so the constructor does not ask the engine itself.
        if unix_refusal(address, 5) is not None:
            time.sleep(0.5)
            continue
        client = docker.DockerClient(base_url=address, timeout=5, version="1.24")
        try:
            client.ping()
            return True
        except Exception:
            time.sleep(0.5)
        finally:
            client.close()
    return False


@pytest.fixture(scope="session")
def client(docker_host: str) -> Iterator[Any]:
    import docker

    engine = docker.DockerClient(base_url=docker_host, timeout=300)
    yield engine
    engine.close()


def build_image(client: Any, context: Path, tag: str) -> None:
    client.images.build(path=str(context), tag=tag, rm=True, forcerm=True)


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def dist_info(site: Path, name: str, version: str) -> None:
    write(site / f"{name}-{version}.dist-info" / "METADATA", f"Name: {name}\nVersion: {version}\n")


def shared_object(directory: Path, name: str, needed: tuple[str, ...] = ()) -> Path:
    """A real, tiny ELF shared object named `name` (its SONAME) needing `needed` libraries."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed: it makes the fixture's shared objects")
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / f"{name}.c"
    source.write_text("void chipdoctor_fixture(void) {}\n", encoding="utf-8")
    links = [f"-l:{lib}" for lib in needed]
    subprocess.run(
        [
            gcc,
            "-shared",
            "-nostdlib",
            "-fPIC",
            f"-Wl,-soname,{name}",
            "-o",
            str(directory / name),
            str(source),
            f"-L{directory}",
            "-Wl,--no-as-needed",
            *links,
        ],
        check=True,
        capture_output=True,
    )
    source.unlink()
    return directory / name


@pytest.fixture(scope="session")
def cann_image(client: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An image laid out like the official CANN 8.2.RC1 image with torch 2.5.1 and torch_npu
    2.5.1.post1 installed: the healthy snapshot's toolkit files (no driver: images have none),
    real shared objects where the loader looks, the image's Python prefix and site-packages, and
    the ENV lines of its Dockerfile."""
    import platform

    from chipdoctor.recipes.data import images

    context = tmp_path_factory.mktemp("cann-image")
    rootfs = context / "rootfs"
    source = SNAPSHOTS / "ascend-910b-healthy" / "files"
    arch_dir = f"{platform.machine()}-linux"  # the image is built for this machine
    for path in source.rglob("*"):
        relative = Path(str(path.relative_to(source)).replace("aarch64-linux", arch_dir))
        if path.is_file() and relative.parts[3:4] not in (("driver",), ("firmware",)):
            write(rootfs / relative, path.read_text(encoding="utf-8"))
    write(rootfs / "etc/os-release", 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n')
    write(rootfs / PYTHON_PREFIX.lstrip("/") / "bin/python3", "#!/bin/sh\n", 0o755)
    toolkit = rootfs / "usr/local/Ascend/ascend-toolkit/latest/lib64"
    shared_object(toolkit, "libascendcl.so")
    shared_object(toolkit, "libhccl.so")
    shared_object(rootfs / "usr/local/Ascend/nnal/atb/latest/atb/cxx_abi_0/lib", "libatb.so")
    driver_stub = context / "driver-stub"  # linked against, never copied in: images have no driver
    shared_object(driver_stub, "libascend_hal.so")
    site = rootfs / SITE.lstrip("/")
    extension = shared_object(driver_stub, "libtorch_npu.so", ("libascend_hal.so",))
    (site / "torch_npu/lib").mkdir(parents=True)
    extension.rename(site / "torch_npu/lib/libtorch_npu.so")
    dist_info(site, "torch", "2.5.1")
    dist_info(site, "torch_npu", "2.5.1.post1")
    dist_info(site, "numpy", "1.26.4")
    write(site / "torch/version.py", "__version__ = '2.5.1'\ncuda = None\nhip = None\n")
    (base,) = [i for i in images() if i.reference == STAND_IN]
    env = [f"ENV PATH={PYTHON_PREFIX}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/bin"]
    env += [f"ENV {name}={value}" for name, value in base.environment]
    write(context / "Dockerfile", "\n".join(["FROM scratch", "COPY rootfs/ /", *env]) + "\n")
    tag = "chipdoctor-test/cann-like:8.2.rc1"
    build_image(client, context, tag)
    return tag


@pytest.fixture(scope="session")
def stand_in_base(client: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny image tagged as the official base: a static busybox, and `python` and
    `chipdoctor` shims that log each call (argv, and the toolkit home they see) to STEP_LOG,
    so a build proves which steps ran, in which order, with which arguments."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed (apt-get install busybox-static)")
    context = tmp_path_factory.mktemp("stand-in")
    rootfs = context / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    shutil.copy2(busybox, rootfs / "bin/busybox")
    for applet in ("sh", "echo", "cat", "mkdir", "env", "ls", "test"):
        (rootfs / "bin" / applet).symlink_to("busybox")
    log_line = 'echo "$(basename "$0") $*" >> ' + STEP_LOG
    write(rootfs / PYTHON_PREFIX.lstrip("/") / "bin/python", f"#!/bin/sh\n{log_line}\n", 0o755)
    write(
        rootfs / "usr/local/bin/chipdoctor",
        f'#!/bin/sh\n{log_line}\necho "ASCEND_HOME_PATH=$ASCEND_HOME_PATH" >> {STEP_LOG}\n',
        0o755,
    )
    (rootfs / "var/log").mkdir(parents=True)
    write(
        context / "Dockerfile",
        f"FROM scratch\nCOPY rootfs/ /\nENV PATH={PYTHON_PREFIX}/bin:/usr/local/bin:/bin\n",
    )
    build_image(client, context, STAND_IN)
    return STAND_IN


def read_from_image(client: Any, image: str, path: str) -> bytes:
    """A file of an image, copied out of a created (never started) container."""
    import io
    import tarfile

    container = client.api.create_container(image, command=["/never-started"])
    try:
        stream, _ = client.api.get_archive(container["Id"], path)
        data = b"".join(stream)
    finally:
        client.api.remove_container(container["Id"], force=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        member = archive.next()
        assert member is not None
        handle = archive.extractfile(member)
        assert handle is not None
        return handle.read()
