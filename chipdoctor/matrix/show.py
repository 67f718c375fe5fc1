"""`chipdoctor matrix show`: a matrix as readable tables."""

from __future__ import annotations

import io

from rich.table import Table

from chipdoctor.errors import BadInput
from chipdoctor.matrix.model import Matrix
from chipdoctor.printable import visible
from chipdoctor.report.console import inert_console


def render(
    matrix: Matrix, *, table: str | None = None, color: bool = False, width: int = 120
) -> str:
    buffer = io.StringIO()
    console = inert_console(buffer, color=color, width=width)
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
