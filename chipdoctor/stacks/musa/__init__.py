"""Moore Threads MUSA: torch_musa, the MUSA toolkit, the driver and GPUs from mthreads-gmi."""
