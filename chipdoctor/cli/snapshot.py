"""`chipdoctor snapshot`: record what the probes read, optionally packed into an archive."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from chipdoctor.cli.app import LOG, TIMEOUT, app, language, progress_for
from chipdoctor.cli.evidence import image_evidence, interpreter
from chipdoctor.cli.options import Argument, Option
from chipdoctor.errors import EXIT_OK, BadInput
from chipdoctor.i18n import T
from chipdoctor.printable import visible

if TYPE_CHECKING:
    from chipdoctor.snapshotting import Recordable


@app.command(
    "snapshot",
    T("Record everything the probes read on this machine, for `check --snapshot` elsewhere."),
    Argument("directory", T("Where to write the snapshot (absent or empty)."), kind=Path),
    Argument(
        "archive_file",
        T("With --archive: the .tar.gz to write (default DIR.tar.gz)."),
        kind=Path,
        metavar="[ARCHIVE]",
        required=False,
    ),
    LOG,
    Option("--python", "python", T("Record the packages of this interpreter or virtualenv.")),
    Option(
        "--image",
        "image",
        T(
            "Record a container image (read through the Docker Engine, never started) as "
            "`check --image` sees it on this machine."
        ),
    ),
    TIMEOUT,
    Option(
        "--force",
        "force",
        T("Write into a non-empty directory (and replace the archive)."),
        is_flag=True,
    ),
    Option(
        "--archive",
        "archive",
        T("Also pack the snapshot into DIR.tar.gz (or ARCHIVE) to attach."),
        is_flag=True,
    ),
)
def snapshot(
    directory: Path,
    archive_file: Optional[Path],
    log: Optional[str],
    python: Optional[str],
    image: Optional[str],
    timeout: float,
    force: bool,
    archive: bool,
) -> int:
    from chipdoctor.snapshotting import take_snapshot

    target = None
    if archive_file is not None and not archive:
        raise BadInput("an archive name needs --archive", path=str(archive_file))
    if archive:
        from chipdoctor.evidence.archive import check_target, default_archive, pack

        target = archive_file or default_archive(directory)
        check_target(target, force=force)
    kept = None
    if log is not None:  # read before anything is probed: an unreadable log is exit 2 at once
        from chipdoctor.symptoms.reading import read_log

        kept = read_log(log)
    with contextlib.ExitStack() as scope, progress_for(language(None), table=True) as progress:
        take_snapshot(
            directory,
            _evidence(python, image, timeout, scope),
            force=force,
            observer=progress,
            log=kept,
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


def _evidence(
    python: Optional[str], image: Optional[str], timeout: float, scope: contextlib.ExitStack
) -> Recordable:
    """This machine, or the image as it would run here (its container lives while `scope`)."""
    if image is None:
        from chipdoctor.evidence.host import HostEvidence

        return HostEvidence(python=interpreter(python), timeout=timeout)
    if python is not None:
        raise BadInput("--image cannot be combined with --python")
    return image_evidence(image, timeout, scope)
