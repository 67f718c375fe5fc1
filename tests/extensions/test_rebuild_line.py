"""The rebuild line of a torch extension, pasted into real pip: against an index that has both
a wheel and an sdist of the release, it takes the sdist (the wheel is the build that did not
fit). Only the choice is asserted: whether the sdist then builds is the project's own."""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from chipdoctor.extensions import rebuild_line


def _index(directory: Path) -> Path:
    """extx 1.0 as a wheel and as an sdist."""
    meta = "Metadata-Version: 2.1\nName: extx\nVersion: 1.0\nRequires-Dist: torch\n\n"
    info = "extx-1.0.dist-info"
    with zipfile.ZipFile(directory / "extx-1.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("extx/__init__.py", "")
        wheel.writestr(f"{info}/METADATA", meta)
        wheel.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        wheel.writestr(f"{info}/RECORD", "")
    with tarfile.open(directory / "extx-1.0.tar.gz", "w:gz") as sdist:
        for name, text in {
            "extx-1.0/PKG-INFO": meta,
            "extx-1.0/setup.py": "import setuptools\nsetuptools.setup(name='extx')\n",
        }.items():
            data = text.encode()
            member = tarfile.TarInfo(name)
            member.size = len(data)
            sdist.addfile(member, io.BytesIO(data))
    return directory


def test_the_pasted_line_builds_from_source(tmp_path: Path) -> None:
    line = shlex.split(rebuild_line("extx", "1.0"))
    assert line[:2] == ["pip", "install"] and "--no-deps" in line
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--dry-run", "--no-index"),
            *("--find-links", str(_index(tmp_path)), *line[2:]),
        ],
        capture_output=True,
        text=True,
        env={**env, "PIP_CONFIG_FILE": os.devnull},
        check=False,
    )
    processed = [row for row in result.stdout.splitlines() if row.startswith("Processing ")]
    assert processed and processed[0].endswith("extx-1.0.tar.gz"), result.stdout + result.stderr
