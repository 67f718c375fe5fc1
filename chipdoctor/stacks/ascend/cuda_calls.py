"""`ascend.torch-int-device`: "Torch not compiled with CUDA enabled" on an NPU host.

torch_npu runs on the CPU build of torch by design, so there the message never means a CPU
build was installed by mistake: code asked CUDA for a device. Before torch 2.5.1 an integer
device (`tensor.to(0)`, which transformers after 4.49 passes when loading a model) went to
CUDA's lazy initialisation even with torch_npu loaded: Ascend/pytorch#16 shows it with torch
2.1.0 and torch-npu 2.1.0.post20231207 ("This is not supported now"), and the Ascend engineers'
analysis quoted in hiyouga/LlamaFactory#7986 says their fix was released in torch 2.5.1 (the
thread's users confirm upgrading torch_npu to 2.5.1 solved it). Read only from the failed
job's log (`check --log`).
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from chipdoctor.i18n import T
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.rules.common import logged, release_of, stack_finding
from chipdoctor.symptoms.kinds import TORCH_CUDA_CALL

#: The first torch release whose integer devices reach a registered backend (the NPU).
FIXED_IN = "2.5.1"
SOURCES = (
    "https://github.com/Ascend/pytorch/issues/16, "
    "https://github.com/hiyouga/LlamaFactory/issues/7986"
)


def findings(inventory: Inventory) -> list[Finding]:
    symptom = inventory.symptom(TORCH_CUDA_CALL)
    torch = inventory.version("torch")
    if symptom is None or torch is None or not inventory.version("torch_npu"):
        return []
    try:
        if Version(release_of(torch)) >= Version(FIXED_IN):
            return []  # the log's own entry says what it means on a newer torch
    except InvalidVersion:
        return []
    return [
        stack_finding(
            "torch-int-device",
            Severity.ERROR,
            ("torch", "torch_npu"),
            T(
                "torch {torch} sends an integer device index (`tensor.to(0)`, which "
                "transformers after 4.49 passes) to CUDA instead of the NPU, so the job fails "
                "with 'Torch not compiled with CUDA enabled' ({logged}); torch {fixed} fixed it "
                "({sources}).",
                torch=torch,
                logged=logged(symptom),
                fixed=FIXED_IN,
                sources=SOURCES,
            ),
            T(
                "Pass 'npu:N' devices where the code passes an index, or upgrade torch and "
                "torch_npu together to {fixed} or newer with the CANN that release needs, as "
                "this plans them: chipdoctor fix --pin torch_npu={fixed}",
                fixed=FIXED_IN,
            ),
            stack="ascend",
        )
    ]
