"""The fix of a torchvision compiled for another CUDA than torch works when pasted
(mathmanu/edgeai-torchvision#18): real pip, in a fresh virtual environment, against a flat page
on 127.0.0.1 standing in for download.pytorch.org/whl/torch_stable.html. The installed
torchvision (a source build of 0.11.0 here) already meets `torchvision==0.11.*`, so the install
alone changes nothing; after the line's uninstall pip picks the release whose own pin is the
installed torch (PyPI's torchvision 0.11.1 requires `torch (==1.10.0)`, 0.11.3
`torch (==1.10.2)`, their METADATA)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from urllib.parse import quote

from tests.bugreports.test_cases import CASES
from tests.conftest import run_cli
from tests.fix.test_pasted_pip_line import REAL_INDEX, _installed, _mkdir, _pip, _venv
from tests.local_files import make_wheel, serving

CUDA_113 = {"torch": [("1.10.0+cu113", ())]} | {
    "torchvision": [("0.11.1+cu113", ("torch==1.10.0",)), ("0.11.3+cu113", ("torch==1.10.2",))]
}


def test_the_printed_line_replaces_a_torchvision_of_another_cuda(tmp_path: Path) -> None:
    root = tmp_path / "www"
    links = []
    for name, builds in CUDA_113.items():
        for version, requires in builds:
            wheel = make_wheel(_mkdir(root / "whl" / "cu113"), name, version, requires=requires)
            links.append(f'<a href="cu113/{quote(wheel.name)}">cu113/{wheel.name}</a><br>')
    (root / "whl" / "torch_stable.html").write_text("\n".join(links) + "\n")
    source_build = make_wheel(_mkdir(tmp_path / "built"), "torchvision", "0.11.0")
    _mkdir(root / "empty")  # stands in for PyPI: holds nothing

    case = CASES / "edgeai-torchvision-18-torchvision-cuda-11.7-on-torch-1.10.0-cu113"
    log = tmp_path / "job.log"
    log.write_text(
        "RuntimeError: Detected that PyTorch and torchvision were compiled with different CUDA "
        "versions. PyTorch has CUDA Version=11.3 and torchvision has CUDA Version=11.7. Please "
        "reinstall the torchvision that matches your PyTorch install.\n"
    )
    report = json.loads(
        run_cli("check", "--snapshot", str(case / "snapshot"), "--log", str(log),
                "--format", "json").stdout
    )  # fmt: skip
    (fix,) = [f["fix"] for f in report["findings"] if f["id"] == "host.companion-build"]
    uninstall, install = fix.split(" && ")

    venv = _venv(tmp_path)
    with serving(root) as url:
        page, empty = f"{url}/whl/torch_stable.html", f"{url}/empty"
        first = _pip(venv, ["pip", "install", "-f", page, "torch==1.10.0+cu113"], index=empty)
        assert first.returncode == 0, first.stderr
        built = _pip(venv, ["pip", "install", "--no-deps", str(source_build)], index=empty)
        assert built.returncode == 0, built.stderr
        install_argv = shlex.split(install.replace(REAL_INDEX, f"{url}/whl"))
        alone = _pip(venv, install_argv, index=empty)
        assert alone.returncode == 0 and _installed(venv)["torchvision"] == "0.11.0"

        for argv in (shlex.split(uninstall), install_argv):
            pasted = _pip(venv, argv, index=empty)
            assert pasted.returncode == 0, pasted.stderr
    assert _installed(venv)["torchvision"] == "0.11.1+cu113"
    assert _installed(venv)["torch"] == "1.10.0+cu113"
