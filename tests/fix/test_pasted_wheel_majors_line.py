"""The fix of host.nvidia-wheel-majors works when pasted (pytorch/pytorch#186591): real pip, in
a fresh virtual environment, against an index on 127.0.0.1 holding two NCCL wheels that ship
one file, `nvidia/nccl/lib/libnccl.so.2`, as PyPI's nvidia-nccl-cu12 2.29.3 and
nvidia-nccl-cu13 2.29.7 do (their RECORD). Uninstalling the stray one removes the file the kept
one needs; the line's reinstall puts the kept one's back."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from tests.bugreports.test_cases import CASES
from tests.conftest import run_cli
from tests.fix.test_pasted_pip_line import _installed, _pip, _venv
from tests.local_files import make_wheel, serving

LIBRARY = "nvidia/nccl/lib/libnccl.so.2"
WHEELS = {"nvidia-nccl-cu12": "2.29.3", "nvidia-nccl-cu13": "2.29.7"}


def _names(venv: Path) -> dict[str, str]:
    """What pip lists, by normalised name (the wheels here spell theirs with underscores)."""
    return {name.replace("_", "-"): version for name, version in _installed(venv).items()}


def _site(venv: Path) -> Path:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return venv / "lib" / version / "site-packages"


def test_the_printed_line_keeps_the_cuda_13_library(tmp_path: Path) -> None:
    root = tmp_path / "www"
    for name, version in WHEELS.items():
        project = root / "simple" / name
        project.mkdir(parents=True)
        payload = {LIBRARY: f"libnccl of {name}".encode()}
        wheel = make_wheel(project, name.replace("-", "_"), version, payload)
        (project / "index.html").write_text(f'<a href="{wheel.name}">{wheel.name}</a>\n')
    snapshot = CASES / "pytorch-186591-nvidia-nccl-cu12-beside-cu13" / "snapshot"
    report = json.loads(run_cli("check", "--snapshot", str(snapshot), "--format", "json").stdout)
    (fix,) = [f["fix"] for f in report["findings"] if f["id"] == "host.nvidia-wheel-majors"]
    cuda_13 = fix.splitlines()[0]
    assert cuda_13.startswith("For a CUDA 13 build of torch: ")
    uninstall, reinstall = cuda_13.partition(": ")[2].split(" && ")

    venv = _venv(tmp_path)
    library = _site(venv) / LIBRARY
    with serving(root) as url:
        index = f"{url}/simple"
        for name in ("nvidia-nccl-cu13", "nvidia-nccl-cu12"):  # the cu12 one last: its file
            done = _pip(venv, ["pip", "install", f"{name}=={WHEELS[name]}"], index=index)
            assert done.returncode == 0, done.stderr
        assert library.read_bytes() == b"libnccl of nvidia-nccl-cu12"
        assert set(WHEELS) <= set(_names(venv))

        removed = _pip(venv, shlex.split(uninstall))
        assert removed.returncode == 0, removed.stderr
        assert "nvidia-nccl-cu12" not in _names(venv)
        assert not library.exists()  # the uninstall took the file nvidia-nccl-cu13 needs

        again = _pip(venv, shlex.split(reinstall), index=index)
        assert again.returncode == 0, again.stderr
    assert _names(venv)["nvidia-nccl-cu13"] == "2.29.7"
    assert library.read_bytes() == b"libnccl of nvidia-nccl-cu13"
