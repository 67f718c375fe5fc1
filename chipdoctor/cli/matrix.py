"""`chipdoctor matrix …`: lint and show the compatibility data; keygen, bundle and update it;
refresh it from recorded vendor sources (maintainers)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from chipdoctor.cli.app import color, emit, matrix_app, width
from chipdoctor.errors import EXIT_BAD_INPUT, EXIT_OK, BadInput
from chipdoctor.printable import visible

if TYPE_CHECKING:
    from chipdoctor.matrix.store import DataSource


@matrix_app.command("lint")
def matrix_lint(files: list[Path] = typer.Argument(..., help="Matrix files to validate.")) -> int:
    """Validate matrix files; errors print as FILE:LINE: message."""
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


@matrix_app.command("show")
def matrix_show(
    stack: str = typer.Argument(..., help="Stack name, e.g. ascend."),
    table: Optional[str] = typer.Option(None, "--table", help="Only this table."),
    matrix: list[Path] = typer.Option(
        [], "--matrix", help="A matrix file laid over the bundled ones."
    ),
) -> int:
    """Print a stack's matrix as tables."""
    from chipdoctor.matrix.load import load_matrices
    from chipdoctor.matrix.show import render

    matrices = load_matrices(matrix)
    if stack not in matrices.stacks:
        known = ", ".join(matrices.stacks) or "none"
        raise BadInput(f"no matrix for stack {stack!r} (known: {known})")
    emit(render(matrices.get(stack), table=table, color=color(), width=width()))
    return EXIT_OK


@matrix_app.command("keygen")
def matrix_keygen(
    prefix: Path = typer.Argument(..., help="Writes PREFIX.key (private) and PREFIX.pub."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing key files."),
) -> int:
    """Make an Ed25519 key pair for signing data bundles (maintainers; keep .key private)."""
    from chipdoctor.matrix.bundle import keygen

    private, public = keygen(prefix, force=force)
    sys.stdout.write(f"wrote {private} (private: keep it out of the repository) and {public}\n")
    return EXIT_OK


@matrix_app.command("bundle")
def matrix_bundle(
    out: Path = typer.Argument(..., help="The bundle file to write."),
    sign: Path = typer.Option(..., "--sign", help="PREFIX.key from `chipdoctor matrix keygen`."),
    data: Optional[Path] = typer.Option(
        None, "--data", help="Directory of matrix files (default: the bundled matrices)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing OUT."),
) -> int:
    """Write one signed file holding every matrix, the data's date and a sha256 manifest."""
    from chipdoctor.matrix.publish import bundle_dir

    updated, count = bundle_dir(out, sign, data, force=force)
    sys.stdout.write(f"wrote {out}: {count} matrices, data of {updated}\n")
    return EXIT_OK


@matrix_app.command("update")
def matrix_update(
    source: Optional[str] = typer.Option(
        None,
        "--from",
        help="URL or file of a data bundle (default: CHIPDOCTOR_DATA_URL, then data_url: in "
        "XDG_CONFIG_HOME/chipdoctor/config.yaml).",
    ),
    trust: Optional[Path] = typer.Option(
        None, "--trust", help="Also accept bundles signed with this public key (KEY.pub)."
    ),
    rollback: bool = typer.Option(
        False, "--rollback", help="Go back to the data used before the last update."
    ),
    timeout: float = typer.Option(
        60.0, "--timeout", min=0.1, help="Seconds the whole download may take."
    ),
) -> int:
    """Install newer compatibility data (verified), or --rollback to the previous."""
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


@matrix_app.command("refresh")
def matrix_refresh(
    source: Path = typer.Option(
        ..., "--from", help="Directory of recorded sources, one per parser (docs/data-refresh.md)."
    ),
    matrices: Optional[Path] = typer.Option(
        None, "--matrices", help="Directory of matrix files to refresh (default: the bundled)."
    ),
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 when the matrices are behind the sources."
    ),
    summary: Optional[Path] = typer.Option(
        None, "--summary", help="Also write the diff summary (Markdown) to this file."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --summary file."),
) -> int:
    """Regenerate the generated matrix rows from recorded vendor sources and print the diff."""
    from chipdoctor.matrix.refresh.driver import refresh
    from chipdoctor.matrix.store import bundled_dir

    text, status = refresh(
        source, matrices or bundled_dir(), check=check, summary=summary, force=force
    )
    emit(visible(text, keep="\n"))  # rows parsed from recorded vendor pages
    return status


def _said(source: DataSource) -> str:
    return f"the {source.kind} data of {source.updated or 'an unknown date'} ({source.path})"
