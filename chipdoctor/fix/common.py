"""Steps every stack writes the same way: a fresh virtual environment, the pip installs of the
target, and the closing check. The stack modules add what is their own (drivers, toolkits)."""

from __future__ import annotations

from collections.abc import Iterable

from chipdoctor.fix.plan import PipInstall, Plan, Step
from chipdoctor.i18n import T
from chipdoctor.rules.common import pip_install


def python_step(plan: Plan, venv: str) -> list[Step]:
    """A new virtual environment when the target changes Python (the pip steps go into it)."""
    python = plan.target("python")
    if not python or not plan.changed("python"):
        return []
    return [
        Step(
            "python",
            T(
                "Use Python {python} (a new virtual environment; the packages below go into it)",
                python=python,
            ),
            (f"python{python} -m venv {venv}", f". {venv}/bin/activate"),
            plan.resolution.reasons.get("python", ""),
        )
    ]


def pip_command(install: PipInstall) -> str:
    """The pip line for one package: from its index, its URL, or a downloaded wheel file."""
    if install.wheel:
        where = install.wheel if install.direct_url else f"./{install.wheel}"
        return f"pip install {'--no-deps ' if install.no_deps else ''}{where}"
    line = pip_install(install.requirement, index_url=install.index_url or None)
    return line + (" --no-deps" if install.no_deps else "")


def pip_steps(plan: Plan, installs: Iterable[PipInstall]) -> list[Step]:
    """One step per package the target changes (every package in a new environment)."""
    fresh = plan.changed("python")
    out = []
    for install in installs:
        if not (fresh or plan.changed(install.component)):
            continue
        if install.wheel and not install.direct_url:
            title = T(
                "Install {package} {version}: not on a package index; download {wheel} from {url}",
                package=install.package,
                version=install.version,
                wheel=install.wheel,
                url=install.download,
            )
        else:
            title = T(
                "Install {package} {version}", package=install.package, version=install.version
            )
        if install.note:
            title = T("{title} ({note})", title=title, note=install.note)
        why = plan.resolution.reasons.get(install.component, "")
        out.append(Step("pip", title, (pip_command(install),), why))
    return out


def finish(steps: list[Step]) -> list[Step]:
    """The steps, closed by a `chipdoctor check` when there is anything to do."""
    if not steps:
        return steps
    return [*steps, Step("verify", T("Check the result"), ("chipdoctor check",), "")]
