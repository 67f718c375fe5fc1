"""Huawei Ascend: the smoke test's known failures (torch_npu, CANN, the NPU driver; ascend.md
§7 unless noted).

`FAILURES` name a reason; `NO_DEVICE` only say that torch counted no device, and are searched
after every stack's `FAILURES`, because the warnings printed while counting are part of the text.
"""

from __future__ import annotations

from chipdoctor.i18n import T
from chipdoctor.smoke.failures import KnownFailure, known
from chipdoctor.symptoms.kinds import LIBRARY_MISSING, TORCH_CUDA_CALL

_TORCH_NPU_MATRIX = (
    "ascend.torch-torch_npu",
    "ascend.torch_npu-cann",
    "ascend.unknown-combination",
)
_CANN_DRIVER = ("ascend.cann-driver", "ascend.cann-driver-declared")

FAILURES: tuple[KnownFailure, ...] = (
    # NOTE: raised by torch_npu/__init__.py when a CUDA build of torch is installed.
    known(
        r"Two accelerators cannot be used at the same time in PyTorch: npu and cuda",
        T("a CUDA build of torch is installed next to torch_npu, which needs the CPU build"),
        T("pip install torch=={torch}+cpu --index-url https://download.pytorch.org/whl/cpu"),
        related=("ascend.torch-build",),
    ),
    # NOTE: vllm-ascend #1440, DeepLink-org/dlinfer PR #47 (driver library not mounted).
    known(
        r"libascend_hal\.so",
        T(
            "the NPU driver's libraries are not visible: the driver is not installed here, or "
            "/usr/local/Ascend/driver is not mounted into this container"
        ),
        T(
            "On the host, install the NPU driver. In a container, mount it: docker run "
            "-v /usr/local/Ascend/driver:/usr/local/Ascend/driver --device /dev/davinci0 "
            "--device /dev/davinci_manager --device /dev/devmm_svm --device /dev/hisi_hdc …, "
            "and keep /usr/local/Ascend/driver/lib64 on LD_LIBRARY_PATH."
        ),
        related=("ascend.library-not-found", "ascend.npu-smi-failed", "ascend.env-not-sourced"),
    ),
    # NOTE: Ascend/pytorch #99, vllm-ascend #117 and #750: ATB symbols missing at import.
    known(
        r"(?:libtbe_adapter|libop_plugin_atb|libatb)\S*: undefined symbol|"
        r"undefined symbol: _ZN3atb",
        T("the NNAL (ATB) release does not match torch_npu or the CANN toolkit"),
        T(
            "Install the NNAL (Ascend-cann-nnal) release made for the installed CANN version, "
            "then source /usr/local/Ascend/nnal/atb/set_env.sh"
        ),
        related=_TORCH_NPU_MATRIX,
    ),
    # NOTE: vllm-ascend #152 and #2727.
    known(
        r"(?P<library>libatb\.so[\d.]*): cannot open shared object file",
        T("NNAL (ATB) is not installed, or its set_env.sh was not sourced"),
        T(
            "source /usr/local/Ascend/nnal/atb/set_env.sh   "
            "# install Ascend-cann-nnal first if it is missing"
        ),
        related=("ascend.nnal-not-sourced", "ascend.nnal-missing", "ascend.nnal-cann"),
    ).in_log(kind=LIBRARY_MISSING),
    # NOTE: Ascend/pytorch docs/zh/installation_guide/faq.md, question 4.
    known(
        r"No module named 'torch_npu\._C'",
        T(
            "a torch_npu source tree (in the working directory or on PYTHONPATH) shadows the "
            "installed torch_npu"
        ),
        T("Run Python from another directory, or remove the source tree from PYTHONPATH."),
    ),
    # NOTE: torch_npu's module_loader.py and registry_manager.py word these; LinZhekai/X-Oscar #4.
    known(
        r"(?P<library>lib(?:hccl|ascendcl|acl_op_compiler|ge_runner|graph|runtime|opapi)"
        r"\.so[\d.]*): cannot open shared object file|"
        r"Please check that the \w+ package is installed|Please run 'source set_env\.sh'",
        T("CANN is not installed, or its set_env.sh was not sourced in this environment"),
        T("source {set_env}   # install the CANN toolkit first if it is missing"),
        related=(
            "ascend.library-not-found",
            "ascend.env-not-sourced",
            "ascend.torch_npu-without-cann",
        ),
    ).in_log(kind=LIBRARY_MISSING),
    # NOTE: torch_npu AclInterface.cpp and HcclInterface.cpp.
    known(
        r"Please upgrade CANN version|cann version is too low",
        T("the installed CANN is older than this torch_npu build needs"),
        T(
            "Install the CANN release paired with this torch_npu (the findings of "
            "`chipdoctor check` name it), then source its set_env.sh"
        ),
        related=_TORCH_NPU_MATRIX,
    ),
    # NOTE: Ascend/pytorch #35, triton-lang/triton-ascend #326, DeepLink-org/dlinfer #183. The
    # symbol's marks are case-sensitive and whole: `c10_npu`/`at_npu`, `Msprof…`, `acl…`/`Acl…`
    # (ACL's API); a bare "npu" or "acl" is inside torch's own names ("grad_input", MKL's
    # "ilaclr"), which this entry must not claim.
    known(
        r"torch_npu\S*: undefined symbol|"
        r"undefined symbol: \S*(?-i:_npu|Msprof|(?<![A-Za-z])[Aa]cl[a-zA-Z])",
        T("torch_npu was built for another torch or CANN than the ones installed"),
        T(
            "Install the torch_npu build that matches the installed torch and CANN (the "
            "findings of `chipdoctor check` name the versions)"
        ),
        related=_TORCH_NPU_MATRIX,
    ),
    # NOTE: vllm-ascend #4284. The code as a word of its own, in its case: "e30006" is inside
    # hexadecimal addresses of a traceback.
    known(
        r"Failed to verify the OPP|(?-i:\bE30006\b)",
        T("the operator package (CANN kernels/ops) does not match this device or driver"),
        T("Install the kernels (or ops) package of the installed CANN version built for this chip"),
        related=_CANN_DRIVER,
    ),
    # NOTE: vllm-ascend #2244 and #4859, #5695 (561103): CANN against the driver; vllm-ascend
    # #2210 (500001 at set_device with numpy 2.0.2 on CANN 8.2: "we still need to pin
    # `numpy < 2.0` with CANN 8.2.1").
    known(
        r"error code is (?:500001|561103)\b|The internal ACL of the system is incorrect",
        T(
            "CANN failed to initialise: with numpy 2 installed, CANN (8.2 and the releases "
            "before it) does not work with numpy 2; otherwise the CANN in this environment "
            "does not match the NPU driver (often a container image's CANN against the host's "
            "driver)"
        ),
        T(
            'With numpy 2 installed: pip install "numpy<2". Otherwise use the CANN release the '
            "installed driver supports, or upgrade the driver (the findings of `chipdoctor "
            "check` show the pairing)"
        ),
        related=_CANN_DRIVER,
    ).in_log(finding="ascend.cann-init-failed"),
    # NOTE: torch/cuda/__init__.py _lazy_init raises it; torch_npu runs on the CPU build of
    # torch by design, so here code asked CUDA for a device (stacks/ascend/cuda_calls.py).
    known(
        r"Torch not compiled with CUDA enabled",
        T(
            "code asked CUDA for a device on an NPU host (torch.cuda, a 'cuda' device or an "
            "integer device index)"
        ),
        T(
            "Pass 'npu:N' devices where the code names a device; torch before 2.5.1 sends an "
            "integer index to CUDA (Ascend/pytorch#16)"
        ),
        related=("ascend.torch-int-device",),
        stacks=("ascend",),
    ).in_log(kind=TORCH_CUDA_CALL),
    # NOTE: Ascend/pytorch #7 ("EH9999  [Init][Env]init env failed!"). EH9999 alone is CANN's
    # generic "Inner Error!" code, printed for vector core exceptions and task timeouts too
    # (Ascend/pytorch #66: "EH9999: Inner Error!" after error code 507035): not this cause.
    known(
        r"\[Init\]\[Env\]init env failed",
        T("Python packages that CANN needs are missing"),
        T(
            'pip install "numpy>=1.19.2" "decorator>=4.4.0" "sympy>=1.5.1" "cffi>=1.12.3" '
            '"protobuf>=3.13.0" attrs pyyaml pathlib2 scipy requests psutil absl-py'
        ),
    ).in_log(finding="ascend.cann-python-deps"),
    # NOTE: CPython's text for a missing module attribute (Objects/moduleobject.c,
    # module_getattro: "module '%U' has no attribute '%U'"); vllm-ascend #340 (a torch_npu
    # other than the one vllm-ascend was made for lacks _npu_flash_attention).
    known(
        r"module 'torch_npu' has no attribute '(?P<attribute>\w+)'",
        T(
            "the installed torch_npu has no {attribute}, which the code calling it expects: it "
            "is not the torch_npu build that code (vllm-ascend, MindSpeed, …) was made for"
        ),
        T(
            "Install the torch_npu build the calling package's installation guide names (the "
            "findings of `chipdoctor check` name it where that package's version is known)"
        ),
        related=("ascend.vllm-ascend-torch_npu", "ascend.torch-torch_npu"),
    ),
)

NO_DEVICE: tuple[KnownFailure, ...] = (
    # NOTE: ascend.md §5.3 (devices a container needs) and §3.6 (ASCEND_RT_VISIBLE_DEVICES).
    known(
        r"torch\.npu\.is_available\(\) == False",
        T(
            "no NPU is visible to this process: the driver is not working, the /dev/davinci* "
            "devices were not passed into this container, or ASCEND_RT_VISIBLE_DEVICES hides them"
        ),
        T(
            "Check `npu-smi info`. In Docker pass --device /dev/davinciN --device "
            "/dev/davinci_manager --device /dev/devmm_svm --device /dev/hisi_hdc and mount "
            "/usr/local/Ascend/driver."
        ),
        related=("ascend.npu-smi-failed", "ascend.visible-devices"),
    ),
)
