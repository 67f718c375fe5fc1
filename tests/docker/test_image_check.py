"""`check --image`, the image evidence and the Docker runtime check, on a real Docker Engine
and images the tests build; and the recipe's pre-flight on a snapshot of the image as a build
sees it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema

from chipdoctor.container.engine import read_engine, runtime_findings
from chipdoctor.engine import collect, judge
from chipdoctor.evidence.combined import ImageOnHostEvidence
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.image import ImageEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, write_snapshot
from chipdoctor.matrix.load import load_matrices
from chipdoctor.model import Severity
from chipdoctor.recipes.build import preflight_policy
from chipdoctor.recipes.data import mounts
from tests.conftest import SNAPSHOTS, run_cli
from tests.docker_engine import SITE, STAND_IN, write

ROOT = Path(__file__).resolve().parents[2]
REPORT_SCHEMA = json.loads((ROOT / "chipdoctor" / "schemas" / "report.schema.json").read_text())


def test_check_image_reads_the_images_stack_without_starting_it(
    client: Any, docker_host: str, cann_image: str
) -> None:
    before = {c.id for c in client.containers.list(all=True)}
    result = run_cli(
        "check", "--image", cann_image, "--format", "json", env={"DOCKER_HOST": docker_host}
    )
    report = json.loads(result.stdout)
    jsonschema.validate(report, REPORT_SCHEMA)
    versions = {c["id"]: (c["version"], c["source"]) for c in report["components"]}
    assert versions["cann"][0] == "8.2.RC1"
    assert versions["torch"] == ("2.5.1", "package metadata: torch")
    assert versions["torch_npu"][0] == "2.5.1.post1"
    assert versions["python"][0] == "3.11.13"  # from the image's /usr/local/python3.11.13 prefix
    assert versions["os"][0] == "Ubuntu 22.04"
    assert "ascend_driver" not in versions  # images have no driver, and this host has none
    # Will it run here? No: this host has no NPU driver for the container to mount.
    assert result.returncode == 1
    assert any(
        f["severity"] == "error" and "ascend_driver" in f["components"] for f in report["findings"]
    )
    # The engine's `ascend` runtime (the fixture registers one) is reported.
    (runtime,) = [f for f in report["findings"] if f["id"] == "ascend.docker-runtime"]
    assert runtime["severity"] == "info" and "`ascend` runtime registered" in runtime["message"]
    assert {c.id for c in client.containers.list(all=True)} == before  # the container is gone


def test_an_image_on_a_host_is_judged_with_the_hosts_driver(
    client: Any, cann_image: str, tmp_path: Path
) -> None:
    """The image's CANN against this (fixture) host's driver, mounted as `docker run` would."""
    layout = mounts()["ascend"]
    matrices = load_matrices()
    for driver, expect_error in (("24.1.rc2.2", False), ("23.0.rc3", True)):
        host_root = tmp_path / driver
        write(host_root / "usr/local/Ascend/driver/version.info", f"Version={driver}\n")
        host = HostEvidence(root=str(host_root), env={})
        with ImageEvidence(client, cann_image) as image:
            evidence = ImageOnHostEvidence(image, host, layout.host_paths(), list(layout.devices))
            inventory = collect(evidence)
            findings = judge(inventory, matrices)
        assert inventory.version("ascend_driver") == driver
        assert inventory.version("cann") == "8.2.RC1"
        errors = [f.id for f in findings if f.severity is Severity.ERROR]
        assert ("ascend.cann-driver" in errors) is expect_error, errors


def test_image_evidence_lists_reads_and_follows_links(client: Any, cann_image: str) -> None:
    with ImageEvidence(client, cann_image) as image:
        assert image.list_dir(SITE) == sorted(
            [
                "numpy-1.26.4.dist-info",
                "torch",
                "torch-2.5.1.dist-info",
                "torch_npu",
                "torch_npu-2.5.1.post1.dist-info",
            ]
        )
        assert image.list_dir(f"{SITE}/torch_npu") == ["lib"]  # served from the cached listing
        assert image.list_dir("/no/such/dir") is None
        assert image.read_text("/no/such/file") is None
        nnal = image.read_text("/usr/local/Ascend/nnal/atb/latest/version.info")
        assert nnal is not None and "8.2.RC1" in nnal
        # The image config's Env, as the engine expanded the ENV lines.
        assert image.getenv("ASCEND_HOME_PATH") == "/usr/local/Ascend/ascend-toolkit/latest"
        assert image.run("npu-smi info") is None  # nothing runs in an image
        elf = image.elf(f"{SITE}/torch_npu/lib/libtorch_npu.so")
        assert elf is not None and "libascend_hal.so" in elf.needed
        stat = image.stat("/usr/local/Ascend")
        assert stat is not None and stat.kind == "dir" and stat.uid == 0
        assert image.identity().uid == 0


def test_a_missing_image_is_bad_input(docker_host: str) -> None:
    result = run_cli(
        "check", "--image", "chipdoctor-test/absent:1", env={"DOCKER_HOST": docker_host}
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "chipdoctor: error: no such image on the Docker Engine: chipdoctor-test/absent:1 "
        "(pull or build it first)"
    )


def test_runtime_check_reports_a_missing_runtime_with_its_install_fix(
    docker_host: str, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    engine = read_engine()
    assert engine is not None and "runc" in engine.runtimes
    (finding,) = runtime_findings(["cuda"], engine)
    assert finding.id == "cuda.docker-runtime"
    assert finding.severity is Severity.WARNING
    assert "no `nvidia` runtime registered" in finding.message
    assert "nvidia-ctk runtime configure --runtime=docker" in finding.fix
    assert runtime_findings(["rocm"], engine) == []  # ROCm containers need no runtime


def test_no_engine_is_no_answer_and_little_wait(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    started = time.monotonic()
    assert read_engine() is None
    assert time.monotonic() - started < 3


def test_preflight_policy_passes_the_image_as_a_build_sees_it(
    client: Any, cann_image: str, stand_in_base: str, tmp_path: Path
) -> None:
    """A snapshot of the image as `docker build` runs it (a live container: /proc, no devices,
    no driver): `check --strict` fails on what only the host brings, and the recipe's
    pre-flight policy turns exactly that into info."""
    mountinfo = client.containers.run(
        STAND_IN, ["cat", "/proc/self/mountinfo"], network_mode="none", remove=True
    ).decode()
    live = _Live(ImageEvidence(client, cann_image), mountinfo)
    recorder = RecordingEvidence(live)
    try:
        collect(recorder)
        write_snapshot(tmp_path / "snap", recorder.recording, live.platform, live.python)
    finally:
        live.close()
    strict = run_cli("check", "--snapshot", str(tmp_path / "snap"), "--strict", "--format", "json")
    failing = {f["id"] for f in json.loads(strict.stdout)["findings"] if f["severity"] != "info"}
    assert strict.returncode == 1
    ignored = {entry for entry, _ in mounts()["ascend"].preflight_ignore}
    assert failing and failing <= ignored, failing
    policy = tmp_path / "chipdoctor-preflight.yaml"
    policy.write_text(preflight_policy(mounts()["ascend"]))
    preflight = run_cli(
        "check", "--snapshot", str(tmp_path / "snap"), "--strict", "--policy", str(policy)
    )
    assert preflight.returncode == 0, preflight.stdout


class _Live:
    """The image as a running build container sees it: its files plus /proc/self/mountinfo."""

    def __init__(self, image: ImageEvidence, mountinfo: str) -> None:
        self._image = image
        self._mountinfo = mountinfo

    def close(self) -> None:
        self._image.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._image, name)

    def read_text(self, path: str) -> str | None:
        if path == "/proc/self/mountinfo":
            return self._mountinfo
        return self._image.read_text(path)

    def stat(self, path: str) -> Any:
        if path in ("/proc", "/proc/self", "/proc/self/mountinfo"):
            from chipdoctor.evidence.base import FileStat

            return FileStat("dir" if path != "/proc/self/mountinfo" else "file", 0o555, 0, 0)
        return self._image.stat(path)


def test_scenario_snapshots_never_report_docker() -> None:
    result = run_cli(
        "check",
        "--snapshot",
        str(SNAPSHOTS / "ascend-910b-healthy"),
        "--format",
        "json",
        env={"DOCKER_HOST": "unix:///nonexistent.sock"},
    )
    findings = json.loads(result.stdout)["findings"]
    assert not any(f["id"].endswith("docker-runtime") for f in findings)
