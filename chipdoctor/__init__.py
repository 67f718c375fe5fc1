"""chipdoctor: a doctor for PyTorch on AI accelerators."""

__version__ = "0.1.0"
