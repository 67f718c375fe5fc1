"""Where a torch_npu build comes from (issue 12, item 7): a daily build vllm-ascend's guide
takes from a tarball, dev builds on the Ascend PyPI mirror, releases from PyPI. The daily
build's fix line runs as `check` prints it with real bash, wget and pip, against the tarball
served on 127.0.0.1 (only the host is pointed at the local server)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from chipdoctor.stacks.ascend.pip import ASCEND_PYPI, DAILY, RELEASES_URL, torch_npu_line
from tests.conftest import run_cli
from tests.local_files import make_wheel, serving

CASE = Path(__file__).parents[2] / "bugreports" / "cases"
SNAPSHOT = CASE / "vllm-ascend-143-torch-npu-2.5.1rc1-under-vllm-ascend-0.7.1rc1" / "snapshot"
OBS = "https://pytorch-package.obs.cn-north-4.myhuaweicloud.com"
DEV = "2.5.1.dev20250218"


def test_daily_build_with_a_known_python() -> None:
    line = torch_npu_line(DEV, "2.5.1", "3.10.16")
    assert line.startswith(f"wget -P pta {OBS}/pta/Daily/v2.5.1/20250218.4/pytorch_v2.5.1_py310")
    assert f"pip install torch-npu=={DEV} --find-links pta" in line
    assert "f17417f2d5b5b6cbb3c8929c5d826540a811918e" in line


def test_daily_build_for_an_unpublished_python() -> None:
    line = torch_npu_line(DEV, "2.5.1", "3.12.1")
    assert "wget" not in line and "Python 3.9, 3.10, 3.11 only, not 3.12.1" in line


def test_dev_build_on_the_ascend_mirror_and_a_release() -> None:
    line = torch_npu_line("2.7.1.dev20250724", "2.7.1", None)
    assert f"pip install torch-npu==2.7.1.dev20250724 --extra-index-url {ASCEND_PYPI}" in line
    line = torch_npu_line("2.5.1.post1", "2.4.0", None)
    assert line.startswith("pip install torch==2.5.1 --index-url")
    assert RELEASES_URL in line


@pytest.fixture
def obs(tmp_path: Path) -> Iterator[str]:
    """The daily tarballs, each holding a torch_npu wheel, on 127.0.0.1 under OBS's paths."""
    url, tags, _ = DAILY[DEV]
    wheel = make_wheel(tmp_path, "torch_npu", DEV)
    root = tmp_path / "www"
    for tag in tags:
        target = root / url.format(py=tag).removeprefix(OBS + "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(target, "w:gz") as archive:
            archive.add(wheel, arcname=wheel.name)

    with serving(root) as url:
        yield url


def test_the_printed_daily_line_installs_the_build(tmp_path: Path, obs: str) -> None:
    """No Python recorded (vllm-ascend#143): the line asks python3 for its tag, downloads that
    tarball and pip takes the wheel from it."""
    if shutil.which("wget") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("wget is needed: apt-get install -y wget")
        pytest.skip("wget is not installed")
    report = json.loads(run_cli("check", "--snapshot", str(SNAPSHOT), "--format", "json").stdout)
    (fix,) = [f["fix"] for f in report["findings"] if f["id"] == "ascend.vllm-ascend-torch_npu"]
    command = fix.split("   # ", 1)[0]
    assert "python3 -c" in command
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    shims = tmp_path / "bin"
    shims.mkdir()
    # NOTE: the venv has no pip of its own (ensurepip costs seconds): this pip installs into
    # it with --python, as the venv's own pip would; python3 is the venv's interpreter.
    (shims / "pip").write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -m pip --python "{venv}/bin/python" "$@"\n'
    )
    (shims / "pip").chmod(0o755)
    (shims / "python3").symlink_to(venv / "bin" / "python")
    env = {
        "PATH": f"{shims}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",  # its dependencies: none; nothing leaves this machine
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    work = tmp_path / "work"
    work.mkdir()
    pasted = subprocess.run(
        ["bash", "-c", command.replace(OBS, obs)],
        cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert pasted.returncode == 0, pasted.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "list",
         "--format", "json"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert {p["name"]: p["version"] for p in json.loads(listed.stdout)}["torch_npu"] == DEV
