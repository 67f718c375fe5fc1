"""`chipdoctor snapshot`: record what the probes read, optionally packed into an archive."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from chipdoctor.cli.app import app, language, progress_for
from chipdoctor.cli.evidence import interpreter
from chipdoctor.errors import EXIT_OK, BadInput
from chipdoctor.printable import visible


@app.command()
def snapshot(
    directory: Path = typer.Argument(..., help="Where to write the snapshot (absent or empty)."),
    python: Optional[str] = typer.Option(
        None, "--python", help="Record the packages of this interpreter or virtualenv."
    ),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds each command may run."),
    force: bool = typer.Option(
        False, "--force", help="Write into a non-empty directory (and replace the archive)."
    ),
    archive: bool = typer.Option(
        False, "--archive", help="Also pack the snapshot into DIR.tar.gz (or ARCHIVE) to attach."
    ),
    archive_file: Optional[Path] = typer.Argument(
        None, metavar="[ARCHIVE]", help="With --archive: the .tar.gz to write (default DIR.tar.gz)."
    ),
) -> int:
    """Record everything the probes read on this machine, for `check --snapshot` elsewhere."""
    from chipdoctor.snapshotting import take_snapshot

    target = None
    if archive_file is not None and not archive:
        raise BadInput("an archive name needs --archive", path=str(archive_file))
    if archive:
        from chipdoctor.evidence.archive import check_target, default_archive, pack

        target = archive_file or default_archive(directory)
        check_target(target, force=force)
    with progress_for(language(None), table=True) as progress:
        take_snapshot(
            directory, python=interpreter(python), timeout=timeout, force=force, observer=progress
        )
    if target is None:
        sys.stderr.write(f"chipdoctor: snapshot written to {visible(str(directory))}\n")
        return EXIT_OK
    pack(directory, target, force=force)
    sys.stderr.write(
        f"chipdoctor: snapshot written to {visible(str(directory))} "
        f"and packed into {visible(str(target))}\n"
    )
    return EXIT_OK
