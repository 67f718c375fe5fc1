"""What the AMD ROCm and Hygon DCU stacks share (DTK is ROCm-compatible): version files,
the smi table format and the HIP rules. Not a stack of its own."""
