"""A fix line works when pasted (issue 12, item 7): real pip, in a fresh virtual environment,
against a package index served on 127.0.0.1, run exactly as `check` prints it (only the index
URL is pointed at the local server).

A bare `torch==2.5.1` is already satisfied by an installed `2.5.1+cpu`, so pip changes nothing;
the exact build `torch==2.5.1+cu124` from its index replaces it.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS, run_cli
from tests.local_files import make_wheel, serving

REAL_INDEX = "https://download.pytorch.org/whl"
BUILDS = {
    "cpu": [("torch", "2.5.1+cpu"), ("torchvision", "0.20.1+cpu"), ("torch", "2.1.2+cpu")],
    "cu124": [("torch", "2.5.1+cu124"), ("torchvision", "0.20.1+cu124")],
    "cu121": [("torch", "2.1.2+cu121")],
}
CASES = Path(__file__).parents[1] / "bugreports" / "cases"


@pytest.fixture
def index(tmp_path: Path) -> Iterator[str]:
    """PEP 503 indexes /whl/cpu/ and /whl/cu124/ on 127.0.0.1, like download.pytorch.org's."""
    root = tmp_path / "www"
    for variant, wheels in BUILDS.items():
        for name, version in wheels:
            project = root / "whl" / variant / name
            project.mkdir(parents=True, exist_ok=True)
            wheel = make_wheel(project, name, version)
            with (project / "index.html").open("a") as page:
                page.write(f'<a href="{wheel.name}">{wheel.name}</a>\n')

    with serving(root) as url:
        yield f"{url}/whl"


def _pip(venv: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PIP_")},
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
    }
    # NOTE: the venv has no pip of its own (ensurepip costs seconds): this pip installs into it
    # with --python, run by the venv's interpreter, as the venv's own pip would.
    assert argv[0] == "pip"
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), *argv[1:]],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def _installed(venv: Path) -> dict[str, str]:
    listed = _pip(venv, ["pip", "list", "--format", "json"])
    return {p["name"]: p["version"] for p in json.loads(listed.stdout)}


def test_the_printed_fix_replaces_a_cpu_torch(tmp_path: Path, index: str) -> None:
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    first = _pip(venv, ["pip", "install", "--index-url", f"{index}/cpu",
                        "torch==2.5.1+cpu", "torchvision==0.20.1+cpu"])  # fmt: skip
    assert first.returncode == 0, first.stderr
    # What pip does with a bare version: nothing, the +cpu build satisfies it.
    bare = _pip(venv, ["pip", "install", "--index-url", f"{index}/cu124", "torch==2.5.1"])
    assert bare.returncode == 0 and _installed(venv)["torch"] == "2.5.1+cpu"

    report = json.loads(
        run_cli("check", "--snapshot", str(SNAPSHOTS / "cuda-cpu-torch-on-gpu-host"),
                "--format", "json").stdout
    )  # fmt: skip
    (fix,) = [f["fix"] for f in report["findings"] if f["id"] == "cuda.torch-cpu-build"]
    argv = shlex.split(fix.replace(REAL_INDEX, index))
    assert argv[:2] == ["pip", "install"]
    pasted = _pip(venv, argv)
    assert pasted.returncode == 0, pasted.stderr
    assert _installed(venv)["torch"] == "2.5.1+cu124"
    assert _installed(venv)["torchvision"] == "0.20.1+cu124"


def test_the_xformers_fix_replaces_the_cpu_torch(tmp_path: Path, index: str) -> None:
    """open-mmlab/PIA#30: xFormers built for 2.1.2+cu121 under 2.1.2+cpu; check's fix line
    installs the CUDA build it was made for."""
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    first = _pip(venv, ["pip", "install", "--index-url", f"{index}/cpu", "torch==2.1.2+cpu"])
    assert first.returncode == 0, first.stderr
    snapshot = CASES / "pia-30-cpu-torch-under-xformers-cu121" / "snapshot"
    report = json.loads(run_cli("check", "--snapshot", str(snapshot), "--format", "json").stdout)
    (fix,) = [f["fix"] for f in report["findings"] if f["id"] == "host.companion-build"]
    pasted = _pip(venv, shlex.split(fix.replace(REAL_INDEX, index)))
    assert pasted.returncode == 0, pasted.stderr
    assert _installed(venv)["torch"] == "2.1.2+cu121"
