"""Verdicts: pure functions from an inventory and a matrix to findings, one module per stack."""
