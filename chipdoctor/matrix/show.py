"""`chipdoctor matrix show`: a matrix as readable tables."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from chipdoctor.errors import BadInput
from chipdoctor.matrix.model import Matrix
from chipdoctor.printable import visible


def render(
    matrix: Matrix, *, table: str | None = None, color: bool = False, width: int = 120
) -> str:
    buffer = io.StringIO()
    # NOTE: markup off: text from evidence and matrices is printed as it is, never parsed as
    # rich markup ("[bold red]…" in a version string would otherwise style or hide text).
    console = Console(
        markup=False,
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width,
        highlight=False,
    )
    names = list(matrix.tables)
    if table is not None:
        if table not in matrix.tables:
            raise BadInput(
                f"no table {table!r} in the {matrix.stack} matrix (tables: {', '.join(names)})"
            )
        names = [table]
    for name in names:
        body = matrix.tables[name]
        components = list(dict.fromkeys(c for row in body.rows for c in row.values))
        out = Table(
            title=visible(f"{matrix.stack} · {name}: {body.description}"), title_justify="left"
        )
        for component in components:
            out.add_column(visible(component))
        out.add_column("verdict")
        out.add_column("source", overflow="fold")
        for row in body.rows:
            out.add_row(
                *(visible(", ".join(row.patterns(c))) for c in components),
                visible(row.verdict),
                visible(", ".join(row.sources)),
            )
        console.print(out)
    console.print("sources:")
    for source in matrix.sources.values():
        console.print(
            visible(f"  {source.id}: {source.title} <{source.url}> (retrieved {source.retrieved})")
        )
    return buffer.getvalue()
