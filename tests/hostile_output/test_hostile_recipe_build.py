"""Hostile recipes built for real: a few free-text values that would add instructions if they
were not escaped, built by the real Docker Engine on the stand-in base (whose shims log every
step), run exactly the clean recipe's steps; a hostile version is refused before any build."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from chipdoctor.container.engine import build
from chipdoctor.recipes import dockerfile
from chipdoctor.recipes.build import PREFLIGHT_POLICY
from chipdoctor.recipes.selfwheel import build_wheel, wheel_name
from tests.conftest import SNAPSHOTS, run_cli
from tests.docker_engine import STEP_LOG, read_from_image
from tests.hostile_output.test_recipe_values import CLEAN

INJECTED = "\nRUN echo injected >> /var/log/chipdoctor-steps.log\n"


def built_steps(client: Any, tmp_path: Path, text: str, tag: str) -> list[str]:
    context = tmp_path / tag.replace("/", "-").replace(":", "-")
    context.mkdir()
    (context / "Dockerfile").write_text(text, encoding="utf-8")
    (context / wheel_name()).write_bytes(build_wheel())
    (context / PREFLIGHT_POLICY).write_text(CLEAN.policy, encoding="utf-8")
    build(client, context, "Dockerfile", tag, io.StringIO())
    return read_from_image(client, tag, STEP_LOG).decode().splitlines()


@pytest.fixture(scope="module")
def clean_steps(
    client: Any, stand_in_base: str, tmp_path_factory: pytest.TempPathFactory
) -> list[str]:
    """The clean recipe's steps, built once: every hostile build is compared with them."""
    text = dockerfile.render(CLEAN, image="c")
    steps = built_steps(client, tmp_path_factory.mktemp("clean"), text, "chipdoctor-test/clean:1")
    assert steps and not any("injected" in step for step in steps)
    return steps


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("summary", INJECTED),
        ("summary", f"x \\{INJECTED}"),
        ("driver_note", INJECTED.replace("\n", "\r\n")),
        ("driver_note", INJECTED.replace("\n", "\u2028")),
    ],
)
def test_a_hostile_comment_builds_only_the_clean_steps(
    client: Any, clean_steps: list[str], tmp_path: Path, field: str, value: str
) -> None:
    hostile = dockerfile.render(replace(CLEAN, **{field: value}), image="c")  # type: ignore[arg-type]
    assert built_steps(client, tmp_path, hostile, "chipdoctor-test/hostile:1") == clean_steps


def test_a_hostile_version_never_reaches_the_engine(
    client: Any, docker_host: str, stand_in_base: str, tmp_path: Path
) -> None:
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    source = SNAPSHOTS / "rocm-healthy"
    doc = yaml.safe_load((source / "snapshot.yaml").read_text(encoding="utf-8"))
    doc["python"]["version"] += INJECTED
    (snapshot / "snapshot.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    for path in source.rglob("*"):
        if path.is_file() and path.name != "snapshot.yaml":
            target = snapshot / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    tag = "chipdoctor-test/refused:1"
    result = run_cli(
        "fix",
        "--snapshot",
        str(snapshot),
        "--emit-dockerfile",
        str(tmp_path / "Dockerfile"),
        "--build",
        "--tag",
        tag,
        env={"DOCKER_HOST": docker_host},
    )
    assert result.returncode == 2
    assert "refusing to write a recipe: version" in result.stderr
    assert client.images.list(name=tag) == []
    assert not (tmp_path / "Dockerfile").exists()
