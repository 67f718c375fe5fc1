"""Render a recipe as an Apptainer (Singularity) definition file: the same image, environment,
installs and pre-flight check as the Dockerfile. The `%help` lines go through
`recipes.escaping.apptainer_text`; every other value was checked when the `Recipe` was made."""

from __future__ import annotations

from chipdoctor.recipes.build import PREFLIGHT_POLICY, WHEEL_DIR, WHEELHOUSE_DIR, Recipe
from chipdoctor.recipes.dockerfile import install_commands
from chipdoctor.recipes.escaping import apptainer_text


def exec_line(recipe: Recipe, image: str) -> str:
    """`apptainer exec` with the driver files bound (Apptainer shares the host's /dev)."""
    binds = ",".join(recipe.volumes)
    parts = ["apptainer exec", *recipe.apptainer, *(["--bind", binds] if binds else []), image]
    return " ".join([*parts, "python"])


def render(recipe: Recipe, *, image: str) -> str:
    env = [f"    export {name}={value}" for name, value in recipe.env]
    files = [f"    {recipe.wheel} {WHEEL_DIR}/{recipe.wheel}"]
    if recipe.policy:
        files.append(f"    {PREFLIGHT_POLICY} {WHEEL_DIR}/{PREFLIGHT_POLICY}")
    if recipe.wheelhouse is not None:
        files.append(f"    {recipe.wheelhouse} {WHEELHOUSE_DIR}")
    lines = [
        "Bootstrap: docker",
        f"From: {recipe.base.reference}",
        "",
        "%help",
        apptainer_text(recipe.summary),
        apptainer_text(f"Base image: {recipe.base.reference} (source: {recipe.base.source})."),
        apptainer_text(f"Build next to the chipdoctor wheel: apptainer build {image} <this file>"),
        apptainer_text(f"Run: {exec_line(recipe, image)}"),
        apptainer_text(recipe.driver_note),
        "",
        "%files",
        *files,
        "",
        "%environment",
        *env,
        "",
        "%post",
        "    set -e",
        # NOTE: %post does not read %environment; the same variables are exported for the build.
        *env,
        *(f"    {command}" for command in install_commands(recipe)),
        "",
        "%test",
        f"    {' '.join(recipe.preflight)}",
        "",
        "%runscript",
        '    exec "$@"',
    ]
    return "\n".join(lines) + "\n"
