"""Read `.chipdoctor.yaml`, `--policy FILE` and `--require` into a Policy.

Every problem is bad input: one line naming the file and line (or the `--require` option),
exit 2. Unknown keys are errors, so a typo never silently weakens a gate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chipdoctor.components import ALL_COMPONENTS
from chipdoctor.errors import BadInput
from chipdoctor.policy import DEFAULT_FILE
from chipdoctor.stacks import STACKS
from chipdoctor.versions import InvalidVersion, scheme_for
from chipdoctor.yamlio import LocatedYaml, YamlPath, read_yaml

_KEYS = ("require_stacks", "versions", "ignore", "fail_on_warnings", "env")
_IGNORE_KEYS = ("id", "reason", "until")
#: Host facts whose value is a name (`openEuler 22.03`, `aarch64`), not a comparable version.
_UNVERSIONED = ("os", "arch")
#: The finding id pattern of the report schema (chipdoctor/schemas/report.schema.json).
_FINDING_ID = re.compile(r"^[a-z0-9_]+\.[a-z0-9_.-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_REQUIRE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_-]*)\s*([<>=!~].*)?$")


@dataclass(frozen=True)
class RequiredStack:
    stack: str
    origin: str  # FILE:LINE


@dataclass(frozen=True)
class Constraint:
    """A version constraint on one component, and where it was written (for messages)."""

    component: str
    pattern: str
    origin: str  # FILE:LINE, or the --require option as typed
    finding_id: str


@dataclass(frozen=True)
class Ignore:
    """Findings with this id are reported as info (with the reason) until `until` has passed."""

    finding_id: str
    reason: str
    until: dt.date | None
    origin: str  # FILE:LINE of the entry


@dataclass(frozen=True)
class Policy:
    path: str | None = None
    stacks: tuple[RequiredStack, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    ignores: tuple[Ignore, ...] = ()
    fail_on_warnings: bool = False
    #: The environment the job will run with (`chipdoctor ops` reads the vendors' fallback
    #: switches, e.g. TORCH_NPU_FALLBACK_CPU_DISABLE, from it as well as from its own).
    env: tuple[tuple[str, str], ...] = ()

    def with_requires(self, requires: list[Constraint]) -> Policy:
        return dataclasses.replace(self, constraints=(*self.constraints, *requires))


def load_policy(explicit: Path | None) -> Policy:
    """`--policy FILE` (which must exist), else `.chipdoctor.yaml` here if there is one."""
    if explicit is not None:
        return load_file(explicit)
    default = Path(DEFAULT_FILE)
    # NOTE: a dangling symlink still counts as "there is a policy": reading it fails loudly
    # instead of running the check ungated.
    if default.is_symlink() or default.exists():
        return load_file(default)
    return Policy()


def load_file(path: str | Path) -> Policy:
    return build_policy(read_yaml(path))


def build_policy(doc: LocatedYaml) -> Policy:
    data = doc.data
    if data is None:  # an empty file, or only comments: a policy that asks for nothing
        return Policy(path=doc.path)
    if not isinstance(data, dict):
        raise doc.error((), f"a policy is a mapping with any of: {', '.join(_KEYS)}")
    for key in data:
        if key not in _KEYS:
            raise doc.error((key,), f"unknown key {key!r} (a policy has {', '.join(_KEYS)})")
    fail_on_warnings = data.get("fail_on_warnings", False)
    if not isinstance(fail_on_warnings, bool):
        raise doc.error(("fail_on_warnings",), "fail_on_warnings must be true or false")
    return Policy(
        path=doc.path,
        stacks=_stacks(doc, data.get("require_stacks", [])),
        constraints=_versions(doc, data.get("versions", {})),
        ignores=_ignores(doc, data.get("ignore", [])),
        fail_on_warnings=fail_on_warnings,
        env=_env(doc, data.get("env", {})),
    )


def _env(doc: LocatedYaml, value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise doc.error(("env",), "env is a mapping of variable names to values")
    out = []
    for name, setting in value.items():
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            raise doc.error(("env", name), f"{name!r} is not an environment variable name")
        if not isinstance(setting, (str, int)) or isinstance(setting, bool):
            raise doc.error(("env", name), f'env {name} must be a string such as "1"')
        out.append((name, str(setting)))
    return tuple(out)


def parse_require(text: str) -> Constraint:
    """`--require 'torch_npu>=2.1,<2.5'`: a component id followed by a constraint."""
    origin = f"--require {text!r}"
    match = _REQUIRE.match(text)
    if match is None or not match.group(2):
        raise BadInput(f"{origin}: expected a component and a constraint, e.g. 'torch_npu>=2.1'")
    component, pattern = match.group(1), match.group(2).strip()
    problem = _component_problem(component) or _pattern_problem(component, pattern)
    if problem:
        raise BadInput(f"{origin}: {problem}")
    return Constraint(component, pattern, origin, f"policy.require-{component}")


def _stacks(doc: LocatedYaml, value: Any) -> tuple[RequiredStack, ...]:
    if not isinstance(value, list):
        raise doc.error(("require_stacks",), "require_stacks must be a list, e.g. [ascend]")
    out: list[RequiredStack] = []
    for index, stack in enumerate(value):
        where: YamlPath = ("require_stacks", index)
        if not isinstance(stack, str) or stack not in STACKS:
            raise doc.error(where, f"unknown stack {stack!r} (stacks: {', '.join(STACKS)})")
        if any(s.stack == stack for s in out):
            raise doc.error(where, f"stack {stack!r} is listed twice")
        out.append(RequiredStack(stack, _origin(doc, where)))
    return tuple(out)


def _versions(doc: LocatedYaml, value: Any) -> tuple[Constraint, ...]:
    if not isinstance(value, dict):
        raise doc.error(("versions",), "versions must be a mapping of component id to constraint")
    out = []
    for component, pattern in value.items():
        where: YamlPath = ("versions", component)
        problem = _component_problem(str(component))
        if problem:
            raise doc.error(where, problem)
        if not isinstance(pattern, str):
            hint = " (YAML reads 3.10 as the number 3.1)" if isinstance(pattern, float) else ""
            raise doc.error(where, f"{component}: {pattern!r} must be a quoted string{hint}")
        problem = _pattern_problem(component, pattern)
        if problem:
            raise doc.error(where, problem)
        origin = _origin(doc, where)
        out.append(Constraint(component, pattern.strip(), origin, f"policy.version-{component}"))
    return tuple(out)


def _ignores(doc: LocatedYaml, value: Any) -> tuple[Ignore, ...]:
    if not isinstance(value, list):
        raise doc.error(("ignore",), "ignore must be a list of entries with id and reason")
    out: list[Ignore] = []
    for index, entry in enumerate(value):
        where: YamlPath = ("ignore", index)
        if not isinstance(entry, dict):
            raise doc.error(where, "an ignore entry is a mapping with id, reason and maybe until")
        _ignore_keys(doc, where, entry)
        finding_id = _ignored_id(doc, where, entry.get("id"))
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise doc.error(
                (*where, "reason"), f"ignoring {finding_id} needs a reason: say why it is safe"
            )
        for earlier in out:
            if earlier.finding_id == finding_id:
                raise doc.error(
                    (*where, "id"), f"{finding_id} is already ignored at {earlier.origin}"
                )
        until = _until(doc, (*where, "until"), entry.get("until"))
        out.append(Ignore(finding_id, reason.strip(), until, _origin(doc, where)))
    return tuple(out)


def _ignore_keys(doc: LocatedYaml, where: YamlPath, entry: dict[Any, Any]) -> None:
    for key in entry:
        if key not in _IGNORE_KEYS:
            raise doc.error(
                (*where, key),
                f"unknown key {key!r} in an ignore entry (it has {', '.join(_IGNORE_KEYS)})",
            )


def _ignored_id(doc: LocatedYaml, where: YamlPath, finding_id: Any) -> str:
    """A finding id that a check reports: never one of the policy's own findings."""
    if not isinstance(finding_id, str) or not _FINDING_ID.match(finding_id):
        raise doc.error((*where, "id"), "id must be a finding id such as 'ascend.env-not-sourced'")
    if finding_id.startswith("policy."):
        raise doc.error(
            (*where, "id"),
            f"{finding_id} comes from this policy itself: change the rule, not an ignore",
        )
    return finding_id


def _until(doc: LocatedYaml, where: YamlPath, value: Any) -> dt.date | None:
    if value is None:
        return None
    # NOTE: YAML reads an unquoted 2026-12-31 as a date and `2026-12-31 10:00` as a datetime,
    # which is a date subclass: refuse the time rather than silently dropping it.
    if isinstance(value, dt.datetime):
        raise doc.error(where, "until must be a date (YYYY-MM-DD), without a time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise doc.error(where, f"until {value!r} is not a date: {exc}") from None
    raise doc.error(where, f"until must be a date (YYYY-MM-DD), not {value!r}")


def _component_problem(component: str) -> str | None:
    if component in _UNVERSIONED:
        return f"{component} has no version to constrain"
    if component in ALL_COMPONENTS:
        return None
    import difflib

    close = difflib.get_close_matches(component, sorted(ALL_COMPONENTS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else " (see docs/contracts.md)"
    return f"unknown component {component!r}{hint}"


def _pattern_problem(component: str, pattern: str) -> str | None:
    if not pattern.strip():
        return f"{component}: the constraint is empty"
    try:
        scheme_for(component).validate_pattern(pattern)
    except InvalidVersion as exc:
        return f"{component}: {exc}"
    return None


def _origin(doc: LocatedYaml, where: YamlPath) -> str:
    return f"{doc.path}:{doc.line(where)}"
