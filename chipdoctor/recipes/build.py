"""One recipe from one plan: the base image, the environment, the pinned installs, the
pre-flight check and the `docker run` line. The Dockerfile and Apptainer writers only render it.

Every value is checked against `recipes.safety` here, before any renderer sees it: first
where it is read, so the error names where it came from, and again as the `Recipe` is made, so
no code path can hand a renderer an unchecked value. Free text (`summary`, `driver_note`, the
image's source) is escaped by the renderers (`recipes.escaping`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chipdoctor import __version__
from chipdoctor.errors import BadInput
from chipdoctor.fix.plan import PipInstall, Plan, image_view, step_writer
from chipdoctor.model import Inventory
from chipdoctor.printable import visible
from chipdoctor.recipes.data import ImageTag, Mounts, images, mounts
from chipdoctor.recipes.safety import checked
from chipdoctor.recipes.selfwheel import wheel_name
from chipdoctor.resolve.model import Accept

#: Where the recipe puts what it copies in.
WHEEL_DIR = "/tmp/chipdoctor"
WHEELHOUSE_DIR = "/tmp/wheelhouse"
#: The pre-flight policy, written beside the recipe: what the build cannot have (`mounts:`).
PREFLIGHT_POLICY = "chipdoctor-preflight.yaml"

#: The image field that names the device series, per stack.
_CHIP_FIELD = "chip"


@dataclass(frozen=True)
class Install:
    requirement: str  # "torch==2.5.1", or the wheel's URL
    index_url: str  # "" = pip's default index; unused with a wheelhouse
    no_deps: bool = False


@dataclass(frozen=True)
class Recipe:
    stack: str
    base: ImageTag
    env: tuple[tuple[str, str], ...]
    installs: tuple[Install, ...]
    wheel: str  # chipdoctor's wheel file name, copied in from the build context
    wheelhouse: str | None  # the wheelhouse directory, relative to the build context
    preflight: tuple[str, ...]
    #: The pre-flight's policy file (copied in beside the wheel), "" when the stack needs none.
    policy: str
    devices: tuple[str, ...]
    volumes: tuple[str, ...]
    options: tuple[str, ...]
    apptainer: tuple[str, ...]
    summary: str
    driver_note: str

    def __post_init__(self) -> None:
        where = "the recipe"
        checked("image reference", self.base.reference, where)
        for name, value in self.env:
            checked("environment variable name", name, where)
            checked("environment value", value, where)
        for install in self.installs:
            checked("requirement", install.requirement, where)
            if install.index_url:
                checked("URL", install.index_url, where)
        checked("file name", self.wheel, where)
        if self.wheelhouse is not None:
            checked("relative path", self.wheelhouse, where)
        for word in self.preflight:
            checked("command word", word, where)
        for device in self.devices:
            checked("device", device, where)
        for volume in self.volumes:
            checked("volume", volume, where)
        for option in (*self.options, *self.apptainer):
            checked("docker run option", option, where)


def _python_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def image_matches(image: ImageTag, target: Mapping[str, str], chip: str | None) -> bool:
    """The image holds exactly these versions of what it provides (Python by minor version);
    `target` is the stack's image view of the resolved target."""
    for component in image.provides:
        have = image.values.get(component)
        if have is None:
            continue
        want = target.get(component)
        if want is None:
            return False
        if component == "python":
            if _python_minor(want) != have:
                return False
        elif want != have:
            return False
    return chip is None or image.values.get(_CHIP_FIELD) in (None, chip)


def base_images(stack: str, target: Mapping[str, str], chip: str | None) -> list[ImageTag]:
    """Published images for this target, the ones providing the most first (file order next)."""
    view = image_view(stack, target)
    fitting = [i for i in images() if i.stack == stack and image_matches(i, view, chip)]
    return sorted(fitting, key=lambda i: -len([c for c in i.provides if c in i.values]))


def image_filter(stack: str, chip: str | None) -> Accept:
    """The resolver's `accept`: a stack is only worth proposing if an official image has it."""

    def accept(target: Mapping[str, str]) -> bool:
        return bool(base_images(stack, target, chip))

    return accept


def build_recipe(
    plan: Plan,
    inventory: Inventory,
    *,
    chip: str | None,
    wheelhouse: Path | None,
    context: Path | None,
) -> Recipe:
    """The recipe for the plan's target stack; refuses (exit 2) anything it cannot pin."""
    stack = plan.stack
    target = plan.resolution.target
    for component, version in target.items():
        checked("version", version, _origin(plan, inventory, component, version))
    base = _base_image(stack, target, chip)
    env = tuple(
        (
            checked("environment variable name", name, base.source),
            checked("environment value", value, base.source),
        )
        for name, value in base.environment
    )
    relative_wheelhouse = _wheelhouse(wheelhouse, context)
    installs = tuple(
        _install(pip, _origin(plan, inventory, pip.component, pip.version), wheelhouse)
        for pip in step_writer(stack).pip_installs(plan, inventory)
        if pip.component not in base.provides
    )
    layout = mounts().get(stack) or Mounts(stack, (), (), (), None, "")
    policy = preflight_policy(layout)
    preflight = ["chipdoctor", "check", "--strict"]
    if policy:
        preflight += ["--policy", f"{WHEEL_DIR}/{PREFLIGHT_POLICY}"]
    hard = plan.resolution.hard
    return Recipe(
        stack=stack,
        base=base,
        env=env,
        installs=installs,
        wheel=checked("file name", wheel_name(), "chipdoctor"),
        wheelhouse=relative_wheelhouse,
        preflight=tuple(preflight),
        policy=policy,
        devices=tuple(layout.device_nodes(sum(d.stack == stack for d in inventory.devices))),
        volumes=layout.volumes,
        options=layout.options,
        apptainer=layout.apptainer,
        summary=f"chipdoctor {__version__}: {stack} stack "
        + _describe({c: v for c, v in target.items() if c not in hard}),
        driver_note=_driver_note(plan),
    )


def _base_image(stack: str, target: Mapping[str, str], chip: str | None) -> ImageTag:
    """The first official image listed for the target; none listed is bad input."""
    candidates = base_images(stack, target, chip)
    if not candidates:
        raise BadInput(
            f"no official {stack} image is listed for this stack ({_describe(target)}"
            f"{', chip ' + chip if chip else ''}); see chipdoctor/recipes/images.yaml"
        )
    base = candidates[0]
    checked("image reference", base.reference, "chipdoctor/recipes/images.yaml")
    return base


def _install(pip: PipInstall, origin: str, wheelhouse: Path | None) -> Install:
    """One pip install: from the wheelhouse, a direct URL, or an index; a wheel no index
    serves needs --wheelhouse."""
    checked("version", pip.version, origin)
    checked("package name", pip.package, origin)
    if wheelhouse is not None:
        _require_wheel(wheelhouse, pip.package, pip.version)
        return Install(pip.requirement, "", pip.no_deps)
    if pip.direct_url:
        return Install(checked("URL", pip.wheel, origin), "", pip.no_deps)
    if pip.wheel:
        raise BadInput(
            f"{pip.package} {pip.version} is not on a package index ({pip.download} "
            f"publishes it): download the wheel into a directory and pass --wheelhouse DIR"
        )
    index = checked("URL", pip.index_url, pip.package) if pip.index_url else ""
    return Install(pip.requirement, index, pip.no_deps)


def _driver_note(plan: Plan) -> str:
    """The driver comes from the host; name this host's when the plan keeps it."""
    target = plan.resolution.target
    driver = next((target[c] for c in plan.resolution.hard[:1] if c in target), "")
    if driver:
        return (
            f"The driver is not in the image: it comes from the host at run time (this host: "
            f"{driver})."
        )
    return "The driver is not in the image: it comes from the host at run time."


def _origin(plan: Plan, inventory: Inventory, component: str, version: str) -> str:
    """Where a target version came from: the installed component's source when the target
    keeps it, else why the resolver chose it."""
    for installed in inventory.components:
        if installed.id == component and installed.version == version:
            return f"the installed {component} ({installed.source})"
    return f"the {component} target ({plan.resolution.reasons.get(component, 'resolved')})"


def preflight_policy(layout: Mounts) -> str:
    """A `chipdoctor check --policy` file demoting what only the host brings at run time."""
    if not layout.preflight_ignore:
        return ""
    import yaml

    entries = [{"id": i, "reason": reason} for i, reason in layout.preflight_ignore]
    header = (
        "# chipdoctor pre-flight policy for building the image: the driver, its files and the\n"
        "# devices come from the host when the container runs (chipdoctor/stacks/*/stack.yaml).\n"
    )
    return header + yaml.safe_dump({"ignore": entries}, sort_keys=False, width=1000)


def _describe(target: Mapping[str, str]) -> str:
    return visible(", ".join(f"{c} {v}" for c, v in target.items()))


def _wheelhouse(wheelhouse: Path | None, context: Path | None) -> str | None:
    if wheelhouse is None:
        return None
    if not wheelhouse.is_dir():
        raise BadInput("--wheelhouse: not a directory", path=str(wheelhouse))
    if context is None:
        raise BadInput(
            "--wheelhouse needs --emit-dockerfile/--emit-apptainer PATH (the build context), not -"
        )
    try:
        relative = wheelhouse.resolve().relative_to(context.resolve())
    except ValueError:
        raise BadInput(
            f"--wheelhouse must be inside the build context {context} (the recipe's directory)",
            path=str(wheelhouse),
        ) from None
    text = relative.as_posix()
    return checked("path", "/" + text, "--wheelhouse")[1:] or "."


def _require_wheel(wheelhouse: Path, package: str, version: str) -> None:
    """The wheelhouse must hold this exact distribution (wheel names use `_` for `-`)."""
    stem = f"{package.replace('-', '_')}-{version}-"
    plain = f"{package.replace('-', '_')}-{version.split('+', 1)[0]}+"
    if not any(
        p.name.startswith((stem, plain)) and p.suffix == ".whl" for p in wheelhouse.iterdir()
    ):
        raise BadInput(f"--wheelhouse {wheelhouse} has no {package} {version} wheel ({stem}*.whl)")
