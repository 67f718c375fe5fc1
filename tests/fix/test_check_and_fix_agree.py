"""`check`'s fix and `fix`'s plan name the same thing (issue 12 item 7): the disagreements the
issue names, then every fixture snapshot (chipdoctor/fix/agree.py makes the one from the
other)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import SNAPSHOTS, run_cli
from tests.planning import plan_json, targets


def _check_fix(snapshot: str, finding: str) -> str:
    report = json.loads(run_cli("check", "--snapshot", str(SNAPSHOTS / snapshot), "--format",
                                "json").stdout)  # fmt: skip
    (fix,) = [f["fix"] for f in report["findings"] if f["id"] == finding]
    return str(fix)


def _plan_commands(snapshot: str) -> list[str]:
    plan = json.loads(run_cli("fix", "--snapshot", str(SNAPSHOTS / snapshot), "--format",
                              "json").stdout)  # fmt: skip
    return [command for step in plan["steps"] for command in step["commands"]]


def test_cuda_cpu_torch_check_and_fix_name_the_same_build() -> None:
    fix = _check_fix("cuda-cpu-torch-on-gpu-host", "cuda.torch-cpu-build")
    wanted = re.search(r"torch==\S+", fix)
    assert wanted is not None
    assert any(
        wanted.group(0) in command for command in _plan_commands("cuda-cpu-torch-on-gpu-host")
    )


def test_rocm_cpu_torch_check_and_fix_name_the_same_build() -> None:
    fix = _check_fix("rocm-cpu-torch", "rocm.torch-not-rocm")
    wanted = re.search(r"torch==\S+", fix)
    assert wanted is not None
    assert any(wanted.group(0) in command for command in _plan_commands("rocm-cpu-torch"))


def test_torch_npu_without_cann_check_and_fix_name_the_same_cann(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    snap.mkdir()
    (snap / "snapshot.yaml").write_text(
        "format: chipdoctor-snapshot/1\nplatform: {system: Linux, machine: aarch64}\n"
        'python: {version: "3.10.14", packages: {torch: "2.5.1", torch-npu: "2.5.1.post1"}}\n'
    )
    check = json.loads(run_cli("check", "--snapshot", str(snap), "--format", "json").stdout)
    (fix,) = [f["fix"] for f in check["findings"] if f["id"] == "ascend.torch_npu-without-cann"]
    wanted = re.search(r"CANN (\S+)", fix)
    assert wanted is not None
    plan = json.loads(run_cli("fix", "--snapshot", str(snap), "--format", "json").stdout)
    toolkit = [s for s in plan["steps"] if s["kind"] == "toolkit"]
    assert toolkit and f"CANN {wanted.group(1)}" in toolkit[0]["title"]
    driver = re.search(r"driver (\S+)", fix)
    admin = [s for s in plan["steps"] if s["kind"] == "admin"]
    assert driver is not None and admin and f"driver {driver.group(1)} " in admin[0]["title"]


def test_the_driver_way_is_the_plan_that_keeps_the_installed_torch() -> None:
    """The second way check offers is `fix` with the finding's other component pinned."""
    scenario = SNAPSHOTS / "cuda-torch-too-new-for-driver"
    fix = _check_fix("cuda-torch-too-new-for-driver", "cuda.torch-driver")
    upgrade, plan = fix.split(_KEEP_DRIVER)
    _, pinned = plan_json("--snapshot", str(scenario), "--torch", "2.7.1+cu126")
    (admin,) = [s for s in pinned["steps"] if s["kind"] == "admin"]
    assert upgrade == admin["title"]
    _, default = plan_json("--snapshot", str(scenario))
    assert plan == "\n".join(c for s in default["steps"][:-1] for c in s["commands"])


#: A pip requirement, a wheel file or URL, and a vendor toolkit as check's fix names them.
_REQUIREMENT = re.compile(r"\b([A-Za-z][\w.-]*)==(\S+)")
_WHEEL = re.compile(r"(?:^|[\s/])([A-Za-z][\w.]*)-([^-\s/]+)-cp\d+")
_TOOLKIT = re.compile(r"\b(CANN|CNToolkit|DTK) (\d[\w.]*?)(?=[:,)\s]|$)")
_TOOLKIT_COMPONENT = {"CANN": "cann", "CNToolkit": "neuware", "DTK": "dtk"}
#: Where check's fix, after the driver upgrade, offers fix's plan (chipdoctor/fix/agree.py).
_KEEP_DRIVER = "\nor keep the driver: "


#: Where check's fix, after fix's plan, offers the plan that keeps the finding's packages.
_KEEP_PACKAGES = re.compile(r"\nor keep [\w, ]+: ")


def plan_way(fix: str) -> str:
    """The part of check's fix that is `fix`'s plan."""
    if _KEEP_DRIVER in fix:
        return fix.partition(_KEEP_DRIVER)[2]
    return _KEEP_PACKAGES.split(fix)[0]


def named_versions(fix: str) -> dict[str, str]:
    """component -> version, for every package or toolkit the fix installs."""
    out: dict[str, str] = {}
    for name, version in [*_REQUIREMENT.findall(fix), *_WHEEL.findall(fix)]:
        out[name.lower().replace("-", "_")] = version
    for name, version in _TOOLKIT.findall(fix):
        out[_TOOLKIT_COMPONENT[name]] = version
    return out


def test_named_versions_reads_every_form_a_fix_uses() -> None:
    fix = (
        "pip install torch==2.5.1+cu124 --index-url https://download.pytorch.org/whl/cu124\n"
        "pip install --no-deps https://x.example/DAS1.3/torch_vision-0.18.1+das.dtk24043-cp310-"
        "cp310-manylinux_2_28_x86_64.whl\npip install ./torch_mlu-1.22.0+torch2.4.0-cp310-cp310"
        "-linux_x86_64.whl\nInstall CANN 8.2.RC1: download …\nInstall CNToolkit 3.8.2 from …"
    )
    assert named_versions(fix) == {
        "torch": "2.5.1+cu124",
        "torch_vision": "0.18.1+das.dtk24043",
        "torch_mlu": "1.22.0+torch2.4.0",
        "cann": "8.2.RC1",
        "neuware": "3.8.2",
    }


def _installing_errors() -> list[tuple[str, str, str]]:
    """(snapshot, finding, fix) for each error whose fix installs a package or toolkit."""
    out = []
    for snapshot in sorted(p.name for p in SNAPSHOTS.iterdir() if p.is_dir()):
        report = json.loads(run_cli("check", "--snapshot", str(SNAPSHOTS / snapshot), "--format",
                                    "json").stdout)  # fmt: skip
        for finding in report["findings"]:
            planned = plan_way(str(finding["fix"]))
            if finding["severity"] == "error" and named_versions(planned):
                out.append((snapshot, finding["id"], planned))
    return out


def _same(named: str, target: str | None, commands: str) -> bool:
    """The fix names the plan's target; or the exact build a plan command installs for an
    untagged target (the plan's `torch 2.4.0` is installed as `torch==2.4.0+cpu`)."""
    if named == target:
        return True
    exact = named in commands
    return exact and (
        target is None or (target == named.split("+", maxsplit=1)[0] and "+" not in target)
    )


def test_every_snapshot_check_names_the_versions_fix_plans() -> None:
    """The cross-check: for every fixture snapshot, each package or toolkit version an error's
    fix installs is the version `fix` targets for it (a package the plan has no component for,
    torchvision say, is installed by one of the plan's commands)."""
    cases = _installing_errors()
    # NOTE: the snapshots hold at least these; a fix that stops naming versions fails here.
    assert {s for s, _, _ in cases} >= {
        "ascend-cann-newer-than-driver",
        "cambricon-torch_mlu-driver-too-old",
        "cuda-cpu-torch-on-gpu-host",
        "cuda-torch-too-new-for-driver",
        "dcu-cpu-torch",
        "dcu-torch-dtk-mismatch",
        "rocm-cpu-torch",
    }
    wrong = []
    for snapshot in sorted({s for s, _, _ in cases}):
        code, plan = plan_json("--snapshot", str(SNAPSHOTS / snapshot))
        assert code == 0, snapshot
        planned = targets(plan)
        commands = "\n".join(c for step in plan["steps"] for c in step["commands"])
        for _, finding, fix in [c for c in cases if c[0] == snapshot]:
            for component, version in named_versions(fix).items():
                if not _same(version, planned.get(component), commands):
                    wrong.append(f"{snapshot} {finding}: {component} {version} vs plan {planned}")
    assert wrong == []


def test_the_planned_fix_stays_translatable() -> None:
    """The plan's titles reach check's fix as messages, so --lang renders them too."""
    scenario = str(SNAPSHOTS / "cuda-torch-too-new-for-driver")
    report = json.loads(
        run_cli("check", "--snapshot", scenario, "--format", "json", "--lang", "zh_CN").stdout
    )
    (found,) = [f for f in report["findings"] if f["id"] == "cuda.torch-driver"]
    zh = found["translations"]["zh_CN"]["fix"]
    assert zh.startswith("请管理员安装 NVIDIA 驱动 560.28.03")
    assert "\n或保留现有驱动：pip install torch==2.7.1+cu118 " in zh


def test_the_toolkit_way_is_the_plan_that_keeps_the_installed_torch() -> None:
    """A DAS torch built for another DTK: the wheel for the installed DTK, or keep torch and
    install its DTK, as `fix --torch <installed>` plans."""
    scenario = SNAPSHOTS / "dcu-torch-dtk-mismatch"
    fix = _check_fix("dcu-torch-dtk-mismatch", "dcu.torch-dtk")
    plan, other = fix.split("\nor keep torch: ")
    assert plan == plan_way(fix)
    _, default = plan_json("--snapshot", str(scenario))
    assert plan == "\n".join(c for s in default["steps"][:-1] for c in s["commands"])
    torch = _versions(scenario)["torch"]
    _, pinned = plan_json("--snapshot", str(scenario), "--torch", torch)
    (toolkit,) = [s for s in pinned["steps"] if s["kind"] == "toolkit"]
    assert other.startswith(toolkit["title"] + "\n")
    assert f"DTK {targets(pinned)['dtk']}" in other
    assert targets(pinned)["dtk"] != targets(default)["dtk"]


def _versions(scenario: Path) -> dict[str, str]:
    report = json.loads(run_cli("check", "--snapshot", str(scenario), "--format", "json").stdout)
    return {c["id"]: c["version"] for c in report["components"]}
