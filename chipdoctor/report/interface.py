"""What a report renderer is: a function from a finished report to text. Renderers never
probe and never print; the CLI decides where the text goes (stdout, `--output`, the step
summary)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chipdoctor.model import Report


@dataclass(frozen=True)
class RenderOptions:
    """How the text is wanted: `strict` fails warnings (JUnit counts them as failures), `color`
    and `width` shape the table."""

    strict: bool = False
    color: bool = False
    width: int = 100


class Renderer(Protocol):
    def __call__(self, report: Report, options: RenderOptions) -> str: ...
