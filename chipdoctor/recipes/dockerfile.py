"""Render a recipe as a Dockerfile (hadolint-clean: pinned installs, no pip cache, one RUN).

Every comment line goes through `recipes.escaping.dockerfile_comment`; every other value was
checked when the `Recipe` was made.
"""

from __future__ import annotations

from chipdoctor.recipes.build import PREFLIGHT_POLICY, WHEEL_DIR, WHEELHOUSE_DIR, Recipe
from chipdoctor.recipes.escaping import dockerfile_comment
from chipdoctor.torchwheels import source_option


def docker_run_line(recipe: Recipe, image: str) -> str:
    parts = ["docker run --rm -it"]
    parts += [f"--device {device}" for device in recipe.devices]
    parts += [f"-v {volume}" for volume in recipe.volumes]
    parts += list(recipe.options)
    parts.append(image)
    return " ".join(parts)


def _path(reference: str) -> str:
    """The repository path and tag without the registry host."""
    return reference.split("/", 1)[-1]


def install_commands(recipe: Recipe) -> list[str]:
    """The shell commands of the build, in order (shared with the Apptainer %post)."""
    wheel = f"{WHEEL_DIR}/{recipe.wheel}"
    pip = "python -m pip install --no-cache-dir"
    if recipe.wheelhouse is not None:
        requirements = " ".join(i.requirement for i in recipe.installs)
        offline = f"{pip} --no-index --find-links {WHEELHOUSE_DIR}"
        commands = [f"{offline} {requirements}".rstrip(), f"{offline} {wheel}"]
    else:
        commands = [
            f"{pip} {'--no-deps ' if i.no_deps else ''}{i.requirement}"
            + (f" {source_option(i.index_url)} {i.index_url}" if i.index_url else "")
            for i in recipe.installs
        ]
        commands.append(f"{pip} {wheel}")
    commands.append(" ".join(recipe.preflight))
    return commands


def render(recipe: Recipe, *, image: str) -> str:
    comments = [
        recipe.summary,
        f"Base image: {recipe.base.reference} (listed in chipdoctor/recipes/images.yaml, source: "
        f"{recipe.base.source}).",
        "Build from this directory (it holds the chipdoctor wheel the pre-flight check uses):",
        f"  docker build -t {image} .",
        "From a mirror registry:",
        f"  docker build --build-arg BASE_IMAGE=<mirror>/{_path(recipe.base.reference)} "
        f"-t {image} .",
        "Run with the accelerator devices and the host's driver files mounted:",
        f"  {docker_run_line(recipe, image)}",
        recipe.driver_note,
        "So the pre-flight `chipdoctor check --strict` below demotes what only the host brings"
        if recipe.policy
        else "The pre-flight `chipdoctor check --strict` below checks the image's own stack.",
        *([f"(devices, driver files) with {PREFLIGHT_POLICY}."] if recipe.policy else []),
    ]
    lines = [
        *(dockerfile_comment(text) for text in comments),
        f"ARG BASE_IMAGE={recipe.base.reference}",
        "FROM ${BASE_IMAGE}",
    ]
    lines += [f"ENV {name}={value}" for name, value in recipe.env]
    copied = [recipe.wheel, *([PREFLIGHT_POLICY] if recipe.policy else [])]
    lines.append(f"COPY {' '.join(copied)} {WHEEL_DIR}/")
    if recipe.wheelhouse is not None:
        lines.append(f"COPY {recipe.wheelhouse} {WHEELHOUSE_DIR}")
    commands = install_commands(recipe)
    lines.append("RUN " + " \\\n    && ".join(commands))
    return "\n".join(lines) + "\n"
