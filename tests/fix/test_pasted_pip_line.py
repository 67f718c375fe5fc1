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
from urllib.parse import quote

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


def _pip(
    venv: Path, argv: list[str], *, index: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`index`: what stands in for PyPI, for a line that names no index of its own."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PIP_")},
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        **({"PIP_INDEX_URL": index} if index else {}),
    }
    # NOTE: the venv has no pip of its own (ensurepip costs seconds): this pip installs into it
    # with --python, run by the venv's interpreter, as the venv's own pip would.
    assert argv[0] == "pip"
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), *argv[1:]],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def _venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    return venv


def _installed(venv: Path) -> dict[str, str]:
    listed = _pip(venv, ["pip", "list", "--format", "json"])
    return {p["name"]: p["version"] for p in json.loads(listed.stdout)}


def test_the_printed_fix_replaces_a_cpu_torch(tmp_path: Path, index: str) -> None:
    venv = _venv(tmp_path)
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


def _gpu_snapshot(directory: Path, torch: str, gpu: str) -> Path:
    """A host's snapshot: Linux x86_64, `torch`, one GPU `name, capability`."""
    (directory / "commands").mkdir(parents=True)
    (directory / "commands" / "cap.txt").write_text(f"0, {gpu}\n")
    (directory / "commands" / "cap.err").write_text("")
    (directory / "snapshot.yaml").write_text(
        "format: chipdoctor-snapshot/3\n"
        "platform: {system: Linux, machine: x86_64}\n"
        f'python:\n  packages: {{torch: "{torch}"}}\n'
        "commands:\n"
        '  "nvidia-smi --query-gpu=index,name,compute_cap --format=csv,noheader":\n'
        "    {exit: 0, stdout: commands/cap.txt, stderr: commands/cap.err}\n"
    )
    return directory


def test_a_release_before_1_11_comes_from_the_flat_page(tmp_path: Path) -> None:
    """PyTorch installs 1.2.0 to 1.10.x with `-f …/whl/torch_stable.html`, a page of links to
    every variant's wheels (pytorch.github.io previous-versions.md): the printed line must find
    `torch==1.7.1+cu110` there, with nothing from the default index."""
    root = tmp_path / "www"
    links = []
    for variant in ("cu101", "cu110"):
        wheel = make_wheel(_mkdir(root / "whl" / variant), "torch", f"1.7.1+{variant}")
        links.append(f'<a href="{variant}/{quote(wheel.name)}">{variant}/{wheel.name}</a><br>')
    (root / "whl" / "torch_stable.html").write_text("\n".join(links) + "\n")
    _mkdir(root / "empty")  # stands in for PyPI: holds nothing
    snapshot = _gpu_snapshot(tmp_path / "snap", "1.7.1+cu101", "NVIDIA GeForce RTX 3090, 8.6")
    report = json.loads(run_cli("check", "--snapshot", str(snapshot), "--format", "json").stdout)
    (fix,) = [f["fix"] for f in report["findings"] if f["id"] == "cuda.torch-gpu-arch"]
    assert (
        fix
        == "pip install torch==1.7.1+cu110 -f https://download.pytorch.org/whl/torch_stable.html"
    )

    venv = _venv(tmp_path)
    with serving(root) as url:
        page = f"{url}/whl/torch_stable.html"
        first = _pip(
            venv, ["pip", "install", "-f", page, "torch==1.7.1+cu101"], index=f"{url}/empty"
        )
        assert first.returncode == 0, first.stderr
        pasted = _pip(
            venv, shlex.split(fix.replace(REAL_INDEX, f"{url}/whl")), index=f"{url}/empty"
        )
        assert pasted.returncode == 0, pasted.stderr
    assert _installed(venv)["torch"] == "1.7.1+cu110"


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
