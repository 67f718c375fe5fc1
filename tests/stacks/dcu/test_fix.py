"""`chipdoctor fix` on Hygon DCU scenarios through the real console script: plans, their JSON
contract, the exact steps, and the recipes on SourceFind's pytorch images."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from chipdoctor.matrix.load import load_matrices
from chipdoctor.model import Component, Inventory, Severity
from chipdoctor.recipes.data import images
from chipdoctor.recipes.selfwheel import wheel_name
from chipdoctor.stacks.dcu.rules import evaluate
from tests.conftest import SNAPSHOTS, run_cli
from tests.image_snapshots import SITE, BuildTimeImage
from tests.planning import emit, hadolint, linted, plan_json, targets

DCU = sorted(p.name for p in SNAPSHOTS.iterdir() if p.name.startswith("dcu-"))
WHEEL_URL = (
    "https://download.sourcefind.cn:65024/file/4/pytorch/DAS1.3/"
    "torch-2.3.0+das.opt2.dtk24043-cp310-cp310-manylinux_2_28_x86_64.whl"
)
DEVICES = "--device /dev/kfd --device /dev/mkfd --device /dev/dri -v /opt/hyhal:/opt/hyhal"


def with_driver(tmp_path: Path, version: str) -> Path:
    """dcu-healthy with the driver module's version file (the probe reads /sys/module/hycu)."""
    snapshot = tmp_path / "dcu-with-driver"
    shutil.copytree(SNAPSHOTS / "dcu-healthy", snapshot)
    module = snapshot / "files" / "sys" / "module" / "hycu"
    module.mkdir(parents=True)
    (module / "version").write_text(version + "\n")
    return snapshot


@pytest.mark.parametrize("scenario", DCU)
def test_every_scenario_plan_is_confirmed_by_the_rules(scenario: str) -> None:
    code, plan = plan_json("--snapshot", str(SNAPSHOTS / scenario))
    assert code == 0
    assert plan["stack"] == "dcu" and plan["status"] in ("ok", "change")
    stack = Inventory(stacks=["dcu"])
    stack.components = [Component(c, v, "plan target") for c, v in targets(plan).items()]
    found = evaluate(stack, load_matrices().get("dcu"))
    assert [f.id for f in found if f.severity is not Severity.INFO] == []


@pytest.mark.parametrize("scenario", ["dcu-cpu-torch", "dcu-torch-dtk-mismatch"])
def test_a_wrong_torch_is_one_no_deps_wheel_line(scenario: str) -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / scenario))
    changed = [(c["id"], c["target"]) for c in plan["components"] if c["action"] != "keep"]
    assert changed == [("torch", "2.3.0+das.opt2.dtk24043")]
    assert [s["kind"] for s in plan["steps"]] == ["pip", "verify"]
    assert plan["steps"][0]["commands"] == [f"pip install --no-deps {WHEEL_URL}"]
    assert plan["steps"][0]["title"] == (
        "Install torch 2.3.0+das.opt2.dtk24043 (Hygon's build for DTK 24.04.3)"
    )


def test_a_healthy_stack_has_nothing_to_do() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "dcu-healthy"))
    assert plan["status"] == "ok" and plan["steps"] == []


def test_a_failing_driver_is_listed_beside_an_unchanged_stack() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "dcu-driver-failing"))
    assert all(c["action"] == "keep" for c in plan["components"])
    assert [f["id"] for f in plan["also"]] == ["dcu.hy-smi-failed"]


def test_a_new_dtk_is_the_toolkit_step_before_the_wheel() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "dcu-healthy"), "--torch", "2.9")
    assert targets(plan)["dtk"] == "26.04"
    assert [s["kind"] for s in plan["steps"]] == ["toolkit", "pip", "verify"]
    toolkit = plan["steps"][0]
    assert toolkit["title"] == (
        "Install DTK 26.04: download DTK-26.04-Ubuntu22.04-x86_64.tar.gz from "
        "https://download.sourcefind.cn:65024/1/main"
    )
    assert toolkit["commands"] == [
        "tar -xzf DTK-26.04-Ubuntu22.04-x86_64.tar.gz -C /opt",
        "ln -sfn /opt/dtk-26.04 /opt/dtk",
        "source /opt/dtk/env.sh",
    ]
    assert plan["steps"][1]["commands"] == [
        "pip install --no-deps https://download.sourcefind.cn:65024/file/4/pytorch/DAS1.8/"
        "torch-2.9.0+das.opt1.dtk2604-cp310-cp310-manylinux_2_28_x86_64.whl"
    ]


def test_an_older_build_is_downloaded_from_its_directory() -> None:
    _, plan = plan_json(
        "--snapshot", str(SNAPSHOTS / "dcu-healthy"), "--torch", "1.13", "--pin", "python=3.9"
    )
    assert [s["kind"] for s in plan["steps"]] == ["toolkit", "python", "pip", "verify"]
    pip = plan["steps"][2]
    assert "not on a package index; download torch-1.13.1+*-cp39-cp39-*.whl" in pip["title"]
    assert "directory pytorch/previous_release/dtk23.10" in pip["title"]
    assert pip["commands"] == ["pip install --no-deps ./torch-1.13.1+*-cp39-cp39-*.whl"]


def test_a_driver_change_is_asked_of_the_administrator_first(tmp_path: Path) -> None:
    snapshot = with_driver(tmp_path, "6.2.26")
    _, plan = plan_json("--snapshot", str(snapshot))
    assert targets(plan)["hygon_driver"] == "6.2.26" and plan["status"] == "ok"
    _, plan = plan_json("--snapshot", str(snapshot), "--pin", "dtk=26.04")
    assert [s["kind"] for s in plan["steps"]] == ["admin", "toolkit", "pip", "verify"]
    assert plan["steps"][0]["title"].startswith(
        "Ask the administrator for Hygon driver 6.3.30 or newer (the rock-*.run installer from "
        "https://download.sourcefind.cn:65024/6/main"
    )
    assert "does not run DTK 26.04" in plan["steps"][0]["why"]


def test_conflicting_pins_exit_1_and_name_each_other() -> None:
    code, plan = plan_json(
        "--snapshot", str(SNAPSHOTS / "dcu-healthy"), "--torch", "2.9", "--pin", "dtk=24.04"
    )
    assert code == 1 and plan["status"] == "conflict"
    (conflict,) = plan["conflicts"]
    assert conflict["pins"] == ["--torch 2.9", "--pin dtk=24.04"]
    assert plan["steps"] == []


@pytest.mark.parametrize("scenario", DCU)
def test_every_scenario_dockerfile_is_hadolint_clean_on_a_listed_image(
    tmp_path: Path, scenario: str
) -> None:
    dockerfile = emit(tmp_path, scenario)
    text, base = linted(dockerfile)
    # Every scenario's stack is DTK 24.04.3 with torch 2.3.0: the image that has exactly that.
    assert (
        base
        == "image.sourcefind.cn:5000/dcu/admin/base/pytorch:2.3.0-ubuntu22.04-dtk24.04.3-py3.10"
    )
    assert base in {i.reference for i in images() if i.stack == "dcu"}
    # The image has torch and DTK: the build installs only chipdoctor, then checks.
    assert re.findall(r"pip install --no-cache-dir (\S+)", text) == [
        f"/tmp/chipdoctor/{wheel_name()}"
    ]
    assert "&& chipdoctor check --strict --policy /tmp/chipdoctor/chipdoctor-preflight.yaml" in text
    assert f"docker run --rm -it {DEVICES} --group-add video" in text
    policy = yaml.safe_load((tmp_path / "chipdoctor-preflight.yaml").read_text())
    assert [entry["id"] for entry in policy["ignore"]] == [
        "dcu.device-missing",
        "dcu.hy-smi-failed",
        "dcu.rocm-smi-failed",
    ]


def test_a_pinned_torch_gets_the_image_that_has_it(tmp_path: Path) -> None:
    dockerfile = emit(tmp_path, "dcu-cpu-torch", "--torch", "2.7")
    assert hadolint(dockerfile).returncode == 0
    assert (
        "ARG BASE_IMAGE=harbor.sourcefind.cn:5443/dcu/admin/base/pytorch:"
        "2.7.1-ubuntu22.04-dtk26.04-py3.10\n" in dockerfile.read_text()
    )


def test_a_stack_no_image_has_is_bad_input_naming_the_stack(tmp_path: Path) -> None:
    """No SourceFind image has DTK 25.04.1: with a recipe, the resolver proposes none."""
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "dcu-healthy"),
        "--pin",
        "dtk=25.04.1",
        "--emit-dockerfile",
        str(tmp_path / "Dockerfile"),
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("chipdoctor: error: no official dcu image is listed for the stack")
    assert "dtk 25.04.1" in line and "chipdoctor/recipes/images.yaml" in line
    assert not (tmp_path / "Dockerfile").exists()


def image_at_build_time(tmp_path: Path) -> Path:
    """A DTK image as `docker build` sees it: in a container, with DTK, its libraries and a DAS
    torch, but without /dev/kfd, /dev/mkfd, /dev/dri and /opt/hyhal (the host brings those)."""
    return (
        BuildTimeImage(tmp_path / "dcu-image-building")
        .without("/opt/rocm")
        .file("/opt/dtk/.info/version", "24.04.3\n")
        .file(
            f"{SITE}/torch/version.py",
            "__version__ = '2.3.0+das.opt2.dtk24043'\ncuda = None\nhip = '6.2.41133'\n",
        )
        .python(torch="2.3.0+das.opt2.dtk24043")
        .env(
            HOME="/root",
            PATH="/opt/dtk/bin:/usr/bin:/bin",
            ROCM_PATH="/opt/dtk",
            LD_LIBRARY_PATH="/opt/dtk/lib",
        )
        .absent("/dev/kfd", "/dev/mkfd")
        .dirs({"/opt": ["dtk"], "/opt/dtk": [".info", "lib"]})
        .libraries("/opt/dtk/lib", ["libamdhip64.so", "libgalaxyhip.so"])
        .save()
    )


def test_the_preflight_policy_demotes_exactly_what_the_host_brings(tmp_path: Path) -> None:
    emit(tmp_path, "dcu-torch-dtk-mismatch")
    image = image_at_build_time(tmp_path)
    strict = run_cli("check", "--snapshot", str(image), "--strict", "--format", "json")
    found = {f["id"]: f["severity"] for f in json.loads(strict.stdout)["findings"]}
    assert strict.returncode == 1
    assert {i: s for i, s in found.items() if s != "info"} == {"dcu.device-missing": "error"}
    policy = str(tmp_path / "chipdoctor-preflight.yaml")
    passed = run_cli("check", "--snapshot", str(image), "--strict", "--policy", policy)
    assert passed.returncode == 0, passed.stdout
