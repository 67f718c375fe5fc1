"""The resolver: from an inventory, the matrices and the user's pins to the nearest compatible
stack (pure functions; `chipdoctor fix` prints and renders what it returns)."""

from chipdoctor.resolve.core import resolve
from chipdoctor.resolve.model import Candidate, Conflict, Resolution
from chipdoctor.resolve.pins import Pin, parse_generic, parse_pin

__all__ = ["Candidate", "Conflict", "Pin", "Resolution", "parse_generic", "parse_pin", "resolve"]
