"""`chipdoctor matrix …`: lint and show the compatibility data."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from chipdoctor.cli.app import color, emit, matrix_app, width
from chipdoctor.errors import EXIT_BAD_INPUT, EXIT_OK, BadInput


@matrix_app.command("lint")
def matrix_lint(files: list[Path] = typer.Argument(..., help="Matrix files to validate.")) -> int:
    """Validate matrix files; errors print as FILE:LINE: message."""
    from chipdoctor.matrix.load import load_file

    status = EXIT_OK
    for path in files:
        try:
            matrix = load_file(path)
        except BadInput as exc:
            sys.stdout.write(f"{exc}\n")
            status = EXIT_BAD_INPUT
            continue
        rows = sum(len(t.rows) for t in matrix.tables.values())
        sys.stdout.write(f"{path}: ok ({matrix.stack}: {len(matrix.tables)} tables, {rows} rows)\n")
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
