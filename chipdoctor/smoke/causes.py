"""Known failure classes of the smoke test: error text -> likely cause and fix.

A table of data, searched in order (most specific first): the first entry whose pattern matches
the error text of a failed step gives the cause and the fix. Each entry cites where its text was
seen; /work/shared/reference/ascend.md §7 and other-stacks.md collect them. `related` lists
(fnmatch patterns of) the static check's finding ids that explain the same failure, so a
diagnosis can point at the matrix finding when the normal check found one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from chipdoctor.i18n import T, Text

DEFAULT_SET_ENV = "/usr/local/Ascend/ascend-toolkit/set_env.sh"  # ascend.md §3.6


@dataclass(frozen=True)
class KnownFailure:
    pattern: re.Pattern[str]
    cause: Text  # a template; `{name}` comes from the context or the pattern's named groups
    fix: Text
    related: tuple[str, ...] = ()
    #: Applies only when one of these stacks was found; empty: whatever was found.
    stacks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    cause: str
    fix: str
    #: Ids of the static check's findings that explain the same failure.
    related: tuple[str, ...]


def _known(
    pattern: str,
    cause: Text,
    fix: Text,
    *,
    related: tuple[str, ...] = (),
    stacks: tuple[str, ...] = (),
) -> KnownFailure:
    return KnownFailure(re.compile(pattern, re.IGNORECASE), cause, fix, related, stacks)


_TORCH_NPU_MATRIX = (
    "ascend.torch-torch_npu",
    "ascend.torch_npu-cann",
    "ascend.unknown-combination",
)
_CANN_DRIVER = ("ascend.cann-driver", "ascend.cann-driver-declared")

KNOWN_FAILURES: tuple[KnownFailure, ...] = (
    # --- Ascend (torch_npu, CANN, NPU driver): ascend.md §7 unless noted --------------------
    # NOTE: raised by torch_npu/__init__.py when a CUDA build of torch is installed.
    _known(
        r"Two accelerators cannot be used at the same time in PyTorch: npu and cuda",
        T("a CUDA build of torch is installed next to torch_npu, which needs the CPU build"),
        T("pip install torch=={torch}+cpu --index-url https://download.pytorch.org/whl/cpu"),
        related=("ascend.torch-build",),
    ),
    # NOTE: vllm-ascend #1440, DeepLink-org/dlinfer PR #47 (driver library not mounted).
    _known(
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
    _known(
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
    _known(
        r"libatb\.so\S*: cannot open shared object file",
        T("NNAL (ATB) is not installed, or its set_env.sh was not sourced"),
        T(
            "source /usr/local/Ascend/nnal/atb/set_env.sh   "
            "# install Ascend-cann-nnal first if it is missing"
        ),
        related=("ascend.nnal-not-sourced",),
    ),
    # NOTE: Ascend/pytorch docs/zh/installation_guide/faq.md, question 4.
    _known(
        r"No module named 'torch_npu\._C'",
        T(
            "a torch_npu source tree (in the working directory or on PYTHONPATH) shadows the "
            "installed torch_npu"
        ),
        T("Run Python from another directory, or remove the source tree from PYTHONPATH."),
    ),
    # NOTE: torch_npu's module_loader.py and registry_manager.py word these; LinZhekai/X-Oscar #4.
    _known(
        r"lib(?:hccl|ascendcl|acl_op_compiler|ge_runner|graph|runtime|opapi)\.so\S*: "
        r"cannot open shared object file|Please check that the \w+ package is installed|"
        r"Please run 'source set_env\.sh'",
        T("CANN is not installed, or its set_env.sh was not sourced in this environment"),
        T("source {set_env}   # install the CANN toolkit first if it is missing"),
        related=(
            "ascend.library-not-found",
            "ascend.env-not-sourced",
            "ascend.torch_npu-without-cann",
        ),
    ),
    # NOTE: torch_npu AclInterface.cpp and HcclInterface.cpp.
    _known(
        r"Please upgrade CANN version|cann version is too low",
        T("the installed CANN is older than this torch_npu build needs"),
        T(
            "Install the CANN release paired with this torch_npu (the findings of "
            "`chipdoctor check` name it), then source its set_env.sh"
        ),
        related=_TORCH_NPU_MATRIX,
    ),
    # NOTE: Ascend/pytorch #35, triton-lang/triton-ascend #326, DeepLink-org/dlinfer #183.
    _known(
        r"torch_npu\S*: undefined symbol|undefined symbol: \S*(?:npu|Msprof|acl)",
        T("torch_npu was built for another torch or CANN than the ones installed"),
        T(
            "Install the torch_npu build that matches the installed torch and CANN (the "
            "findings of `chipdoctor check` name the versions)"
        ),
        related=_TORCH_NPU_MATRIX,
    ),
    # NOTE: vllm-ascend #4284.
    _known(
        r"Failed to verify the OPP|E30006",
        T("the operator package (CANN kernels/ops) does not match this device or driver"),
        T("Install the kernels (or ops) package of the installed CANN version built for this chip"),
        related=_CANN_DRIVER,
    ),
    # NOTE: vllm-ascend #2244, #2210 (500001) and #4859, #5695 (561103).
    _known(
        r"error code is (?:500001|561103)|The internal ACL of the system is incorrect",
        T(
            "the CANN in this environment does not match the NPU driver (often a container "
            "image's CANN against the host's driver)"
        ),
        T(
            "Use the CANN release the installed driver supports, or upgrade the driver (the "
            "findings of `chipdoctor check` show the pairing)"
        ),
        related=_CANN_DRIVER,
    ),
    # NOTE: Ascend/pytorch #7.
    _known(
        r"EH9999|init env failed",
        T("Python packages that CANN needs are missing"),
        T(
            'pip install "numpy>=1.19.2" "decorator>=4.4.0" "sympy>=1.5.1" "cffi>=1.12.3" '
            '"protobuf>=3.13.0" attrs pyyaml pathlib2 scipy requests psutil absl-py'
        ),
    ),
    # --- Cambricon (torch_mlu, Neuware): other-stacks.md A.1 and A.6 --------------------------
    # NOTE: torch_mlu codegen/templates/version.cpp ("verion" is the source's own typo).
    _known(
        r"NEUWARE minimum version requirements not met",
        T("a Neuware library (CNNL, CNCL) or the driver is older than this torch_mlu requires"),
        T("Upgrade Neuware or the driver to the minimum versions the message names"),
        related=("cambricon.torch_mlu-*", "cambricon.neuware-driver"),
    ),
    # NOTE: the environment torch_mlu's README sets.
    _known(
        r"lib(?:cnrt|cndrv|cnnl|cncl|cndev|cnpapi|cnnl_extra|mluops|cnbin)\.so\S*: "
        r"cannot open shared object file",
        T("Neuware is not installed, or $NEUWARE_HOME/lib64 is not on LD_LIBRARY_PATH"),
        T(
            "export NEUWARE_HOME=/usr/local/neuware; "
            "export LD_LIBRARY_PATH=$NEUWARE_HOME/lib64:$LD_LIBRARY_PATH"
        ),
        related=("cambricon.torch_mlu-without-neuware", "cambricon.*env*"),
    ),
    # --- Hygon DCU and AMD ROCm: other-stacks.md B.1, B.2, B.7, C.6 ---------------------------
    _known(
        r"libamdhip64\.so\S*: version .hip_[\d.]+. not found",
        T(
            "an upstream ROCm build of torch runs on Hygon DTK, whose own HIP is not "
            "ABI-compatible with it"
        ),
        T("Install the torch wheel Hygon publishes for this DTK (DAS) instead of a +rocm wheel"),
        related=("dcu.torch-dtk", "dcu.torch-not-*"),
    ),
    # NOTE: flagos-ai/build-infra vllm-repack/E2E-REPORT.md §2.4.
    _known(
        r"_ARRAY_API not found|compiled using NumPy 1\.x cannot be run in",
        T("this build was compiled against NumPy 1.x, but NumPy 2 is installed"),
        T('pip install "numpy<2"'),
    ),
    # --- NVIDIA CUDA ---------------------------------------------------------------------------
    # NOTE: the next four texts are PyTorch's (pytorch/pytorch c10/cuda/CUDAFunctions.cpp @
    # 68e217b9, raised or warned from torch.cuda.device_count()); "CUDA driver version is
    # insufficient…" is the CUDA runtime's text for cudaErrorInsufficientDriver.
    _known(
        r"NVIDIA driver on your system is too old|"
        r"CUDA driver version is insufficient for CUDA runtime version",
        T(
            "the NVIDIA driver is too old for the CUDA runtime this torch build ships "
            "(CUDA {torch_cuda})"
        ),
        T(
            "Upgrade the NVIDIA driver (NVIDIA's CUDA release notes list the minimum driver of "
            "each CUDA), or install a torch build for the CUDA version `nvidia-smi` reports: "
            "pip install torch --index-url https://download.pytorch.org/whl/cuXYZ"
        ),
        related=("cuda.torch-driver", "cuda.*driver*"),
    ),
    _known(
        r"Found no NVIDIA driver on your system",
        T(
            "no NVIDIA driver is loaded: it is not installed, or this container was started "
            "without GPU access"
        ),
        T(
            "Install the NVIDIA driver on the host; start containers with --gpus all "
            "(nvidia-container-toolkit), or pass /dev/nvidia0, /dev/nvidiactl and /dev/nvidia-uvm"
        ),
        related=("cuda.*driver*", "cuda.*smi*"),
    ),
    _known(
        r"CUDA driver initialization failed",
        T("the NVIDIA driver failed to initialise: there may be no usable GPU here"),
        T("Check that `nvidia-smi` works here; in a container, pass the GPUs with --gpus all"),
        related=("cuda.*driver*", "cuda.*smi*"),
    ),
    _known(
        r"CUDA unknown error - this may be due to an incorrectly set up environment",
        T("CUDA failed to initialise in this environment"),
        T(
            "Check that `nvidia-smi` works, and that CUDA_VISIBLE_DEVICES is not changed after "
            "the program starts"
        ),
        related=("cuda.visible-devices",),
    ),
    # NOTE: torch/cuda/__init__.py _lazy_init raises the first (seen with torch 2.13.0+cpu);
    # the smoke script writes the second when torch.version.cuda and .hip are both None.
    _known(
        r"Torch not compiled with CUDA enabled|torch\.version\.cuda and torch\.version\.hip are "
        r"None",
        T("this torch is a CPU-only build"),
        T(
            "Install a GPU build of torch for this machine's stack, e.g. pip install torch "
            "--index-url https://download.pytorch.org/whl/cuXYZ (CUDA) or …/whl/rocmX.Y (ROCm)"
        ),
        related=("*.torch-cpu-build", "*.torch-build", "*.torch-not-rocm"),
    ),
    # NOTE: CUDA runtime API, cudaErrorNoKernelImageForDevice (209); architectures per torch
    # build: PyTorch RELEASE.md (other-stacks.md D.2: CUDA 13 builds start at Turing).
    _known(
        r"no kernel image is available for execution on the device",
        T(
            "this torch build has no kernels for this GPU's architecture (CUDA 13 builds of "
            "torch start at Turing)"
        ),
        T(
            "Install a torch build compiled for this GPU, e.g. a CUDA 12.6 build for GPUs older "
            "than Turing: pip install torch --index-url https://download.pytorch.org/whl/cu126"
        ),
    ),
    # --- No device visible: torch counted none. These come after every entry that names a
    # reason, because the warnings printed while counting are part of the text. ---------------
    # NOTE: ascend.md §5.3 (devices a container needs) and §3.6 (ASCEND_RT_VISIBLE_DEVICES).
    _known(
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
    _known(
        r"torch\.mlu\.is_available\(\) == False",
        T(
            "no MLU is visible to this process: /dev/cambricon_ctl and /dev/cambricon_devN were "
            "not passed into this container, or CN_VISIBLE_DEVICES / MLU_VISIBLE_DEVICES hide "
            "them"
        ),
        T(
            "Check `cnmon`. In Docker pass --device /dev/cambricon_ctl --device "
            "/dev/cambricon_dev0 (one per card)."
        ),
        related=("cambricon.visible-devices",),
        stacks=("cambricon",),
    ),
    # NOTE: other-stacks.md B.7 and C.6 (devices a container needs).
    _known(
        r"torch\.cuda\.is_available\(\) == False",
        T(
            "no GPU is visible to this process: /dev/kfd and /dev/dri (and /dev/mkfd on Hygon) "
            "were not passed into this container, HIP_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES "
            "hide them, or the user is not in the video/render group"
        ),
        T(
            "docker run --device /dev/kfd --device /dev/dri --group-add video … (Hygon: also "
            "--device /dev/mkfd -v /opt/hyhal:/opt/hyhal)"
        ),
        related=("rocm.visible-devices", "dcu.visible-devices", "rocm.*driver*", "dcu.*driver*"),
        stacks=("rocm", "dcu"),
    ),
    # NOTE: other-stacks.md D.6 (GPU access in containers).
    _known(
        r"torch\.cuda\.is_available\(\) == False",
        T(
            "no GPU is visible to this process: CUDA_VISIBLE_DEVICES hides them, or this "
            "container was started without GPU access"
        ),
        T("Check `nvidia-smi` and CUDA_VISIBLE_DEVICES; start containers with --gpus all"),
        related=("cuda.visible-devices", "cuda.*smi*"),
        stacks=("cuda",),
    ),
    # --- Any stack -----------------------------------------------------------------------------
    # NOTE: torch 2.5+ loads device extensions at `import torch` (TORCH_DEVICE_BACKEND_AUTOLOAD,
    # ascend.md §6.5); the library it failed on is named earlier in the text and matched above.
    _known(
        r"Failed to load the backend extension: (?P<module>\w+)",
        T("`import torch` loads {module} automatically, and loading it failed"),
        T(
            "Fix the error the message names; to import torch without {module} meanwhile: "
            "export TORCH_DEVICE_BACKEND_AUTOLOAD=0"
        ),
    ),
    _known(
        r"No module named '(?P<module>[\w.]+)'",
        T("{module} is not installed in this interpreter"),
        T(
            "Install it into the interpreter chipdoctor inspected (the findings of "
            "`chipdoctor check` name the version that fits)"
        ),
    ),
    _known(
        r"(?P<library>lib[\w.+-]+?\.so(?:\.[\d.]+)?): cannot open shared object file",
        T(
            "the dynamic loader cannot find {library}: the package that ships it is not "
            "installed, or its directory is not on LD_LIBRARY_PATH"
        ),
        T(
            "Find it with `ldconfig -p | grep {library}` and add its directory to "
            "LD_LIBRARY_PATH, or install the package that provides it"
        ),
        related=("*.library-not-found",),
    ),
    _known(
        r"undefined symbol: (?P<symbol>\S+)",
        T(
            "a compiled extension was built against other versions of the libraries it links "
            "to (undefined symbol {symbol})"
        ),
        T(
            "Reinstall the package whose library the error names, in the build that matches the "
            "installed torch and toolkit"
        ),
    ),
)


def diagnose(
    text: str,
    *,
    stacks: Collection[str],
    context: Mapping[str, str],
    finding_ids: Collection[str],
) -> Diagnosis | None:
    """The first known failure `text` matches, with its templates filled in; None if unknown.

    `context` fills the templates' placeholders (`set_env`, `torch`, `torch_cuda`);
    `finding_ids` are the static check's findings, searched for `related` ones.
    """
    for known in KNOWN_FAILURES:
        if known.stacks and not set(known.stacks) & set(stacks):
            continue
        match = known.pattern.search(text)
        if match is None:
            continue
        params = {**context, **{k: v for k, v in match.groupdict().items() if v}}
        related = tuple(
            finding_id
            for finding_id in finding_ids
            if any(fnmatchcase(finding_id, pattern) for pattern in known.related)
        )
        return Diagnosis(
            T(known.cause.template, **params), T(known.fix.template, **params), related
        )
    return None
