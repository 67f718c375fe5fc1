"""`chipdoctor matrix …`: lint and show the compatibility data; keygen, bundle and update it;
refresh it from recorded vendor sources (maintainers)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from chipdoctor.cli.app import MATRIX, app, color, emit, width
from chipdoctor.cli.options import Argument, Group, Option
from chipdoctor.errors import EXIT_BAD_INPUT, EXIT_OK, BadInput
from chipdoctor.i18n import T
from chipdoctor.printable import visible

if TYPE_CHECKING:
    from chipdoctor.matrix.store import DataSource

matrix_app = Group("matrix", T("Inspect and validate compatibility matrices."))
app.add(matrix_app)


@matrix_app.command(
    "lint",
    T("Validate matrix files; errors print as FILE:LINE: message."),
    Argument("files", T("Matrix files to validate."), kind=Path, multiple=True),
)
def matrix_lint(files: list[Path]) -> int:
    from chipdoctor.matrix.load import load_file

    status = EXIT_OK
    for path in files:
        try:
            matrix = load_file(path)
        except BadInput as exc:
            sys.stdout.write(f"{visible(str(exc))}\n")
            status = EXIT_BAD_INPUT
            continue
        rows = sum(len(t.rows) for t in matrix.tables.values())
        counts = f"{len(matrix.tables)} tables, {rows} rows"
        sys.stdout.write(visible(f"{path}: ok ({matrix.stack}: {counts})") + "\n")
    return status


@matrix_app.command(
    "show",
    T("Print a stack's matrix as tables."),
    Argument("stack", T("Stack name, e.g. ascend.")),
    Option("--table", "table", T("Only this table.")),
    MATRIX,
)
def matrix_show(stack: str, table: Optional[str], matrix: list[Path]) -> int:
    from chipdoctor.matrix.load import load_matrices
    from chipdoctor.matrix.show import render

    matrices = load_matrices(matrix)
    if stack not in matrices.stacks:
        known = ", ".join(matrices.stacks) or "none"
        raise BadInput(f"no matrix for stack {stack!r} (known: {known})")
    emit(render(matrices.get(stack), table=table, color=color(), width=width()))
    return EXIT_OK


@matrix_app.command(
    "keygen",
    T("Make an Ed25519 key pair for signing data bundles (maintainers; keep .key private)."),
    Argument("prefix", T("Writes PREFIX.key (private) and PREFIX.pub."), kind=Path),
    Option("--force", "force", T("Overwrite existing key files."), is_flag=True),
)
def matrix_keygen(prefix: Path, force: bool) -> int:
    from chipdoctor.matrix.bundle import keygen

    private, public = keygen(prefix, force=force)
    sys.stdout.write(f"wrote {private} (private: keep it out of the repository) and {public}\n")
    return EXIT_OK


@matrix_app.command(
    "bundle",
    T("Write one signed file holding every matrix, the data's date and a sha256 manifest."),
    Argument("out", T("The bundle file to write."), kind=Path),
    Option(
        "--sign",
        "sign",
        T("PREFIX.key from `chipdoctor matrix keygen`."),
        kind=Path,
        required=True,
    ),
    Option(
        "--data",
        "data",
        T("Directory of matrix files (default: the bundled matrices)."),
        kind=Path,
    ),
    Option("--force", "force", T("Overwrite an existing OUT."), is_flag=True),
)
def matrix_bundle(out: Path, sign: Path, data: Optional[Path], force: bool) -> int:
    from chipdoctor.matrix.publish import bundle_dir

    updated, count = bundle_dir(out, sign, data, force=force)
    sys.stdout.write(f"wrote {out}: {count} matrices, data of {updated}\n")
    return EXIT_OK


@matrix_app.command(
    "update",
    T("Install newer compatibility data (verified), or --rollback to the previous."),
    Option(
        "--from",
        "source",
        T(
            "URL or file of a data bundle (default: CHIPDOCTOR_DATA_URL, then data_url: in "
            "XDG_CONFIG_HOME/chipdoctor/config.yaml)."
        ),
    ),
    Option(
        "--trust",
        "trust",
        T("Also accept bundles signed with this public key (KEY.pub)."),
        kind=Path,
    ),
    Option(
        "--rollback",
        "rollback",
        T("Go back to the data used before the last update."),
        is_flag=True,
    ),
    Option(
        "--timeout",
        "timeout",
        T("Seconds the whole download may take."),
        kind=float,
        default=60.0,
        minimum=0.1,
    ),
)
def matrix_update(
    source: Optional[str], trust: Optional[Path], rollback: bool, timeout: float
) -> int:
    from chipdoctor.matrix import update as updating

    if rollback:
        if source is not None or trust is not None:
            raise BadInput("--rollback takes neither --from nor --trust")
        now = updating.rollback()
        sys.stdout.write(f"rolled back: now using {_said(now)}\n")
        return EXIT_OK
    new, now = updating.update(source, trust=trust, timeout=timeout)
    sys.stdout.write(f"installed data of {new.updated} into {new.path}; now using {_said(now)}\n")
    return EXIT_OK


@matrix_app.command(
    "refresh",
    T("Regenerate the generated matrix rows from recorded vendor sources and print the diff."),
    Option(
        "--from",
        "source",
        T("Directory of recorded sources, one per parser (docs/data-refresh.md)."),
        kind=Path,
        required=True,
    ),
    Option(
        "--matrices",
        "matrices",
        T("Directory of matrix files to refresh (default: the bundled)."),
        kind=Path,
    ),
    Option(
        "--check",
        "check",
        T("Write nothing; exit 1 when the matrices are behind the sources."),
        is_flag=True,
    ),
    Option(
        "--summary",
        "summary",
        T("Also write the diff summary (Markdown) to this file."),
        kind=Path,
    ),
    Option("--force", "force", T("Overwrite an existing --summary file."), is_flag=True),
)
def matrix_refresh(
    source: Path, matrices: Optional[Path], check: bool, summary: Optional[Path], force: bool
) -> int:
    from chipdoctor.matrix.refresh.driver import refresh
    from chipdoctor.matrix.store import bundled_dir

    text, status = refresh(
        source, matrices or bundled_dir(), check=check, summary=summary, force=force
    )
    emit(visible(text, keep="\n"))  # rows parsed from recorded vendor pages
    return status


def _said(source: DataSource) -> str:
    return f"the {source.kind} data of {source.updated or 'an unknown date'} ({source.path})"
