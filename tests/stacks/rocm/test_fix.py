"""`chipdoctor fix` on AMD ROCm scenarios through the real console script: plans, their JSON
contract, the exact steps, and the recipes on AMD's rocm/pytorch images."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from chipdoctor.matrix.load import load_matrices
from chipdoctor.model import Component, Inventory, Severity
from chipdoctor.recipes.data import images
from chipdoctor.recipes.selfwheel import wheel_name
from chipdoctor.stacks.rocm.rules import evaluate
from tests.conftest import FIXTURES, SNAPSHOTS, run_cli
from tests.image_snapshots import SITE, BuildTimeImage
from tests.planning import PLAN_SCHEMA, emit, hadolint, linted, plan_json, targets

SCENARIOS = [
    *sorted(p.name for p in SNAPSHOTS.iterdir() if p.name.startswith("rocm-")),
    "access-rocm-no-kfd",
]
DEVICES = "--device /dev/kfd --device /dev/dri --group-add video --security-opt seccomp=unconfined"
IMAGE = "docker.io/rocm/pytorch:rocm{rocm}_{os}_py{python}_pytorch_release_{torch}"
ROCM72_PY312 = IMAGE.format(rocm="7.2", os="ubuntu24.04", python="3.12", torch="2.9.1")
ROCM72_PY310 = IMAGE.format(rocm="7.2", os="ubuntu22.04", python="3.10", torch="2.9.1")
ROCM724_PY312 = IMAGE.format(rocm="7.2.4", os="ubuntu24.04", python="3.12", torch="2.10.0")
#: The image each scenario's recipe is built on: the host's ROCm and Python where one has them.
BASES = {
    "rocm-healthy": ROCM72_PY312,  # the installed stack is that image's (ROCm 7.2.0, torch 2.9.1)
    "rocm-torch-mismatch": ROCM72_PY312,
    "rocm-cpu-torch": ROCM72_PY310,  # no ROCm found: Python 3.10 picks the image
    "rocm-driver-not-loaded": ROCM72_PY310,
    "rocm-visible-devices": ROCM724_PY312,  # no ROCm found: the newest with Python 3.12
    "access-rocm-no-kfd": ROCM72_PY312,  # ROCm 7.2.0 stays; no image has Python 3.11
}
WHEEL_LINE = "pip install torch=={torch} --index-url https://download.pytorch.org/whl/rocm{rocm}"


def confirmed(target: dict[str, str]) -> list[str]:
    """What the rules `check` runs find (beyond info) on a host with exactly these versions."""
    stack = Inventory(stacks=["rocm"])
    stack.components = [Component(c, v, "plan target") for c, v in target.items()]
    found = evaluate(stack, load_matrices().get("rocm"))
    return [f.id for f in found if f.severity is not Severity.INFO]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_plan_is_confirmed_by_the_rules(scenario: str) -> None:
    code, plan = plan_json("--snapshot", str(SNAPSHOTS / scenario))
    assert code == 0
    assert plan["stack"] == "rocm" and plan["status"] in ("ok", "change")
    assert confirmed(targets(plan)) == []


@pytest.mark.parametrize(
    ("scenario", "rocm"),
    [
        ("rocm-cpu-torch", "7.14"),  # ROCm version unknown: the newest wheel variant of 2.14
        ("rocm-torch-mismatch", "7.2"),  # ROCm 7.2.0 installed
    ],
)
def test_a_wrong_torch_is_one_wheel_line_from_its_rocm_index(scenario: str, rocm: str) -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / scenario))
    changed = [(c["id"], c["target"]) for c in plan["components"] if c["action"] != "keep"]
    torch = f"2.14.0+rocm{rocm}"
    assert changed == [("torch", torch)]
    assert [s["kind"] for s in plan["steps"]] == ["pip", "verify"]
    assert plan["steps"][0]["title"] == (
        f"Install torch {torch} (the PyTorch wheel for ROCm {rocm})"
    )
    assert plan["steps"][0]["commands"] == [WHEEL_LINE.format(torch=torch, rocm=rocm)]
    assert plan["steps"][1]["commands"] == ["chipdoctor check"]


def test_a_healthy_stack_has_nothing_to_do() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "rocm-healthy"))
    assert plan["status"] == "ok" and plan["steps"] == [] and plan["also"] == []


@pytest.mark.parametrize(
    ("scenario", "finding"),
    [
        ("rocm-driver-not-loaded", "rocm.rocm-smi-failed"),
        ("rocm-visible-devices", "rocm.visible-devices"),
        ("access-rocm-no-kfd", "rocm.device-missing"),
    ],
)
def test_a_host_problem_is_listed_beside_an_unchanged_stack(scenario: str, finding: str) -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / scenario))
    assert all(c["action"] == "keep" for c in plan["components"])
    assert [f["id"] for f in plan["also"]] == [finding]
    assert plan["steps"] == []


def test_a_rocm_pin_installs_that_rocm_and_keeps_a_wheel_built_for_it() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "rocm-torch-mismatch"), "--pin", "rocm=6.2")
    # The installed wheel is built for ROCm 6.2.4: only the host's ROCm changes, to that one.
    assert targets(plan) == {
        "amdgpu_driver": "7.1.1.31500000",
        "rocm": "6.2.4",
        "python": "3.12.3",
        "torch": "2.6.0+rocm6.2.4",
    }
    assert [s["kind"] for s in plan["steps"]] == ["toolkit", "verify"]
    toolkit = plan["steps"][0]
    assert toolkit["title"] == (
        "Install ROCm 6.2.4: download amdgpu-install_*_all.deb from "
        "https://repo.radeon.com/amdgpu-install/6.2.4/ubuntu/noble/"
    )
    assert toolkit["commands"] == [
        "sudo apt install ./amdgpu-install_*_all.deb",
        "sudo apt update",
        "sudo apt install rocm",
    ]
    # AMD's kernel-driver table is quoted, not matched to the module version the host shows.
    assert (
        "for the kernel drivers 6.3.x, 6.2.x, 6.1.x, 6.0.x, 30.10.1 (rocm.yaml:" in toolkit["why"]
    )
    assert "this host shows (7.1.1.31500000)" in toolkit["why"]


def test_a_rocm_pin_comes_before_the_wheel_built_for_it() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "rocm-cpu-torch"), "--pin", "rocm=6.2")
    assert [s["kind"] for s in plan["steps"]] == ["toolkit", "pip", "verify"]
    assert plan["steps"][0]["title"].endswith("/amdgpu-install/6.2.4/ubuntu/jammy/")
    assert plan["steps"][1]["commands"] == [
        "pip install torch==2.7.0+rocm6.2.4 --index-url https://download.pytorch.org/whl/rocm6.2.4"
    ]


def test_a_python_pin_is_a_new_environment_with_a_listed_wheel() -> None:
    _, plan = plan_json(
        "--snapshot", str(SNAPSHOTS / "rocm-torch-mismatch"), "--pin", "python=3.10"
    )
    assert [s["kind"] for s in plan["steps"]] == ["python", "pip", "verify"]
    assert plan["steps"][0]["commands"] == [
        "python3.10 -m venv ~/venv-rocm",
        ". ~/venv-rocm/bin/activate",
    ]
    assert plan["steps"][1]["commands"] == [WHEEL_LINE.format(torch="2.14.0+rocm7.2", rocm="7.2")]
    # AMD's own build (no index serves it) cannot follow into a new environment: a wheel does.
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "rocm-healthy"), "--pin", "python=3.10")
    assert targets(plan)["torch"] == "2.14.0+rocm7.2"
    assert plan["steps"][1]["commands"] == [WHEEL_LINE.format(torch="2.14.0+rocm7.2", rocm="7.2")]


def test_conflicting_pins_exit_1_and_name_each_other() -> None:
    code, plan = plan_json(
        "--snapshot", str(SNAPSHOTS / "rocm-torch-mismatch"), "--torch", "2.14", "--pin", "rocm=6.4"
    )
    assert code == 1 and plan["status"] == "conflict"
    (conflict,) = plan["conflicts"]
    assert conflict["pins"] == ["--torch 2.14", "--pin rocm=6.4"]
    assert plan["steps"] == []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_dockerfile_is_hadolint_clean_on_a_listed_image(
    tmp_path: Path, scenario: str
) -> None:
    dockerfile = emit(tmp_path, scenario)
    text, base = linted(dockerfile)
    assert base == BASES[scenario]
    assert base in {i.reference for i in images() if i.stack == "rocm"}
    # The image has ROCm and torch: the build installs only chipdoctor, then checks.
    assert re.findall(r"pip install --no-cache-dir (\S+)", text) == [
        f"/tmp/chipdoctor/{wheel_name()}"
    ]
    assert "&& chipdoctor check --strict --policy /tmp/chipdoctor/chipdoctor-preflight.yaml" in text
    assert f"docker run --rm -it {DEVICES} chipdoctor-rocm" in text
    policy = yaml.safe_load((tmp_path / "chipdoctor-preflight.yaml").read_text())
    assert [entry["id"] for entry in policy["ignore"]] == [
        "rocm.device-missing",
        "rocm.rocm-smi-failed",
        "rocm.amd-smi-failed",
    ]


def test_a_pinned_torch_gets_the_image_that_has_it(tmp_path: Path) -> None:
    dockerfile = emit(tmp_path, "rocm-torch-mismatch", "--torch", "2.7")
    assert hadolint(dockerfile).returncode == 0
    # ROCm 7.0 is newer than 6.4.4 among the two images with torch 2.7.1 and Python 3.12.
    expected = IMAGE.format(rocm="7.0", os="ubuntu24.04", python="3.12", torch="2.7.1")
    assert f"ARG BASE_IMAGE={expected}\n" in dockerfile.read_text()


def test_a_recipe_plan_names_no_index_for_amds_own_build(tmp_path: Path) -> None:
    """The image's torch is AMD's build: the plan says so and writes no invented pip line."""
    dockerfile = tmp_path / "Dockerfile"
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "rocm-torch-mismatch"),
        "--emit-dockerfile",
        str(dockerfile),
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    jsonschema.validate(plan, PLAN_SCHEMA)
    assert targets(plan)["torch"] == "2.9.1+rocm7.2" and confirmed(targets(plan)) == []
    pip, verify = plan["steps"]
    assert (pip["kind"], pip["commands"], verify["kind"]) == ("pip", [], "verify")
    assert pip["title"].startswith("torch 2.9.1+rocm7.2 is AMD's own build, preinstalled")
    assert ROCM72_PY312 in pip["why"]


def test_a_stack_no_image_has_is_bad_input_naming_the_stack(tmp_path: Path) -> None:
    """No rocm/pytorch image listed has torch 2.6: with a recipe, the resolver proposes none."""
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / "rocm-torch-mismatch"),
        "--torch",
        "2.6",
        "--emit-dockerfile",
        str(tmp_path / "Dockerfile"),
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("chipdoctor: error: no official rocm image is listed for the stack")
    assert "torch 2.6.0+rocm6.2.4" in line and "chipdoctor/recipes/images.yaml" in line
    assert not (tmp_path / "Dockerfile").exists()


def image_at_build_time(tmp_path: Path) -> Path:
    """A rocm/pytorch image as `docker build` sees it: in a container, with ROCm 7.2.0, its
    libraries and AMD's torch, but without /dev/kfd, /dev/dri and the amdgpu module, so its
    rocm-smi and amd-smi fail as they do without the driver (recorded outputs)."""
    torch = "2.9.1+rocm7.2.0.git7e1940d4"
    not_loaded = SNAPSHOTS / "rocm-driver-not-loaded" / "commands"
    amd_smi = FIXTURES / "amd_smi" / "error_driver_builtin_amdsmi75.txt"
    return (
        BuildTimeImage(tmp_path / "rocm-image-building")
        .file(
            f"{SITE}/torch/version.py",
            f"__version__ = '{torch}'\ncuda = None\nhip = '7.2.26015'\n",
        )
        .python(torch=torch)
        .env(HOME="/root", PATH="/opt/rocm/bin:/usr/bin:/bin")
        .command(
            "rocm-smi",
            0,
            (not_loaded / "rocm-smi.txt").read_text(),
            (not_loaded / "rocm-smi.err").read_text(),
        )
        .command("amd-smi version", 0, amd_smi.read_text())
        .save()
    )


def test_the_preflight_policy_demotes_exactly_what_the_host_brings(tmp_path: Path) -> None:
    emit(tmp_path, "rocm-torch-mismatch")
    image = image_at_build_time(tmp_path)
    strict = run_cli("check", "--snapshot", str(image), "--strict", "--format", "json")
    report = json.loads(strict.stdout)
    assert strict.returncode == 1
    assert {c["id"]: c["version"] for c in report["components"]}["rocm"] == "7.2.0"
    found = {f["id"]: f["severity"] for f in report["findings"]}
    assert {i: s for i, s in found.items() if s != "info"} == {
        "rocm.device-missing": "error",
        "rocm.rocm-smi-failed": "error",
        "rocm.amd-smi-failed": "error",
    }
    policy = str(tmp_path / "chipdoctor-preflight.yaml")
    passed = run_cli("check", "--snapshot", str(image), "--strict", "--policy", policy)
    assert passed.returncode == 0, passed.stdout
