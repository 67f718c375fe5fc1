"""The fixed test matrices (tests/fixtures/matrices), loaded once for the resolver tests."""

from __future__ import annotations

import pytest

from chipdoctor.matrix.model import MatrixSet
from tests.planning import fixed


@pytest.fixture(scope="module")
def matrices() -> MatrixSet:
    return fixed()
