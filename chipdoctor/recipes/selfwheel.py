"""A wheel of the running chipdoctor, so a recipe can install the very version that wrote it.

NOTE: chipdoctor is not assumed to be on PyPI, and an installed chipdoctor has no build backend
at hand, so the wheel is assembled here from the installed files (binary distribution format,
PEP 427): the package, the bundled matrices, METADATA with the installed requirements, the
console script, and RECORD. Timestamps are fixed, so the same version gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from importlib import metadata
from pathlib import Path

import chipdoctor
from chipdoctor import __version__

_EPOCH = (1980, 1, 1, 0, 0, 0)


def wheel_name(version: str = __version__) -> str:
    return f"chipdoctor-{version}-py3-none-any.whl"


def build_wheel() -> bytes:
    """The wheel's bytes."""
    from chipdoctor.matrix.load import bundled_files

    package = Path(chipdoctor.__file__).resolve().parent
    files: dict[str, bytes] = {}
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if path.is_file() and "__pycache__" not in relative.parts and path.suffix != ".pyc":
            files[f"chipdoctor/{relative.as_posix()}"] = path.read_bytes()
    for matrix in bundled_files():
        files.setdefault(f"chipdoctor/matrices/{matrix.name}", matrix.read_bytes())
    # Sorted, so a source checkout (matrices beside the package) and an installed wheel
    # (matrices inside it) give the same bytes.
    files = dict(sorted(files.items()))
    info = f"chipdoctor-{__version__}.dist-info"
    files[f"{info}/METADATA"] = _metadata().encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: chipdoctor\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{info}/entry_points.txt"] = b"[console_scripts]\nchipdoctor = chipdoctor.cli:main\n"
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()]
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, _EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return buffer.getvalue()


def _metadata() -> str:
    lines = ["Metadata-Version: 2.1", "Name: chipdoctor", f"Version: {__version__}"]
    try:
        installed = metadata.metadata("chipdoctor")
        lines += [f"Requires-Python: {v}" for v in installed.get_all("Requires-Python") or []]
        requirements = metadata.requires("chipdoctor") or []
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        requirements = []
    lines += [f"Requires-Dist: {r}" for r in requirements if "extra ==" not in r]
    return "\n".join(lines) + "\n"


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
