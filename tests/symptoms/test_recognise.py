"""The messages `check --log` recognises, as real jobs print them: each line below is copied
from a bug report of tests/bugreports/cases/ (its case named beside it) or printed by the real
CPU torch (tests/smoke/test_log_from_real_torch.py)."""

from __future__ import annotations

import pytest

from chipdoctor.model import Inventory, Symptom
from chipdoctor.smoke.causes import known_failures
from chipdoctor.symptoms.kinds import (
    LIBRARY_MISSING,
    TORCH_CUDA_CALL,
    TORCH_NOT_CUDA,
    UNDEFINED_SYMBOL,
)
from chipdoctor.symptoms.recognise import MAX_QUOTE, MAX_SYMPTOMS, for_stacks, recognise


def one(line: str) -> Symptom:
    """What the line shows on a host where no stack was found."""
    [symptom] = for_stacks(recognise([line]), ())
    return symptom


@pytest.mark.parametrize(
    ("line", "kind", "values", "cause"),
    [
        (  # internlm-430 (the reporter's sentence around it)
            "是11。8运行时报错，AssertionError: Torch not compiled with CUDA enabled。",
            TORCH_NOT_CUDA,
            {},
            "CPU-only build",
        ),
        (  # torch-musa-5
            "ImportError: libmccl.so.2: cannot open shared object file: No such file or directory",
            LIBRARY_MISSING,
            {"library": "libmccl.so.2"},
            "MCCL",
        ),
        (  # vllm-ascend-130
            "ImportError: libatb.so: cannot open shared object file: No such file or directory",
            LIBRARY_MISSING,
            {"library": "libatb.so"},
            "NNAL",
        ),
        (  # ascend.md §7, LinZhekai/X-Oscar#4
            "ImportError: libhccl.so: cannot open shared object file: No such file or directory.",
            LIBRARY_MISSING,
            {"library": "libhccl.so"},
            "CANN is not installed",
        ),
        (  # any other library: the loader's own text
            "OSError: libcudnn_cnn_infer.so.8: cannot open shared object file: No such file",
            LIBRARY_MISSING,
            {"library": "libcudnn_cnn_infer.so.8"},
            "dynamic loader cannot find libcudnn_cnn_infer.so.8",
        ),
        (  # flash-attention-931
            "flash_attn_2_cuda.cpython-310-x86_64-linux-gnu.so: undefined symbol: "
            "_ZN3c104cuda9SetDeviceEi",
            UNDEFINED_SYMBOL,
            {"symbol": "_ZN3c104cuda9SetDeviceEi"},
            "built against other versions",
        ),
        (  # triton-ascend-326: the torch_npu entry comes first
            "torch-npu==2.7.1导入时报错undefined symbol: MsprofSysCycleTime",
            "",
            {},
            "torch_npu was built for another torch or CANN",
        ),
        (  # pytorch-150733
            "NVIDIA GeForce RTX 5090 D with CUDA capability sm_120 is not compatible with the "
            "current PyTorch installation.",
            "",
            {"sm": "120"},
            "sm_120",
        ),
        (  # bevfusion-283
            "RuntimeError: CUDA error: no kernel image is available for execution on the device",
            "",
            {},
            "no kernels for this GPU",
        ),
        (  # pytorch-112553
            "UserWarning: CUDA initialization: The NVIDIA driver on your system is too old "
            "(found version 11040).",
            "",
            {},
            "driver is too old",
        ),
        (  # sd-rocm-docker-1
            '"hipErrorNoBinaryForGpu: Unable to find code object for all current devices!"',
            "",
            {},
            "no code object",
        ),
        (  # legacy-rocm-build-2536
            "RuntimeError: HIP error: invalid device function",
            "",
            {},
            "no code object",
        ),
        (  # pytorch-96964
            "rocBLAS error: Cannot read /home/kali/miniconda3/envs/pytorch2/lib/python3.9/"
            "site-packages/torch/lib/rocblas/library/TensileLibrary.dat: No such file or directory",
            "",
            {},
            "no kernels (Tensile library)",
        ),
        (  # vllm-ascend-340
            "[rank0]: AttributeError: module 'torch_npu' has no attribute '_npu_flash_attention'",
            "",
            {"attribute": "_npu_flash_attention"},
            "has no _npu_flash_attention",
        ),
        (  # ascend-pytorch-7
            "EH9999  [Init][Env]init env failed![FUNC:ReportInnerError][FILE:log_inner.cpp]"
            "[LINE:145]",
            "",
            {},
            "Python packages that CANN needs",
        ),
        (  # pytorchfundamentals-23 (pip 20.2 and older)
            "ERROR: torchvision 0.9.1 has requirement torch==1.8.1, but you'll have torch 1.11.0 "
            "which is incompatible.",
            "",
            {
                "name": "torchvision",
                "version": "0.9.1",
                "requirement": "torch==1.8.1",
                "dep": "torch",
                "dep_version": "1.11.0",
            },
            "torchvision 0.9.1 needs torch==1.8.1, but torch 1.11.0 is installed",
        ),
        (  # pip 20.3 and newer
            "vllm 0.7.3 requires torch==2.5.1, but you have torch 2.6.0 which is incompatible.",
            "",
            {
                "name": "vllm",
                "version": "0.7.3",
                "requirement": "torch==2.5.1",
                "dep": "torch",
                "dep_version": "2.6.0",
            },
            "vllm 0.7.3 needs torch==2.5.1",
        ),
        (  # pytorch-122494
            "E   RuntimeError: operator torchvision::nms does not exist",
            "",
            {"operator": "torchvision::nms"},
            "torchvision's compiled operators did not load",
        ),
        (  # vllm-ascend-2210
            "RuntimeError: SetPrecisionMode:build/CMakeFiles/torch_npu.dir/compiler_depend.ts:155 "
            "NPU function error: at_npu::native::AclSetCompileopt(aclCompileOpt::"
            "ACL_PRECISION_MODE, precision_mode), error code is 500001",
            "",
            {},
            "numpy 2",
        ),
    ],
)
def test_real_messages(line: str, kind: str, values: dict[str, str], cause: str) -> None:
    symptom = one(line)
    assert symptom.kind == kind
    assert dict(symptom.values) == values
    assert symptom.line == 1
    assert symptom.text == line.strip()
    assert symptom.failure is not None and symptom.failure in known_failures()
    assert cause in symptom.failure.cause.template.format(
        **{**symptom.failure.cause.params, "set_env": "", "torch": "", "torch_cuda": ""},
        **dict(symptom.values),
    )


def test_cann_s_generic_inner_error_is_not_one_cause() -> None:
    """EH9999 is CANN's "Inner Error!" code, whatever failed inside (Ascend/pytorch#66: a
    vector core exception, error code 507035): only its `init env failed` names missing
    Python packages (ascend-pytorch-7)."""
    assert recognise(["EH9999: Inner Error!"]) == ()
    [symptom] = recognise(
        [
            "EH9999: [PID: 1066924] 2025-04-29-18:46:11.184.465 wait for compute device to "
            "finish failed, runtime result = 507035.[FUNC:ReportCallError][FILE:log_inner.cpp]"
            "[LINE:161]",
            "EH9999  [Init][Env]init env failed![FUNC:ReportInnerError][FILE:log_inner.cpp]"
            "[LINE:145]",
        ]
    )
    assert symptom.line == 2 and symptom.failure is not None
    assert symptom.failure.finding == "ascend.cann-python-deps"


def test_an_error_code_is_not_read_inside_an_address() -> None:
    """A frame line as torch_npu prints it (hiyouga/LlamaFactory#3779), its address holding
    the digits of CANN's E30006 (vllm-ascend#4284) and of error 500001."""
    frame = (
        "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x68 (0xffffe3000650 "
        "in /root/miniconda3/envs/llama/lib/python3.10/site-packages/torch/lib/libc10.so)"
    )
    assert recognise([frame, "ERR00100 PTA call acl api failed, error code is 5000012"]) == ()
    [opp] = recognise(["E30006: 2025-11-19-11:14:58.516.606 Failed to verify the OPP"])
    assert opp.failure is not None and "operator package" in opp.failure.cause.template


def test_lines_are_numbered_from_one_and_a_repeated_error_counts_once() -> None:
    lines = [
        "Traceback (most recent call last):",
        "[rank0]: ImportError: libatb.so: cannot open shared object file: No such file",
        "[rank1]: ImportError: libatb.so: cannot open shared object file: No such file",
        "ImportError: libmccl.so.2: cannot open shared object file: No such file",
    ]
    symptoms = recognise(lines, first=10)
    assert [(s.value("library"), s.line) for s in symptoms] == [
        ("libatb.so", 11),
        ("libmccl.so.2", 13),
    ]


def test_text_without_a_known_error_shows_nothing() -> None:
    assert recognise(["epoch 1 loss 0.3", "", "Error: the disk is full", "done"]) == ()


def test_at_most_max_symptoms_and_long_lines_quoted_short() -> None:
    lines = [f"ImportError: libx{i}.so: cannot open shared object file" for i in range(100)]
    lines.append("AssertionError: Torch not compiled with CUDA enabled")
    symptoms = recognise(lines)
    assert len(symptoms) == MAX_SYMPTOMS
    # the end of the log holds the error that ended the job: its line's readings (CUDA's and
    # the NPU's) and the libraries just before it
    [error] = for_stacks(symptoms, ("cuda",))[-1:]
    assert error.kind == TORCH_NOT_CUDA and error.line == 101
    kept = [s.value("library") for s in symptoms if s.line < 101]
    assert kept == [f"libx{i}.so" for i in range(100 - len(kept), 100)]
    [long] = recognise(["x" * 5000 + " undefined symbol: abc " + "y" * 5000])
    assert len(long.text) == MAX_QUOTE and long.text.endswith("…")


def test_quotes_are_visible() -> None:
    [symptom] = recognise(["ImportError: libatb.so: cannot open shared object file\u202e\x07"])
    assert "\u202e" not in symptom.text and "\\u202e" in symptom.text


def test_the_inventory_finds_a_symptom_by_kind_and_value() -> None:
    inventory = Inventory(symptoms=list(recognise(["libatb.so.1: cannot open shared object file"])))
    assert inventory.symptom(LIBRARY_MISSING, library="libatb.so") is not None
    assert inventory.symptom(LIBRARY_MISSING, library="libmccl.so") is None
    assert inventory.symptom(TORCH_NOT_CUDA) is None


def test_the_same_text_on_another_stack() -> None:
    """ "Torch not compiled with CUDA enabled" proves a CPU build on a GPU host, but torch_npu
    runs on the CPU build by design: there code asked CUDA for a device."""
    line = "AssertionError: Torch not compiled with CUDA enabled"
    [gpu] = for_stacks(recognise([line]), ("cuda",))
    [npu] = for_stacks(recognise([line]), ("ascend",))
    assert gpu.kind == TORCH_NOT_CUDA
    assert npu.kind == TORCH_CUDA_CALL


@pytest.mark.parametrize(
    ("line", "torch_npu"),
    [
        # names the CPU torch 2.13.0's libtorch_cpu.so exports (`nm -D --defined-only`): "npu"
        # inside "grad_input", "acl" inside MKL's "ilaclr"
        (
            "x.so: undefined symbol: "
            "_ZN2at4_ops23glu_backward_grad_input4callERKNS_6TensorES4_lRS2_",
            False,
        ),
        ("x.so: undefined symbol: mkl_lapack_ilaclr", False),
        # DeepLink-org/dlinfer#183 (ascend.md §7)
        ("undefined symbol: _ZN7c10_npu3acl20AclrtPeekAtLastErrorE17aclrtLastErrLevel", True),
        ("libtorch_npu.so: undefined symbol: _ZN5torch10ValueErrorC1EPKcz", True),  # pytorch#35
    ],
)
def test_only_torch_npu_symbols_name_torch_npu(line: str, torch_npu: bool) -> None:
    """A torch symbol missing under a CUDA extension is not torch_npu's business."""
    symptom = one(line)
    assert symptom.failure is not None
    assert ("torch_npu was built" in symptom.failure.cause.template) is torch_npu
    assert (symptom.kind == UNDEFINED_SYMBOL) is not torch_npu


def test_torch_s_own_version_py_contradicts_a_cpu_build() -> None:
    """torch/version.py's `hip` (a ROCm build, which answers through torch.cuda) or `cuda`
    says the log's torch is not this one; PyPI's default build alone does not (a plain version
    may be a conda or source build the log proves CPU-only)."""
    from chipdoctor.model import (
        FACT_TORCH_BUILD_SOURCE,
        FACT_TORCH_CUDA,
        FACT_TORCH_HIP,
        Component,
    )
    from chipdoctor.symptoms.judge import conflict

    [symptom] = for_stacks(recognise(["Torch not compiled with CUDA enabled"]), ("rocm",))
    source = "/venv/lib/python3.12/site-packages/torch/version.py"
    torch = [Component("torch", "2.5.1", "package metadata")]
    rocm = Inventory(
        components=torch, facts={FACT_TORCH_HIP: "6.2.41133", FACT_TORCH_BUILD_SOURCE: source}
    )
    assert conflict(rocm, symptom) == f"torch 2.5.1 here is built for HIP 6.2.41133 ({source})"
    assert conflict(Inventory(components=torch, facts={FACT_TORCH_CUDA: "12.4"}), symptom) is None


def test_a_log_about_torch_where_no_torch_is_installed_says_so() -> None:
    """The job's interpreter was not the one checked (chipdoctor's own, run without --python):
    the warning says so instead of "no fact shows the cause"."""
    from chipdoctor.symptoms.judge import unexplained

    symptoms = for_stacks(recognise(["Torch not compiled with CUDA enabled"]), ("cuda",))
    inventory = Inventory(stacks=["cuda"], symptoms=list(symptoms))
    [warning] = unexplained(inventory, [])
    assert warning.id == "host.log-symptom"
    assert "torch is not installed in the Python environment checked" in warning.message
    assert "--python" in warning.fix
