"""`chipdoctor ops`: will this model's ATen operators run on the device? (docs/ops.md)"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Optional

import typer

from chipdoctor.cli.app import app, emit, language
from chipdoctor.errors import BadInput


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def ops(
    ctx: typer.Context,
    model: Path = typer.Argument(
        ...,
        help="A .pt2 from torch.export.save, a torch.profiler trace (.json, .json.gz), a text "
        "file of operator names, or with --run the script to run (its arguments follow it).",
    ),
    run: bool = typer.Option(
        False, "--run", help="Run MODEL as a Python script on the CPU and record its operators."
    ),
    target: Optional[str] = typer.Option(
        None, "--target", help="The vendor release to judge against, e.g. torch_npu==2.5.1."
    ),
    stack: Optional[str] = typer.Option(
        None, "--stack", help="Which installed vendor extension to use when there are several."
    ),
    snapshot: Optional[Path] = typer.Option(
        None, "--snapshot", help="Take the installed extension from a snapshot directory."
    ),
    python: Optional[str] = typer.Option(
        None, "--python", help="Interpreter whose extension to use, and that runs --run."
    ),
    deep_timeout: float = typer.Option(
        120.0, "--deep-timeout", min=1.0, help="Seconds the --run script may run."
    ),
    output_format: str = typer.Option("table", "--format", help="table, json or markdown."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 1) on CPU fallbacks too."),
    policy: Optional[Path] = typer.Option(
        None,
        "--policy",
        help="Policy file (default: .chipdoctor.yaml here): its env and fail_on_warnings count.",
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here."),
    force: bool = typer.Option(False, "--force", help="Let --output overwrite an existing file."),
    lang: Optional[str] = typer.Option(None, "--lang", help="en or zh."),
) -> int:
    """Will a model's operators run on the device? native, composite, fallback, unsupported."""
    from chipdoctor.ops.judge import fallback_disabled, judge
    from chipdoctor.ops.render import FORMATS, render
    from chipdoctor.ops.target import installed, parse_target, resolve

    if output_format not in FORMATS:
        raise BadInput(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}")
    if ctx.args and not run:
        raise BadInput(f"unexpected arguments {' '.join(ctx.args)!r} (script arguments need --run)")
    lang_code = language(lang)
    if target is not None:
        component, version = parse_target(target)
    else:
        from chipdoctor.cli.evidence import evidence_for

        with contextlib.ExitStack() as scope:
            evidence = evidence_for(snapshot, python, 10.0, scope)
            component, version = installed(evidence, stack, snapshot=snapshot is not None)
    chosen = resolve(component, version)
    if run:
        from chipdoctor.ops.run import record_run

        observed = record_run(model, list(ctx.args), python=python, timeout=deep_timeout)
    else:
        from chipdoctor.ops.readers import read_model

        observed = read_model(model)
    from chipdoctor.policy.load import load_policy

    gate = load_policy(policy)
    disabled = fallback_disabled(chosen.stack, os.environ) or fallback_disabled(
        chosen.stack, dict(gate.env)
    )
    strict = strict or gate.fail_on_warnings
    result = judge(observed, chosen, disabled=disabled, model=model.name)
    text = render(result, output_format, lang=lang_code)
    if output is not None:
        from chipdoctor.delivery import write_report

        write_report(output, text, force=force)
    else:
        emit(text)
    return result.exit_code(strict=strict)
