"""Torch extensions installed beside torch: which they are, and whether their native libraries
still fit the installed torch (stack-independent: they fail on a CPU host too)."""
