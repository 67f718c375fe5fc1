"""`fix --emit-dockerfile … --build`: a real `docker build` of the emitted recipe on a local
stand-in tagged as the official base image, whose `python` and `chipdoctor` shims log every
call, so the test sees each step run, in order, with its arguments and environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chipdoctor.recipes.selfwheel import wheel_name
from tests.conftest import SNAPSHOTS, run_cli
from tests.docker_engine import STEP_LOG, read_from_image

WHEEL = f"/tmp/chipdoctor/{wheel_name()}"
PREFLIGHT = "chipdoctor check --strict --policy /tmp/chipdoctor/chipdoctor-preflight.yaml"


def build(docker_host: str, context: Path, tag: str, *extra: str) -> Any:
    return run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "ascend-torch-mismatch"),
        "--emit-dockerfile",
        str(context / "Dockerfile"),
        "--build",
        "--tag",
        tag,
        *extra,
        env={"DOCKER_HOST": docker_host},
    )


def test_the_recipe_builds_and_runs_every_step_in_order(
    client: Any, docker_host: str, stand_in_base: str, tmp_path: Path
) -> None:
    result = build(docker_host, tmp_path, "chipdoctor-test/built:1")
    assert result.returncode == 0, result.stderr
    assert "Step 1/" in result.stderr  # the engine's progress, streamed on stderr
    assert "chipdoctor: built chipdoctor-test/built:1" in result.stderr
    assert "fix plan for ascend" in result.stdout
    steps = read_from_image(client, "chipdoctor-test/built:1", STEP_LOG).decode().splitlines()
    assert steps == [
        "python -m pip install --no-cache-dir torch==2.5.1 "
        "--index-url https://download.pytorch.org/whl/cpu",
        "python -m pip install --no-cache-dir torch-npu==2.5.1.post1",
        f"python -m pip install --no-cache-dir {WHEEL}",
        PREFLIGHT,
        # The toolchain's environment is set when the pre-flight runs.
        "ASCEND_HOME_PATH=/usr/local/Ascend/ascend-toolkit/latest",
    ]
    image = client.images.get("chipdoctor-test/built:1")
    env = dict(item.split("=", 1) for item in image.attrs["Config"]["Env"])
    assert env["ASCEND_OPP_PATH"] == "/usr/local/Ascend/ascend-toolkit/latest/opp"
    assert env["ATB_HOME_PATH"] == "/usr/local/Ascend/nnal/atb/latest/atb/cxx_abi_0"
    wheel = read_from_image(client, "chipdoctor-test/built:1", WHEEL)
    assert wheel == (tmp_path / wheel_name()).read_bytes()  # the wheel written beside it


def test_an_offline_build_installs_from_the_wheelhouse(
    client: Any, docker_host: str, stand_in_base: str, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "torch-2.5.1-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"wheel")
    (wheels / "torch_npu-2.5.1.post1-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"wheel")
    result = build(docker_host, tmp_path, "chipdoctor-test/offline:1", "--wheelhouse", str(wheels))
    assert result.returncode == 0, result.stderr
    steps = read_from_image(client, "chipdoctor-test/offline:1", STEP_LOG).decode().splitlines()
    offline = "python -m pip install --no-cache-dir --no-index --find-links /tmp/wheelhouse"
    assert steps[:3] == [
        f"{offline} torch==2.5.1 torch-npu==2.5.1.post1",
        f"{offline} {WHEEL}",
        PREFLIGHT,
    ]
    copied = read_from_image(
        client,
        "chipdoctor-test/offline:1",
        "/tmp/wheelhouse/torch_npu-2.5.1.post1-cp311-cp311-manylinux_2_28_x86_64.whl",
    )
    assert copied == b"wheel"


def test_a_failing_step_fails_the_build_with_the_engines_error(
    docker_host: str, stand_in_base: str, tmp_path: Path
) -> None:
    """A base without the toolchain (a mirror of the wrong image): the build fails, exit 2."""
    result = build(
        docker_host, tmp_path, "chipdoctor-test/broken:1", "--chip", "a3"
    )  # the a3 image is not on this engine and no registry is reachable
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("chipdoctor: error: docker build of ")
    assert "quay.io/ascend/cann:8.2.rc1-a3-ubuntu22.04-py3.11" in result.stderr
