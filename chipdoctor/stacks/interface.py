"""What one accelerator stack provides: the one plug point a new vendor stack implements.

A stack is a folder `chipdoctor/stacks/<name>/` whose `__init__.py` defines a `Stack` subclass
holding the stack's data (component ids, version schemes, the commands a snapshot records, how
`check --deep` reaches its devices) and importing its code (probe, rules, resolver, fix steps)
only when asked, so a host without accelerators loads no stack's rules. The registry in
`chipdoctor/stacks/__init__.py` lists every stack; everything that enumerates stacks (component
ids, `--stack` choices, the JSON schemas' enums) is derived from it.

Capabilities beyond probe and rules are optional: a stack without a resolver or step writer
has no `chipdoctor fix`, one without a smoke backend no `check --deep` device steps, and the
command says so in one line (exit 2).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chipdoctor.evidence.base import Evidence
    from chipdoctor.fix.plan import PipInstall, Plan, Step
    from chipdoctor.matrix.model import Matrix
    from chipdoctor.model import Finding, Inventory
    from chipdoctor.probes.base import Probe
    from chipdoctor.resolve.model import StackResolver
    from chipdoctor.smoke.failures import KnownFailure
    from chipdoctor.versions import Scheme


@dataclass(frozen=True)
class SmokeBackend:
    """How torch reaches the stack's devices in `check --deep`: `torch.<device>`, after
    importing `module`."""

    device: str
    module: str  # "" when torch itself drives the device
    components: tuple[str, ...]  # what a failure on this device implicates


class StepWriter(Protocol):
    """A stack's `chipdoctor fix` steps (a module satisfies it: mypy checks modules against
    protocols)."""

    def steps(self, plan: Plan, inventory: Inventory) -> list[Step]:
        """The install steps from `plan.current` to `plan.target`, in the order to run them."""
        ...

    def pip_installs(self, plan: Plan, inventory: Inventory) -> list[PipInstall]:
        """The target's pip packages in install order; recipes install those the image lacks."""
        ...

    def image_view(self, target: Mapping[str, str]) -> Mapping[str, str]:
        """The target as the fields of a stack's `images:` (its stack.yaml) name them."""
        ...


class Stack(ABC):
    """One vendor stack. Subclasses set the class attributes and implement `probe` and
    `evaluate`; the optional capabilities default to absent."""

    #: The stack's id in reports, findings (`<name>.<finding>`), matrices and `--stack`.
    name: str
    #: The vendor's own name of the stack, for people.
    title: str
    #: Its component ids (docs/contracts.md), in display order.
    components: tuple[str, ...]
    #: The components every node of a distributed job needs at one version (driver, firmware,
    #: toolkit, vendor extension, collective library): `fleet compare` calls drift on them an
    #: error, on the others a warning.
    fleet_equal: tuple[str, ...] = ()
    #: The version scheme of each component that is not PEP 440.
    schemes: Mapping[str, Scheme] = {}
    #: The commands its probe may run, by snapshot key (the argv joined by single spaces).
    commands: Mapping[str, tuple[str, ...]] = {}
    #: Prefixes of the environment variables its probe and tools read: a snapshot records
    #: them (chipdoctor/evidence/redact.py, secrets still redacted).
    environment: tuple[str, ...] = ()
    #: How `check --deep` reaches its devices; None: no smoke test.
    smoke: SmokeBackend | None = None

    @abstractmethod
    def probe(self) -> Probe:
        """The stack's probe (imports it)."""

    @abstractmethod
    def evaluate(self, inventory: Inventory, matrix: Matrix) -> list[Finding]:
        """The stack's `check` rules: findings about `inventory` against its matrix."""

    def resolver(self) -> StackResolver | None:
        """The stack's resolver for `chipdoctor fix`; None: `fix` is not available."""
        return None

    def step_writer(self) -> StepWriter | None:
        """The stack's fix steps; None: `fix` is not available."""
        return None

    def target_filter(self, inventory: Inventory) -> Callable[[Mapping[str, str]], bool] | None:
        """What a `fix` target must also satisfy on this machine beyond the components the
        rules judge (the GPUs' architectures: the devices are not components); None: nothing."""
        return None

    def data_file(self) -> Path:
        """The stack's `stack.yaml` beside its descriptor (docs/stack-yaml.md): its access,
        mounts, images and wheels data, found from the descriptor's own package so a stack's
        data lives in its folder, in the source tree and in the installed wheel alike."""
        # NOTE: inspect, not importlib.resources: `check` imports it already (the latter: 13 ms).
        import inspect

        return Path(inspect.getfile(type(self))).parent / "stack.yaml"

    def places(self, evidence: Evidence, inventory: Inventory) -> dict[str, str]:
        """The values of the `{placeholders}` in the stack's `access:` data (stack.yaml): the
        directories and scripts its probe located on this machine, else the vendor's default."""
        return {}

    def known_failures(self) -> tuple[Sequence[KnownFailure], Sequence[KnownFailure]]:
        """What `check --deep` knows of this stack's failures: (those naming a reason, those
        only saying no device is visible); empty: only the stack-neutral ones apply."""
        return (), ()
