"""`chipdoctor matrix bundle`: a directory of matrix files into one signed bundle file."""

from __future__ import annotations

from pathlib import Path

from chipdoctor.boundedio import RefusedFile, read_regular
from chipdoctor.errors import BadInput
from chipdoctor.matrix.bundle import load_private, make
from chipdoctor.matrix.store import bundled_dir, newest_date
from chipdoctor.yamlio import MAX_YAML_BYTES


def bundle_dir(out: Path, key_path: Path, data: Path | None, *, force: bool) -> tuple[str, int]:
    """Lint every matrix of `data` (default: the bundled ones), sign, write OUT whole.

    The date is the newest `updated:` of the files: the day the data was last refreshed.
    """
    from chipdoctor.delivery import ensure_writable, write_atomic
    from chipdoctor.matrix.load import load_file

    ensure_writable(out, force=force)
    key = load_private(key_path)
    folder = data or bundled_dir()
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise BadInput("no matrix files (*.yaml) here", path=str(folder))
    for path in paths:
        matrix = load_file(path)
        if matrix.stack != path.stem:
            raise BadInput(
                f"holds the {matrix.stack!r} stack; name it {matrix.stack}.yaml", path=str(path)
            )
    updated = newest_date(paths)
    if not updated:
        raise BadInput(
            'no matrix file says when it was updated (updated: "YYYY-MM-DD")', path=str(folder)
        )
    try:
        files = {path.name: read_regular(path, MAX_YAML_BYTES) for path in paths}
    except (OSError, RefusedFile) as exc:
        raise BadInput(f"cannot read a matrix file: {exc}", path=str(folder)) from None
    write_atomic(out, make(files, updated, key), force=force)
    return updated, len(files)
