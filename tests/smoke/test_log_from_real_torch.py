"""What a real CPU-only torch prints when a job asks it for CUDA, handed to `check --log`: the
message chipdoctor recognises is the one torch itself raises (torch/cuda/__init__.py)."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import SNAPSHOTS, run_cli_process


def test_the_error_of_a_real_cpu_torch_names_the_cpu_build(torch_python: str) -> None:
    job = subprocess.run(
        [torch_python, "-c", "import torch; torch.zeros(1).cuda()"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert job.returncode != 0
    assert "Torch not compiled with CUDA enabled" in job.stderr
    snapshot = str(SNAPSHOTS / "cuda-cpu-torch-on-gpu-host")
    result = run_cli_process(
        "check",
        *("--snapshot", snapshot, "--log", "-", "--format", "json"),
        stdin=job.stderr,
    )
    assert result.returncode == 1, result.stderr
    [finding] = [
        f for f in json.loads(result.stdout)["findings"] if f["id"] == "cuda.torch-cpu-build"
    ]
    line = (
        job.stderr.splitlines().index(
            next(x for x in job.stderr.splitlines() if "Torch not compiled" in x)
        )
        + 1
    )
    assert f"as the log shows at line {line}:" in finding["message"]
