"""`chipdoctor fix` for Cambricon through the real console script: plans and their JSON contract,
the SDK steps, the torch and torch_mlu wheels, and recipes on the one listed Cambricon image
(reachable only through a site `--matrix` row: its torch_mlu is in no bundled row)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from chipdoctor.model import Severity
from chipdoctor.recipes.build import PREFLIGHT_POLICY, preflight_policy
from chipdoctor.recipes.data import images, mounts
from chipdoctor.recipes.selfwheel import wheel_name
from tests.conftest import SNAPSHOTS, run_cli
from tests.image_snapshots import SITE, BuildTimeImage
from tests.planning import bundled, errors, judged, linted, plan_json, targets

CAMBRICON = sorted(p.name for p in SNAPSHOTS.iterdir() if p.name.startswith("cambricon-"))
SDK = "ecosystem@cambricon.com / https://sdk.cambricon.com"
CPU_INDEX = "--index-url https://download.pytorch.org/whl/cpu"
IMAGE = "yellow.hub.cambricon.com/pytorch/pytorch:v1.23.1-torch2.4.0-runtime-anolis8.8-py310"
#: A site's row for the image's torch_mlu (the bundled matrix has none): how a site that has
#: validated that image describes it.
SITE_ROW = """format: chipdoctor-matrix/1
stack: cambricon
sources:
  site-image:
    title: "our validation of the Cambricon PyTorch image v1.23.1-torch2.4.0"
    url: "https://example.org/mlu-validation"
    retrieved: "2026-11-24"
tables:
  torch_mlu:
    key: torch_mlu
    rows:
      - {torch_mlu: "1.23.1+torch2.4.0", torch: "2.4.0", neuware: ">=3.9.0", source: site-image}
"""


@pytest.fixture
def site_matrix(tmp_path: Path) -> Path:
    path = tmp_path / "site-matrix.yaml"
    path.write_text(SITE_ROW)
    return path


@pytest.fixture
def aarch64_host(tmp_path: Path) -> Path:
    """cambricon-torch-mismatch on an aarch64 machine (the listed image is an aarch64 one)."""
    snapshot = tmp_path / "cambricon-aarch64"
    shutil.copytree(SNAPSHOTS / "cambricon-torch-mismatch", snapshot)
    (snapshot / "expected.yaml").unlink()
    doc = yaml.safe_load((snapshot / "snapshot.yaml").read_text())
    doc["platform"]["machine"] = "aarch64"
    (snapshot / "snapshot.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return snapshot


def emit_with_site_row(tmp_path: Path, host: Path, matrix: Path) -> Path:
    """`fix --matrix SITE --emit-dockerfile` into its own build context: the Dockerfile."""
    dockerfile = tmp_path / "context" / "Dockerfile"
    dockerfile.parent.mkdir()
    args = ("--snapshot", str(host), "--matrix", str(matrix), "--emit-dockerfile", str(dockerfile))
    result = run_cli("fix", *args)
    assert result.returncode == 0, result.stderr
    return dockerfile


def commands(plan: dict[str, Any]) -> list[list[str]]:
    return [step["commands"] for step in plan["steps"]]


@pytest.mark.parametrize("scenario", CAMBRICON)
def test_every_scenario_plan_is_confirmed_by_the_rules(scenario: str) -> None:
    code, plan = plan_json("--snapshot", str(SNAPSHOTS / scenario))
    assert code == 0
    assert plan["stack"] == "cambricon" and plan["status"] in ("ok", "change")
    target = targets(plan)
    assert errors("cambricon", target, bundled()) == []
    found = judged("cambricon", target, bundled())
    assert [f.message for f in found if f.severity is Severity.WARNING] == plan["warnings"]


def test_torch_goes_back_to_its_cpu_wheel_for_torch_mlu() -> None:
    code, plan = plan_json("--snapshot", str(SNAPSHOTS / "cambricon-torch-mismatch"))
    assert code == 0 and plan["status"] == "change"
    assert commands(plan) == [
        [f"pip install torch==2.4.0+cpu {CPU_INDEX}"],
        ["chipdoctor check"],
    ]
    assert plan["steps"][0]["title"] == "Install torch 2.4.0+cpu (the CPU build torch_mlu runs on)"


def test_aarch64_takes_the_plain_release_from_the_cpu_index(aarch64_host: Path) -> None:
    """The CPU index names its aarch64 wheels of 2.4 without `+cpu`."""
    _, plan = plan_json("--snapshot", str(aarch64_host))
    assert commands(plan)[0] == [f"pip install torch==2.4.0 {CPU_INDEX}"]


def test_torch_mlu_comes_from_the_sdk_as_a_wheel_file() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "cambricon-mlu370-healthy"), "--torch", "2.4")
    assert [s["kind"] for s in plan["steps"]] == ["pip", "pip", "verify"]
    torch, torch_mlu, _ = plan["steps"]
    assert torch["commands"] == [f"pip install torch==2.4.0+cpu {CPU_INDEX}"]
    assert torch_mlu["title"] == (
        "Install torch-mlu 1.22.0+torch2.4.0: not on a package index; download "
        f"torch_mlu-1.22.0+torch2.4.0-cp310-cp310-linux_x86_64.whl from {SDK}"
    )
    assert torch_mlu["commands"] == [
        "pip install ./torch_mlu-1.22.0+torch2.4.0-cp310-cp310-linux_x86_64.whl"
    ]


def test_torch_before_2_4_is_cambricons_own_wheel() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "cambricon-mlu370-healthy"), "--torch", "2.1")
    assert commands(plan) == [
        ["pip install ./torch-2.1.0-cp310-cp310-linux_x86_64.whl"],
        ["pip install ./torch_mlu-1.22.0+torch2.1.0-cp310-cp310-linux_x86_64.whl"],
        ["chipdoctor check"],
    ]
    assert plan["steps"][0]["title"].endswith(
        f"from {SDK} (Cambricon's own PyTorch wheel, which the torch_mlu README requires for "
        "PyTorch 2.1 and 2.3)"
    )


def test_a_toolkit_change_names_the_sdk_packages() -> None:
    _, plan = plan_json("--snapshot", str(SNAPSHOTS / "cambricon-toolkit-newer-than-driver"))
    assert [s["kind"] for s in plan["steps"]] == ["toolkit", "verify"]
    toolkit = plan["steps"][0]
    assert toolkit["title"] == f"Install CNToolkit 3.5.0 from the Cambricon SDK ({SDK})"
    assert "cambricon.yaml:" in toolkit["why"]
    assert plan["warnings"] == [] and plan["also"] == []


def test_a_driver_change_is_asked_of_the_administrator_first() -> None:
    _, plan = plan_json(
        "--snapshot",
        str(SNAPSHOTS / "cambricon-torch_mlu-driver-too-old"),
        "--pin",
        "torch_mlu=1.22.2",
    )
    assert [s["kind"] for s in plan["steps"]] == ["admin", "toolkit", "verify"]
    admin, toolkit, _ = plan["steps"]
    assert admin["title"] == (
        "Ask the administrator for Cambricon MLU driver 6.2.0 or newer (the cambricon-mlu-driver "
        f"package of the Cambricon SDK, {SDK}), then a reboot"
    )
    assert admin["commands"] == []
    assert toolkit["title"] == (
        f"Install CNToolkit 3.13.5, CNNL 1.26.6, CNCL 1.21.0 from the Cambricon SDK ({SDK})"
    )


def test_conflicting_pins_exit_1_and_name_each_other() -> None:
    code, plan = plan_json(
        "--snapshot",
        str(SNAPSHOTS / "cambricon-mlu370-healthy"),
        "--torch",
        "2.4",
        "--pin",
        "torch_mlu=1.33",
    )
    assert code == 1 and plan["status"] == "conflict"
    (conflict,) = plan["conflicts"]
    assert conflict["pins"] == ["--torch 2.4", "--pin torch_mlu=1.33"]
    assert plan["steps"] == []


@pytest.mark.parametrize("scenario", CAMBRICON)
def test_no_listed_image_holds_a_stack_the_bundled_matrix_knows(
    tmp_path: Path, scenario: str
) -> None:
    """The one listed Cambricon tag holds torch_mlu 1.23.1, which no bundled row has."""
    result = run_cli(
        "fix",
        "--snapshot",
        str(SNAPSHOTS / scenario),
        "--emit-dockerfile",
        str(tmp_path / "Dockerfile"),
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("chipdoctor: error: no official cambricon image is listed for the stack")
    assert line.endswith("see chipdoctor/recipes/images.yaml")
    assert not (tmp_path / "Dockerfile").exists()


def test_a_site_row_for_the_image_makes_a_hadolint_clean_recipe(
    tmp_path: Path, aarch64_host: Path, site_matrix: Path
) -> None:
    dockerfile = emit_with_site_row(tmp_path, aarch64_host, site_matrix)
    text, base = linted(dockerfile)
    assert base == IMAGE
    assert base in {i.reference for i in images() if i.stack == "cambricon"}
    # The image has Neuware, torch and torch_mlu: the build installs only chipdoctor, then checks.
    assert re.findall(r"pip install --no-cache-dir (\S+)", text) == [
        f"/tmp/chipdoctor/{wheel_name()}"
    ]
    assert "&& chipdoctor check --strict --policy /tmp/chipdoctor/chipdoctor-preflight.yaml" in text
    devices = " ".join(f"--device /dev/cambricon_dev{i}" for i in range(8))
    assert (
        f"docker run --rm -it {devices} --device /dev/cambricon_ctl "
        "-v /usr/bin/cnmon:/usr/bin/cnmon chipdoctor-cambricon" in text
    )
    assert "(this host: 5.10.31)" in text
    policy = yaml.safe_load((dockerfile.parent / "chipdoctor-preflight.yaml").read_text())
    assert [entry["id"] for entry in policy["ignore"]] == [
        "cambricon.device-missing",
        "cambricon.cnmon-failed",
    ]


def image_at_build_time(tmp_path: Path, *, cnmon: bool) -> Path:
    """The Cambricon image as `docker build` sees it: in a container, with Neuware, its libraries,
    torch and torch_mlu, but no /dev/cambricon_* nodes and no driver (the host brings those);
    with `cnmon`, the image bakes its own cnmon in, which finds no driver."""
    libraries = ["libcnrt.so", "libcndrv.so", "libcnnl.so"]
    image = (
        BuildTimeImage(tmp_path / "cambricon-image-building")
        .without("/opt/rocm", f"{SITE}/torch")
        .file("/usr/local/neuware/version.txt", "Neuware Version 3.9.0\n")
        .python("3.10.12", torch="2.4.0+cpu", **{"torch-mlu": "1.23.1+torch2.4.0"})
        .env(
            HOME="/root",
            NEUWARE_HOME="/usr/local/neuware",
            PATH="/usr/local/neuware/bin:/usr/bin:/bin",
            LD_LIBRARY_PATH="/usr/local/neuware/lib64",
        )
        .absent("/dev/cambricon_ctl")
        .dirs({"/dev": ["pts", "shm"], "/opt": []})
        .libraries("/usr/local/neuware/lib64", libraries)
        .libraries(f"{SITE}/torch_mlu", ["_MLUC.cpython-310-x86_64-linux-gnu.so"], needed=libraries)
    )
    if cnmon:
        image.command("cnmon", 1, "", "cnmon: no MLU driver is loaded\n")
    return image.save()


@pytest.mark.parametrize("cnmon", [False, True], ids=["no-cnmon", "baked-cnmon"])
def test_the_preflight_policy_demotes_exactly_what_the_host_brings(
    tmp_path: Path, aarch64_host: Path, site_matrix: Path, cnmon: bool
) -> None:
    policy = emit_with_site_row(tmp_path, aarch64_host, site_matrix).parent / PREFLIGHT_POLICY
    image = image_at_build_time(tmp_path, cnmon=cnmon)
    args = ("check", "--snapshot", str(image), "--matrix", str(site_matrix), "--strict")
    strict = run_cli(*args, "--format", "json")
    found = {f["id"]: f["severity"] for f in json.loads(strict.stdout)["findings"]}
    assert strict.returncode == 1
    expected = {"cambricon.device-missing": "error"}
    if cnmon:
        expected["cambricon.cnmon-failed"] = "error"
    assert {i: s for i, s in found.items() if s != "info"} == expected
    passed = run_cli(*args, "--policy", str(policy))
    assert passed.returncode == 0, passed.stdout


def test_the_image_fails_its_preflight_without_a_site_row(tmp_path: Path) -> None:
    """Why the bundled matrix proposes no recipe: the image's torch_mlu 1.23.1 is in no row, so
    `check --strict` in it warns of an unknown pairing, which no host brings."""
    policy = tmp_path / PREFLIGHT_POLICY
    policy.write_text(preflight_policy(mounts()["cambricon"]))
    image = image_at_build_time(tmp_path, cnmon=False)
    args = ("check", "--snapshot", str(image), "--strict", "--policy", str(policy))
    result = run_cli(*args, "--format", "json")
    assert result.returncode == 1
    found = {f["id"]: f["severity"] for f in json.loads(result.stdout)["findings"]}
    assert {i: s for i, s in found.items() if s != "info"} == {
        "cambricon.unknown-combination": "warning"
    }
