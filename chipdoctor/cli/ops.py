"""`chipdoctor ops`: will this model's ATen operators run on the device? (docs/ops.md)"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Optional

from chipdoctor.cli.app import FORCE_OUTPUT, LANG, app, emit, language
from chipdoctor.cli.options import Argument, Option
from chipdoctor.errors import BadInput
from chipdoctor.i18n import T


@app.command(
    "ops",
    T("Will a model's operators run on the device? native, composite, fallback, unsupported."),
    Argument(
        "model",
        T(
            "A .pt2 from torch.export.save, a torch.profiler trace (.json, .json.gz), a text "
            "file of operator names, or with --run the script to run (its arguments follow it)."
        ),
        kind=Path,
    ),
    Option(
        "--run",
        "run",
        T("Run MODEL as a Python script on the CPU and record its operators."),
        is_flag=True,
    ),
    Option("--target", "target", T("The vendor release to judge against, e.g. torch_npu==2.5.1.")),
    Option(
        "--stack", "stack", T("Which installed vendor extension to use when there are several.")
    ),
    Option(
        "--snapshot",
        "snapshot",
        T("Take the installed extension from a snapshot directory."),
        kind=Path,
    ),
    Option("--python", "python", T("Interpreter whose extension to use, and that runs --run.")),
    Option(
        "--deep-timeout",
        "deep_timeout",
        T("Seconds the --run script may run."),
        kind=float,
        default=120.0,
        minimum=1.0,
    ),
    Option("--format", "output_format", T("table, json or markdown."), default="table"),
    Option("--strict", "strict", T("Fail (exit 1) on CPU fallbacks too."), is_flag=True),
    Option(
        "--policy",
        "policy",
        T("Policy file (default: .chipdoctor.yaml here): its env and fail_on_warnings count."),
        kind=Path,
    ),
    Option(("-o", "--output"), "output", T("Write the report here."), kind=Path),
    FORCE_OUTPUT,
    LANG,
    extra_args=True,
)
def ops(
    model: Path,
    run: bool,
    target: Optional[str],
    stack: Optional[str],
    snapshot: Optional[Path],
    python: Optional[str],
    deep_timeout: float,
    output_format: str,
    strict: bool,
    policy: Optional[Path],
    output: Optional[Path],
    force: bool,
    lang: Optional[str],
    extra: list[str],
) -> int:
    from chipdoctor.ops.judge import fallback_disabled, judge
    from chipdoctor.ops.render import FORMATS, render
    from chipdoctor.ops.target import installed, parse_target, resolve

    if output_format not in FORMATS:
        raise BadInput(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}")
    if extra and not run:
        raise BadInput(f"unexpected arguments {' '.join(extra)!r} (script arguments need --run)")
    lang_code = language(lang)
    if target is not None:
        component, version = parse_target(target)
    else:
        from chipdoctor.cli.evidence import evidence_for
        from chipdoctor.evidence.host import DEFAULT_TIMEOUT

        with contextlib.ExitStack() as scope:
            evidence = evidence_for(snapshot, python, DEFAULT_TIMEOUT, scope)
            component, version = installed(evidence, stack, snapshot=snapshot is not None)
    chosen = resolve(component, version)
    if run:
        from chipdoctor.ops.run import record_run

        observed = record_run(model, list(extra), python=python, timeout=deep_timeout)
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
