"""Every stack's recipe, built for real: `fix --emit-dockerfile … --build` for a mismatched
scenario of each stack, on the logging stand-in tagged as the official base image the recipe
names. The build must run every command of the recipe's RUN, in order, and the image must carry
every ENV line of the recipe."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SNAPSHOTS, run_cli
from tests.docker_engine import STEP_LOG, read_from_image

#: One mismatched scenario per stack (the plan changes something), with the options it needs.
SCENARIOS = (
    ("ascend-cann-newer-than-driver", ("--chip", "910b")),  # npu-smi failed there: no series
    ("cuda-torch-too-new-for-driver", ()),
    ("rocm-torch-mismatch", ()),
    ("dcu-torch-dtk-mismatch", ()),
)
# Cambricon has none: its one listed image holds a torch_mlu the matrix does not know
# (tests/fix/test_fix_cambricon.py shows the refusal).


def _run_commands(dockerfile: str) -> list[str]:
    """The commands of the recipe's one RUN instruction, as the shell runs them."""
    (run,) = re.findall(r"^RUN (.*?)(?:\n(?! )|\Z)", dockerfile, re.M | re.S)
    return [" ".join(c.split()) for c in run.replace("\\\n", " ").split(" && ")]


@pytest.mark.parametrize("case", SCENARIOS, ids=[s for s, _ in SCENARIOS])
def test_each_stack_recipe_builds_and_runs_every_step_in_order(
    client: Any,
    docker_host: str,
    stand_in_base: str,
    tmp_path: Path,
    case: tuple[str, tuple[str, ...]],
) -> None:
    scenario, options = case
    dockerfile = tmp_path / "Dockerfile"
    args = ("fix", "--snapshot", str(SNAPSHOTS / scenario), *options)
    args += ("--emit-dockerfile", str(dockerfile))
    emitted = run_cli(*args)
    assert emitted.returncode == 0, emitted.stderr
    text = dockerfile.read_text()
    (base,) = re.findall(r"^ARG BASE_IMAGE=(\S+)$", text, re.M)
    repository, _, tag = base.rpartition(":")
    client.images.get(stand_in_base).tag(repository, tag)
    image = f"chipdoctor-test/{scenario}:1"
    built = run_cli(*args, "--force", "--build", "--tag", image, env={"DOCKER_HOST": docker_host})
    assert built.returncode == 0, built.stderr
    assert f"chipdoctor: built {image}" in built.stderr
    logged = read_from_image(client, image, STEP_LOG).decode().splitlines()
    ran = [line for line in logged if not line.startswith("ASCEND_HOME_PATH=")]
    assert ran == _run_commands(text)
    assert ran[-1].startswith("chipdoctor check --strict")
    env = client.images.get(image).attrs["Config"]["Env"]
    names = {item.split("=", 1)[0] for item in env}
    assert names >= set(re.findall(r"^ENV (\w+)=", text, re.M))
