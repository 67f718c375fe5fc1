"""`chipdoctor fix`: check, resolve, print the plan, and write (and build) the recipes.

The CLI fills `FixOptions` and prints nothing itself; this returns the exit code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TextIO

from chipdoctor import __version__
from chipdoctor.errors import BadInput
from chipdoctor.evidence.base import Evidence
from chipdoctor.i18n import T
from chipdoctor.resolve.pins import Pin

if TYPE_CHECKING:
    from chipdoctor.fix.plan import Plan
    from chipdoctor.matrix.model import Matrix, MatrixSet
    from chipdoctor.model import Inventory, Symptom
    from chipdoctor.recipes.build import Recipe
    from chipdoctor.resolve.model import Resolution

    _Renderer = Callable[..., str]  # recipes.dockerfile.render, recipes.apptainer.render

STDOUT = "-"


@dataclass
class FixOptions:
    evidence: Callable[[contextlib.ExitStack], Evidence]
    #: What the failed job's log shows (`--log`): weighed as `check --log` weighs it.
    symptoms: tuple[Symptom, ...] = ()
    matrix: list[Path] = field(default_factory=list)
    pins: list[Pin] = field(default_factory=list)
    stack: Optional[str] = None
    keep_driver: bool = False
    allow_downgrade: bool = False
    chip: Optional[str] = None
    output_format: str = "table"
    emit_dockerfile: Optional[str] = None
    emit_apptainer: Optional[str] = None
    wheelhouse: Optional[Path] = None
    force: bool = False
    build: bool = False
    tag: Optional[str] = None
    lang: str = "en"
    color: bool = False
    width: int = 100


def run_fix(options: FixOptions, stdout: TextIO, stderr: TextIO) -> int:
    from chipdoctor.engine import check
    from chipdoctor.fix.plan import build_plan
    from chipdoctor.matrix.load import load_matrices
    from chipdoctor.resolve.core import choose_stack, resolve
    from chipdoctor.symptoms import recorded

    recipes = [p for p in (options.emit_dockerfile, options.emit_apptainer) if p is not None]
    _validate(options, recipes)
    matrices = load_matrices(options.matrix)
    with contextlib.ExitStack() as scope:
        evidence = options.evidence(scope)
        report = check(evidence, matrices, symptoms=options.symptoms or recorded(evidence))
    inventory = report.inventory
    stack = choose_stack(inventory, options.stack, options.pins)
    chip = _chip(options, stack, inventory, recipes)
    accept = None
    if recipes:
        from chipdoctor.recipes.build import image_filter

        accept = image_filter(stack, chip)
    resolution = resolve(
        inventory,
        matrices,
        options.pins,
        stack=stack,
        keep_driver=options.keep_driver,
        accept=accept,
    )
    if not options.allow_downgrade:
        refuse_downgrade(resolution, matrices.get(stack))
    if recipes and not resolution.ok:
        _no_image(inventory, matrices, options, stack, chip)
    facts = {"chip": chip} if chip else {}
    # A recipe's plan is for a fresh container: the host's environment findings do not apply.
    plan = build_plan(__version__, resolution, inventory, [] if recipes else report.findings, facts)
    plan.data = matrices.source
    _print_plan(options, plan, stderr if STDOUT in recipes else stdout, stdout)
    if not resolution.ok or not recipes:
        return plan.exit_code()
    _write_recipes(options, plan, inventory, chip, out=(stdout, stderr))
    return plan.exit_code()


def refuse_downgrade(resolution: Resolution, matrix: Matrix) -> None:
    """A component newer than the data is not judged, so never downgraded: the plan becomes a
    conflict that says so (--allow-downgrade plans with the data's newest instead)."""
    from chipdoctor.resolve.model import Conflict
    from chipdoctor.rules.data import beyond_data

    current = resolution.current
    beyond = beyond_data(resolution.stack, current, matrix)
    kept = [c for c in beyond if resolution.ok and resolution.target.get(c) == current[c]]
    refused = [c for c in beyond if c not in kept]
    if not refused:
        return
    resolution.target, resolution.reasons, resolution.warnings = {}, {}, []
    resolution.conflicts = [
        Conflict(
            (),
            T(
                "{component} {version} is newer than this data, refreshed {updated} (the newest "
                "{component} it knows is {known}): chipdoctor cannot judge it and does not "
                "downgrade it. Run `chipdoctor matrix update`, or pass --allow-downgrade to plan "
                "with the newest the data knows.",
                component=component,
                version=current[component],
                updated=matrix.updated or T("on an unknown date"),
                known=beyond[component],
            ),
        )
        for component in refused
    ]


def _chip(
    options: FixOptions, stack: str, inventory: Inventory, recipes: list[str]
) -> Optional[str]:
    """The Ascend NPU series (--chip or the one found); only Ascend image tags name one."""
    chip = options.chip
    if chip is not None and stack != "ascend":
        raise BadInput(f"--chip names an Ascend NPU series; it does not apply to a {stack} stack")
    if stack == "ascend":
        from chipdoctor.stacks.ascend.packages import chip_series

        chip = chip or chip_series(inventory)
        if recipes and chip is None:
            raise BadInput(
                "cannot tell the NPU series here (npu-smi showed no device): pass --chip "
                "910b|a3|310p|910|950 for the image tag"
            )
    return chip


def _print_plan(options: FixOptions, plan: Plan, plan_out: TextIO, stdout: TextIO) -> None:
    """The plan goes to stderr when a recipe is written to stdout."""
    from chipdoctor.fix.render import render_json, render_text

    if options.output_format == "json":
        plan_out.write(render_json(plan))
    else:
        plan_out.write(
            render_text(
                plan,
                color=options.color and plan_out is stdout,
                width=options.width,
                lang=options.lang,
            )
        )
    plan_out.flush()


def _no_image(
    inventory: Inventory, matrices: MatrixSet, options: FixOptions, stack: str, chip: str | None
) -> None:
    """Bad input, not a conflict, when the pins fit a stack and only no image has it."""
    from chipdoctor.resolve.core import resolve

    without = resolve(
        inventory, matrices, options.pins, stack=stack, keep_driver=options.keep_driver
    )
    if without.ok:
        from chipdoctor.printable import visible

        wanted = visible(
            ", ".join(f"{c} {v}" for c, v in without.target.items() if c not in without.hard)
        )
        raise BadInput(
            f"no official {stack} image is listed for the stack these pins resolve to ({wanted}"
            f"{', chip ' + chip if chip else ''}); see chipdoctor/recipes/images.yaml"
        )


def _validate(options: FixOptions, recipes: list[str]) -> None:
    if recipes.count(STDOUT) > 1:
        raise BadInput("only one of --emit-dockerfile and --emit-apptainer can write to -")
    if STDOUT in recipes and options.output_format == "json":
        raise BadInput("--format json prints the plan on stdout: write the recipe to a file")
    if options.build and options.emit_dockerfile in (None, STDOUT):
        raise BadInput("--build needs --emit-dockerfile PATH (the build context is its directory)")
    if options.wheelhouse is not None and not recipes:
        raise BadInput("--wheelhouse only applies to --emit-dockerfile/--emit-apptainer")
    if options.tag is not None and not options.build:
        raise BadInput("--tag only applies to --build")


def _write_recipes(
    options: FixOptions,
    plan: Plan,
    inventory: Inventory,
    chip: Optional[str],
    *,
    out: tuple[TextIO, TextIO],
) -> None:
    """Render every recipe and check every target first; then write them and the wheel."""
    from chipdoctor.delivery import write_atomic
    from chipdoctor.recipes.build import build_recipe
    from chipdoctor.recipes.safety import checked

    stderr = out[1]
    files = _recipe_files(options)
    contexts = {Path(t).parent for t, _ in files if t != STDOUT}
    context = next(iter(contexts)) if len(contexts) == 1 else None
    if options.wheelhouse is not None and len(contexts) > 1:
        raise BadInput("with --wheelhouse, write both recipes into one directory")
    recipe = build_recipe(
        plan, inventory, chip=chip, wheelhouse=options.wheelhouse, context=context
    )
    image = checked("image reference", options.tag or f"chipdoctor-{plan.stack}", "--tag")
    rendered = [
        (target, renderer(recipe, image=_image_name(renderer, image, plan)))
        for target, renderer in files
    ]
    beside = _beside(recipe)
    extras = _extras(contexts, beside)
    _check_targets(options, rendered, extras)
    _write_rendered(options, rendered, beside, out)
    for path, data in extras:
        write_atomic(path, data, force=options.force)
        stderr.write(f"chipdoctor: wrote {path}\n")
    if options.build and options.emit_dockerfile is not None:
        _build(Path(options.emit_dockerfile), image, stderr)


def _recipe_files(options: FixOptions) -> list[tuple[str, _Renderer]]:
    """Each recipe asked for, with its renderer."""
    from chipdoctor.recipes import apptainer, dockerfile

    return [
        (target, renderer)
        for target, renderer in (
            (options.emit_dockerfile, dockerfile.render),
            (options.emit_apptainer, apptainer.render),
        )
        if target is not None
    ]


def _image_name(renderer: _Renderer, image: str, plan: Plan) -> str:
    """The Docker image tag, or the Apptainer image file the definition names."""
    from chipdoctor.recipes import dockerfile

    return image if renderer is dockerfile.render else f"chipdoctor-{plan.stack}.sif"


def _beside(recipe: Recipe) -> list[tuple[str, bytes]]:
    """What each build context needs beside the recipe: the wheel, and the pre-flight policy."""
    from chipdoctor.recipes.build import PREFLIGHT_POLICY
    from chipdoctor.recipes.selfwheel import build_wheel, wheel_name

    beside = [(wheel_name(), build_wheel())]
    if recipe.policy:
        beside.append((PREFLIGHT_POLICY, recipe.policy.encode()))
    return beside


def _extras(contexts: set[Path], beside: list[tuple[str, bytes]]) -> list[tuple[Path, bytes]]:
    """The files to write into each build context, less those already there as they are."""
    extras = []
    for directory in sorted(contexts):
        for name, data in beside:
            path = directory / name
            if path.is_file() and path.read_bytes() == data:
                continue  # the same file is already there: nothing to overwrite
            extras.append((path, data))
    return extras


def _check_targets(
    options: FixOptions, rendered: list[tuple[str, str]], extras: list[tuple[Path, bytes]]
) -> None:
    """Refuse before writing anything when one target may not be written."""
    from chipdoctor.delivery import ensure_writable

    for target, _ in rendered:
        if target != STDOUT:
            ensure_writable(Path(target), force=options.force)
    for path, _ in extras:
        ensure_writable(path, force=options.force)


def _write_rendered(
    options: FixOptions,
    rendered: list[tuple[str, str]],
    beside: list[tuple[str, bytes]],
    out: tuple[TextIO, TextIO],
) -> None:
    from chipdoctor.delivery import write_atomic

    stdout, stderr = out
    for target, text in rendered:
        if target == STDOUT:
            stdout.write(text)
            stderr.write(
                f"chipdoctor: the recipe copies {', '.join(n for n, _ in beside)} from its build "
                "context; write the recipe to a file to get them beside it\n"
            )
        else:
            write_atomic(Path(target), text.encode(), force=options.force)
            stderr.write(f"chipdoctor: wrote {target}\n")


def _build(dockerfile_path: Path, image: str, stderr: TextIO) -> None:
    from chipdoctor.container.engine import build, connect

    client = connect(timeout=3600)
    try:
        image_id = build(client, dockerfile_path.parent, dockerfile_path.name, image, stderr)
    finally:
        client.close()
    stderr.write(f"chipdoctor: built {image} ({image_id or 'no id reported'})\n")
