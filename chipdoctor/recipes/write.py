"""Writing recipe files: never over an existing file without --force, never half-written.

The bytes go to a temporary file in the target's directory, which is then linked into place
(no --force: fails if the target appeared meanwhile) or renamed over it (--force).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from chipdoctor.delivery import ensure_writable
from chipdoctor.errors import BadInput


def write_atomic(path: Path, data: bytes, *, force: bool, mode: int = 0o644) -> None:
    ensure_writable(path, force=force)
    name = str(path)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise BadInput(f"cannot write: {exc.strerror or exc}", path=name) from None
    staged = Path(temporary)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        staged.chmod(mode)
        if force:
            staged.replace(path)
        else:
            try:
                os.link(staged, path)
            except FileExistsError:
                raise BadInput("already exists (use --force to overwrite it)", path=name) from None
    except OSError as exc:
        raise BadInput(f"cannot write: {exc.strerror or exc}", path=name) from None
    finally:
        staged.unlink(missing_ok=True)
