"""The smoke test's pure parts: reading the child's events, naming causes, judging steps."""

from __future__ import annotations

import json

import pytest

from chipdoctor.model import Component, Inventory, Severity
from chipdoctor.smoke import BACKENDS, Verdict, backends_for
from chipdoctor.smoke.causes import diagnose, known_failures
from chipdoctor.smoke.runner import SmokeRun, StepResult, parse_events
from chipdoctor.smoke.script import MARKER
from chipdoctor.stacks.ascend.facts import FACT_SET_ENV

CONTEXT = {
    "set_env": "/opt/Ascend/ascend-toolkit/set_env.sh",
    "torch": "2.5.1",
    "torch_cuda": "12.6",
}


def _event(**fields: object) -> str:
    return MARKER + json.dumps(fields)


def test_events_survive_vendor_noise_and_a_crash_mid_step() -> None:
    stdout = "\n".join(
        [
            "[INFO] vendor banner on stdout",
            _event(event="start", step="import-torch"),
            "noise without newline"
            + _event(event="end", step="import-torch", ok=True, seconds=1.5, detail="torch 2.5.1"),
            _event(event="start", step="import-torch_npu"),
            MARKER + "{not json",
            _event(event="start", step="Bad Name!"),
        ]
    )
    steps, running = parse_events(stdout)
    assert steps == [StepResult("import-torch", True, 1.5, "torch 2.5.1")]
    assert running == "import-torch_npu"


def test_a_failed_step_keeps_its_error_and_warnings() -> None:
    line = _event(
        event="end",
        step="devices-cuda",
        ok=False,
        seconds=0.2,
        error="RuntimeError: x",
        warnings=["CUDA initialization: y"],
    )
    (step,), running = parse_events(line)
    assert (step.ok, step.error, step.warnings, running) == (
        False,
        "RuntimeError: x",
        ("CUDA initialization: y",),
        None,
    )


@pytest.mark.parametrize(
    ("text", "cause", "fix"),
    [
        # ascend.md §7, verbatim from LinZhekai/X-Oscar #4
        (
            "ImportError: libhccl.so: cannot open shared object file: No such file or directory. "
            "Please check that the cann package is installed. Please run 'source set_env.sh' in "
            "the CANN installation path.",
            "CANN is not installed, or its set_env.sh was not sourced",
            "source /opt/Ascend/ascend-toolkit/set_env.sh",
        ),
        (
            "ImportError: libascendcl.so: cannot open shared object file: No such file or dir",
            "CANN is not installed",
            "source /opt/Ascend/ascend-toolkit/set_env.sh",
        ),
        # vllm-ascend #1440: the driver is named before torch's autoload wrapper
        (
            "OSError: libascend_hal.so: cannot open shared object file: No such file or directory\n"
            "RuntimeError: Failed to load the backend extension: torch_npu. You can disable "
            "extension auto-loading with TORCH_DEVICE_BACKEND_AUTOLOAD=0.",
            "driver's libraries are not visible",
            "/usr/local/Ascend/driver:/usr/local/Ascend/driver",
        ),
        # Ascend/pytorch #35
        (
            "ImportError: /usr/lib/python3.9/site-packages/torch_npu/lib/libtorch_npu.so: "
            "undefined symbol: _ZN5torch10ValueErrorC1EPKcz",
            "torch_npu was built for another torch or CANN",
            "torch_npu build that matches",
        ),
        # vllm-ascend #750 names ATB, not torch_npu
        (
            "ImportError: /x/torch_npu/lib/libtorch_npu.so: undefined symbol: "
            "_ZN3atb15CreateOperationINS_5infer14GroupTopkParamEEEiRKT_PPNS_9OperationE",
            "NNAL (ATB) release does not match",
            "Ascend-cann-nnal",
        ),
        (
            "RuntimeError: Two accelerators cannot be used at the same time in PyTorch: npu and "
            "cuda. You can install the cpu version of PyTorch to use your npu device",
            "CUDA build of torch",
            "pip install torch==2.5.1+cpu --index-url https://download.pytorch.org/whl/cpu",
        ),
        # pytorch c10/cuda/CUDAFunctions.cpp, as warned by torch.cuda.is_available()
        (
            "RuntimeError: torch.cuda.is_available() == False (torch.cuda.device_count() == 0)\n"
            "CUDA initialization: The NVIDIA driver on your system is too old (found version "
            "11040). Please update your GPU driver by downloading and installing a new version "
            "from the URL: http://www.nvidia.com/Download/index.aspx",
            "too old for the CUDA runtime this torch build ships (CUDA 12.6)",
            "Upgrade the NVIDIA driver",
        ),
        (
            "CUDA initialization: Found no NVIDIA driver on your system. Please check that you "
            "have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx",
            "no NVIDIA driver is loaded",
            "--gpus all",
        ),
        (
            "RuntimeError: torch.cuda.is_available() == False: this torch has no GPU support "
            "(torch.version.cuda and torch.version.hip are None)",
            "CPU-only build",
            "download.pytorch.org/whl/cuXYZ",
        ),
        (
            "ImportError: libcnrt.so: cannot open shared object file: No such file or directory",
            "Neuware is not installed",
            "export NEUWARE_HOME=/usr/local/neuware",
        ),
        (
            "ImportError: libamdhip64.so: version `hip_4.2' not found",
            "upstream ROCm build of torch runs on Hygon DTK",
            "DAS",
        ),
        (
            "ModuleNotFoundError: No module named 'torch_mlu'",
            "torch_mlu is not installed in this interpreter",
            "Install it into the interpreter",
        ),
        (
            "OSError: libfoo.so.3: cannot open shared object file: No such file or directory",
            "cannot find libfoo.so.3",
            "ldconfig -p | grep libfoo.so.3",
        ),
    ],
)
def test_known_failures_name_their_cause(text: str, cause: str, fix: str) -> None:
    diagnosis = diagnose(text, stacks=["ascend"], context=CONTEXT, finding_ids=[])
    assert diagnosis is not None
    assert cause in diagnosis.cause
    assert fix in diagnosis.fix


def test_no_device_causes_depend_on_the_stack() -> None:
    text = "RuntimeError: torch.cuda.is_available() == False (torch.cuda.device_count() == 0)"
    on_nvidia = diagnose(text, stacks=["cuda"], context=CONTEXT, finding_ids=[])
    on_amd = diagnose(text, stacks=["rocm"], context=CONTEXT, finding_ids=[])
    assert on_nvidia is not None and "--gpus all" in on_nvidia.fix
    assert on_amd is not None and "/dev/kfd" in on_amd.fix
    assert diagnose(text, stacks=[], context=CONTEXT, finding_ids=[]) is None


def test_a_diagnosis_points_at_the_static_finding() -> None:
    text = "ImportError: libtorch_npu.so: undefined symbol: MsprofSysCycleTime"
    diagnosis = diagnose(
        text,
        stacks=["ascend"],
        context=CONTEXT,
        finding_ids=["ascend.torch_npu-cann", "ascend.device-health"],
    )
    assert diagnosis is not None and diagnosis.related == ("ascend.torch_npu-cann",)


def test_unknown_text_has_no_diagnosis() -> None:
    assert diagnose("ValueError: odd", stacks=["cuda"], context=CONTEXT, finding_ids=[]) is None


def test_every_known_failure_fills_its_templates() -> None:
    for known in known_failures():
        groups = dict.fromkeys(known.pattern.groupindex, "x")
        known.cause.template.format(**{**known.cause.params, **CONTEXT, **groups})
        known.fix.template.format(**{**known.fix.params, **CONTEXT, **groups})


def test_one_torch_device_per_backend() -> None:
    assert [b.device for b in backends_for(["rocm", "cuda", "ascend"])] == ["cuda", "npu"]
    assert backends_for([]) == []
    assert set(BACKENDS) == {"ascend", "cambricon", "cuda", "rocm", "dcu"}


def _inventory() -> Inventory:
    inventory = Inventory(stacks=["ascend"])
    inventory.components.append(Component("torch", "2.5.1+cpu", "package metadata: torch"))
    inventory.facts[FACT_SET_ENV] = "/opt/Ascend/ascend-toolkit/set_env.sh"
    return inventory


def test_verdict_of_a_run_killed_mid_step() -> None:
    run = SmokeRun(
        python="/venv/bin/python",
        timeout=5.0,
        steps=(StepResult("import-torch", True, 2.0, "torch 2.5.1+cpu"),),
        unfinished="import-torch_npu",
        exit=None,
        timed_out=True,
        stderr="[ERROR] waiting for the device\n",
    )
    steps, findings = Verdict(run, _inventory(), backends_for(["ascend"]), []).judge()
    assert [(s.step, s.result) for s in steps] == [
        ("import-torch", "passed"),
        ("import-torch_npu", "timed out"),
    ]
    passed, killed = findings
    assert (passed.id, passed.severity) == ("deep.import-torch", Severity.INFO)
    assert "2.00 s" in passed.message
    assert (killed.id, killed.severity, killed.components) == (
        "deep.import-torch_npu",
        Severity.ERROR,
        ("torch_npu",),
    )
    assert "did not finish within 5 s" in killed.message
    assert "waiting for the device" in killed.message


def test_verdict_of_a_crash_after_the_last_step_is_a_warning() -> None:
    run = SmokeRun(
        python="/venv/bin/python",
        timeout=5.0,
        steps=(StepResult("import-torch", True, 2.0, "torch"),),
        unfinished=None,
        exit=-11,
    )
    steps, findings = Verdict(run, _inventory(), [], []).judge()
    assert steps[-1].result == "crashed"
    assert findings[-1].severity is Severity.WARNING
    assert "SIGSEGV" in findings[-1].message


def test_verdict_of_a_device_failure_implicates_the_stack() -> None:
    run = SmokeRun(
        python="p",
        timeout=5.0,
        steps=(StepResult("alloc-npu-0", False, 0.1, error="RuntimeError: error code is 507033"),),
        unfinished=None,
        exit=0,
    )
    _, (finding,) = Verdict(run, _inventory(), backends_for(["ascend"]), []).judge()
    assert finding.components == ("torch_npu", "cann", "ascend_driver")
    assert "allocate a tensor on npu:0 failed" in finding.message
    assert "chipdoctor snapshot DIR --archive" in finding.fix
