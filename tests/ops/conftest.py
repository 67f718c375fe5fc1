"""The `--run` tests need a real CPU torch: the same interpreter the `--deep` tests use."""

from tests.smoke.conftest import torch_python  # noqa: F401  (the fixture, shared)
