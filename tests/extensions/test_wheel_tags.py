"""flash-attn wheels for another torch line or C++ ABI (`host.extension-torch`, case
flash-attention-853): real pip installs a wheel named as flash-attn's build workflow names
them (the local tag in the file name only) into a virtual environment beside a torch
distribution, and writes its direct_url.json (PEP 610); `check --python` reads it."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chipdoctor.extensions.torch_abi import published_abi
from chipdoctor.extensions.wheels import FLASH_WHEEL, archive_url, wheel_file_name
from tests import fake_torch

TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"
PLATFORM = f"linux_{platform.machine()}"


def _wheel(directory: Path, torch_line: str, abi: str, library: Path | None = None) -> Path:
    """flash_attn 2.5.5 built for `torch_line` and `abi` (TRUE/FALSE), version 2.5.5 inside;
    `library` becomes its flash_attn_2_cuda extension."""
    name = f"flash_attn-2.5.5+cu118torch{torch_line}cxx11abi{abi}-{TAG}-{TAG}-{PLATFORM}.whl"
    info = "flash_attn-2.5.5.dist-info"
    files = {
        "flash_attn/__init__.py": b'__version__ = "2.5.5"\n',
        f"{info}/METADATA": b"Metadata-Version: 2.1\nName: flash_attn\nVersion: 2.5.5\n"
        b"Requires-Dist: torch\nRequires-Dist: einops\n\n",
        f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n"
        f"Tag: {TAG}-{TAG}-{PLATFORM}\n".encode(),
    }
    if library is not None:
        files[f"flash_attn_2_cuda.{TAG}-{platform.machine()}-linux-gnu.so"] = library.read_bytes()
    rows = []
    path = directory / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            rows.append(f"{member},sha256={digest.decode()},{len(data)}")
        rows.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(rows) + "\n")
    return path


class Venv:
    def __init__(self, root: Path, torch: str) -> None:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
        self.python = root / "bin" / "python"
        code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        out = subprocess.run(
            [str(self.python), "-c", code], capture_output=True, text=True, check=True
        )
        self.site = Path(out.stdout.strip())
        info = self.site / f"torch-{torch}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {torch}\n\n")
        (info / "RECORD").write_text(f"torch-{torch}.dist-info/METADATA,,\n")

    def install(self, wheel: Path) -> None:
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "--python", str(self.python), "install", "-q"),
                *("--no-deps", "--no-index", "--force-reinstall", str(wheel)),
            ],
            check=True,
            env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
        )

    def findings(self) -> list[dict[str, str]]:
        result = subprocess.run(
            [
                *(sys.executable, "-m", "chipdoctor", "check", "--python", str(self.python)),
                *("--format", "json"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        report = json.loads(result.stdout)
        return [f for f in report["findings"] if f["id"] == "host.extension-torch"]


def _x86_64() -> None:
    if platform.machine() != "x86_64":
        pytest.skip("the published ABI table covers Linux x86_64 wheels only")


def test_the_cxx11_wheel_under_torch_2_2(tmp_path: Path) -> None:
    """The commenter's case: cxx11abiTRUE under torch 2.2.0 (a wheel built without the C++11
    ABI); the fix installs the cxx11abiFALSE wheel of the same release."""
    _x86_64()
    venv = Venv(tmp_path / "venv", "2.2.0")
    wheel = _wheel(tmp_path, "2.2", "TRUE")
    venv.install(wheel)
    recorded = (venv.site / "flash_attn-2.5.5.dist-info" / "direct_url.json").read_text()
    assert "%2Bcu118torch2.2cxx11abiTRUE" in recorded  # as pip writes it
    (found,) = venv.findings()
    assert found["severity"] == "error"
    assert "_GLIBCXX_USE_CXX11_ABI=1 (cxx11abiTRUE)" in found["message"]
    fixed = wheel.name.replace("cxx11abiTRUE", "cxx11abiFALSE")
    assert (
        "pip install --force-reinstall --no-deps https://github.com/Dao-AILab/flash-attention"
        f"/releases/download/v2.5.5/{fixed}" in found["fix"]
    )
    # The fixed wheel installed: nothing left to say.
    venv.install(_wheel(tmp_path, "2.2", "FALSE"))
    assert venv.findings() == []


def test_a_wheel_for_another_torch_line(tmp_path: Path) -> None:
    _x86_64()
    venv = Venv(tmp_path / "venv", "2.2.0")
    venv.install(_wheel(tmp_path, "2.1", "FALSE"))
    (found,) = venv.findings()
    assert "the wheel for torch 2.1, not 2.2" in found["message"]
    assert "cu118torch2.2cxx11abiFALSE" in found["fix"]


def test_torch_2_7_uses_the_cxx11_abi(tmp_path: Path) -> None:
    """flash-attn 2.5.5 has no torch 2.7 wheel: the fix builds it from source."""
    _x86_64()
    venv = Venv(tmp_path / "venv", "2.7.0")
    venv.install(_wheel(tmp_path, "2.7", "FALSE"))
    (found,) = venv.findings()
    assert "torch 2.7.0 uses _GLIBCXX_USE_CXX11_ABI=1" in found["message"]
    assert "FLASH_ATTENTION_FORCE_BUILD=TRUE pip install --no-build-isolation" in found["fix"]


def test_torchs_own_libc10_wins_over_the_table(tmp_path: Path) -> None:
    """A torch 2.2.0 whose libc10.so exports the C++11 form: the cxx11abiTRUE wheel fits."""
    built = fake_torch.build(tmp_path / "fake")
    venv = Venv(tmp_path / "venv", "2.2.0")
    lib = venv.site / "torch" / "lib"
    lib.mkdir(parents=True)
    (lib / "libc10.so").write_bytes((built.torch_lib / "libc10.so").read_bytes())
    venv.install(_wheel(tmp_path, "2.2", "TRUE"))
    assert venv.findings() == []


def test_one_finding_where_the_wheel_and_its_symbols_both_tell(tmp_path: Path) -> None:
    """The cxx11abiFALSE wheel under a torch whose libc10.so is C++11, its library needing a
    symbol torch lacks: the wheel's finding alone names flash-attn."""
    built = fake_torch.build(tmp_path / "fake")
    venv = Venv(tmp_path / "venv", "2.2.0")
    lib = venv.site / "torch" / "lib"
    lib.mkdir(parents=True)
    (lib / "libc10.so").write_bytes((built.torch_lib / "libc10.so").read_bytes())
    venv.install(_wheel(tmp_path, "2.2", "FALSE", built.extensions["ext_missing"]))
    (found,) = venv.findings()
    assert (
        "was installed from" in found["message"] and "read from its libc10.so" in found["message"]
    )
    assert "cxx11abiTRUE" in found["fix"]
    # Without pip's record of the file, the library's own gap names it.
    (venv.site / "flash_attn-2.5.5.dist-info" / "direct_url.json").unlink()
    (found,) = venv.findings()
    assert "_ZN3c106absentEi" in found["message"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"url": "file:///a/flash_attn.whl"}',  # no archive_info: a directory install
        '{"url": 3, "archive_info": {}}',
        '{"url": "' + "x" * 5000 + '", "archive_info": {}}',
        "[" * 100_000,
        '{"url": "file:///a.whl", "archive_info": {}',
    ],
)
def test_what_is_not_an_archive_record(text: str) -> None:
    assert archive_url(text) is None


@pytest.mark.parametrize(
    "url",
    [
        "file:///w/flash_attn-2.6.3%2Bcu123torch2.4cxx11abiFALSE-cp310-cp310-linux_x86_64.whl",
        "https://h/d/flash_attn-2.6.3+cu123torch2.4cxx11abiFALSE-cp310-cp310-linux_x86_64.whl"
        "?download=true",
        "https://h/d/flash_attn-2.6.3+cu123torch2.4cxx11abiFALSE-cp310-cp310-linux_x86_64.whl"
        "#sha256=00",
    ],
)
def test_the_file_name_of_a_recorded_url(url: str) -> None:
    name = "flash_attn-2.6.3+cu123torch2.4cxx11abiFALSE-cp310-cp310-linux_x86_64.whl"
    assert wheel_file_name(url) == name


def test_a_url_that_does_not_parse_names_no_file() -> None:
    assert wheel_file_name("http://[::1/flash_attn.whl") == ""


def test_wheel_names() -> None:
    assert FLASH_WHEEL.fullmatch(
        "flash_attn-2.6.3+cu123torch2.4cxx11abiFALSE-cp310-cp310-linux_x86_64.whl"
    )
    assert FLASH_WHEEL.fullmatch(
        "flash_attn-2.8.3+cu12torch2.8cxx11abiTRUE-cp312-cp312-linux_x86_64.whl"
    )
    assert not FLASH_WHEEL.fullmatch("flash_attn-2.6.3-cp310-cp310-linux_x86_64.whl")
    assert not FLASH_WHEEL.fullmatch(
        "flash_attn-2.6.3+cu123torch2.4cxx11abiFALSE-cp310-cp310-linux_x86_64.whl; rm -rf /"
    )


@pytest.mark.parametrize(
    ("version", "machine", "abi"),
    [
        ("2.2.0", "x86_64", "old"),
        ("1.13.1+cu117", "x86_64", "old"),
        ("2.6.0", "x86_64", "old"),
        ("2.6.0+cpu", "x86_64", "old"),
        ("2.6.0+cu124", "x86_64", "old"),
        ("2.6.0+cu126", "x86_64", "cxx11"),
        ("2.6.0+rocm6.2.4", "x86_64", "cxx11"),
        ("2.6.0+xpu", "x86_64", "cxx11"),
        ("2.6.0+rocm6.1", "x86_64", None),
        ("2.5.1+rocm6.2", "x86_64", "old"),
        ("2.5.1+xpu", "x86_64", None),
        ("2.6.0+cpu.cxx11.abi", "x86_64", "cxx11"),
        ("2.6.0.dev20241220", "x86_64", None),
        ("2.7.0", "x86_64", "cxx11"),
        ("2.9.1+cu128", "x86_64", "cxx11"),
        ("2.2.0", "aarch64", None),
    ],
)
def test_published_abi(version: str, machine: str, abi: str | None) -> None:
    assert published_abi(version, machine) == abi


def test_an_unknown_torch_abi_leaves_the_pick_to_setup_py() -> None:
    """torch 2.6.0+cu126 (its ABI not told here) under flash-attn 2.7.4's torch 2.5 wheel: the
    torch line is wrong, the ABI cannot be told, and the fix does not guess it."""
    from chipdoctor.extensions.wheels import FlashWheel
    from chipdoctor.rules.extension_symbols import _wheel_finding

    name = "flash_attn-2.7.4+cu12torch2.5cxx11abiFALSE-cp311-cp311-linux_x86_64.whl"
    wheel = FlashWheel("flash-attn", "2.7.4", name, "2.5", False)
    found = _wheel_finding(wheel, "2.6.0+cu126", None, "")
    assert found is not None
    assert "the wheel for torch 2.5, not 2.6" in str(found.message)
    assert "_GLIBCXX_USE_CXX11_ABI" not in str(found.message)
    assert str(found.fix).startswith("Let flash-attn's setup.py pick its wheel")
    assert "cxx11abi" not in str(found.fix)
    assert _wheel_finding(wheel, "2.5.1", None, "") is None  # the right line, ABI unknown


def test_a_release_the_table_does_not_know_is_not_said_to_lack_a_wheel() -> None:
    """flash-attn 2.9.9 (not in extension_builds' sourced table) for torch 2.5 on torch 2.8:
    whether it has a torch 2.8 wheel is unknown, so its setup.py picks (or builds)."""
    from chipdoctor.extensions.wheels import FlashWheel
    from chipdoctor.rules.extension_symbols import _wheel_finding

    name = "flash_attn-2.9.9+cu12torch2.5cxx11abiTRUE-cp311-cp311-linux_x86_64.whl"
    wheel = FlashWheel("flash-attn", "2.9.9", name, "2.5", True)
    found = _wheel_finding(wheel, "2.8.0", "cxx11", "")
    assert found is not None
    assert str(found.fix).startswith("Let flash-attn's setup.py pick its wheel")
    known = FlashWheel("flash-attn", "2.5.5", name.replace("2.9.9", "2.5.5"), "2.2", True)
    lacking = _wheel_finding(known, "2.8.0", "cxx11", "")
    assert lacking is not None and "FLASH_ATTENTION_FORCE_BUILD=TRUE" in str(lacking.fix)
