"""NVIDIA steps: the driver to ask for, the CUDA toolkit release to install, the pip lines.

PyTorch's CUDA wheels bring the CUDA runtime and cuDNN (as `nvidia-*-cu<major>` dependencies),
so a torch change is one pip line from its variant's index (download.pytorch.org/whl/cuXY).
The wheels carry the variant as a local tag (`2.5.1+cu124`): pinning it makes pip replace an
installed build of the same release, which a plain `torch==2.5.1` would count as already
satisfied. cuDNN gets a line of its own only when torch stays (the installed one is of
another major than PyTorch lists for the build).
"""

from __future__ import annotations

from collections.abc import Mapping

from chipdoctor.fix.common import finish, pip_steps, python_step
from chipdoctor.fix.plan import PipInstall, Plan, Step
from chipdoctor.i18n import T, join
from chipdoctor.model import Inventory
from chipdoctor.rules.common import cuda_tag, release_of
from chipdoctor.stacks.cuda.cuda_toolkit import torch_cuda_tag
from chipdoctor.stacks.cuda.facts import DRIVER_DOWNLOAD
from chipdoctor.stacks.cuda.rules import TOOLKIT_ARCHIVE
from chipdoctor.torchwheels import wheel_source

COMPANIONS = ("torchvision", "torchaudio")


def steps(plan: Plan, inventory: Inventory) -> list[Step]:
    out: list[Step] = []
    driver = plan.target("nvidia_driver")
    if driver and plan.changed("nvidia_driver"):
        out.append(
            Step(
                "admin",
                T(
                    "Ask the administrator for NVIDIA driver {driver} or newer ({url}), then a "
                    "reboot",
                    driver=driver,
                    url=DRIVER_DOWNLOAD,
                ),
                (),
                plan.resolution.reasons.get("nvidia_driver", ""),
            )
        )
    toolkit = plan.target("cuda")
    if toolkit and plan.changed("cuda"):
        out.append(
            Step(
                "toolkit",
                T(
                    "Install CUDA toolkit {toolkit} from the CUDA toolkit archive ({url})",
                    toolkit=toolkit,
                    url=TOOLKIT_ARCHIVE,
                ),
                (),
                plan.resolution.reasons.get("cuda", ""),
            )
        )
    out += python_step(plan, "~/venv-cuda")
    out += pip_steps(plan, pip_installs(plan, inventory))
    return finish(out)


def pip_installs(plan: Plan, inventory: Inventory) -> list[PipInstall]:
    """torch from its variant's index; torchvision/torchaudio with it when installed; cuDNN
    when it changes under the same torch."""
    torch = plan.target("torch")
    cuda = torch_cuda_tag(torch) if torch else None
    if not torch or not cuda:
        return []
    index = wheel_source(torch, cuda_tag(cuda))
    tag = torch.partition("+")[2]
    current = plan.resolution.current.get("torch")
    same_release = current is not None and release_of(current) == release_of(torch)
    companions = [(c, v) for c in COMPANIONS if (v := inventory.version(c))]
    cudnn = plan.target("cudnn") if plan.changed("cudnn") else None
    major = cuda.partition(".")[0]
    # NOTE: PyTorch's CUDA wheels depend on the cuDNN wheel of their CUDA major
    # (chipdoctor.stacks.cuda.probe.CUDNN_PACKAGES).
    package = f"nvidia-cudnn-cu{major}"
    notes = []
    if cudnn and plan.changed("torch"):
        notes.append(T("it brings {package} {cudnn}", package=package, cudnn=cudnn))
    old = (torch_cuda_tag(current) or "").partition(".")[0] if current else ""
    if old and old != major:
        notes.append(
            T(
                "the nvidia-*-cu{old} packages of the CUDA {old} build stay installed; a new "
                "virtual environment keeps them apart",
                old=old,
            )
        )
    if companions and not same_release:
        # NOTE: no matrix maps torchvision/torchaudio releases to torch releases: pip picks the
        # one that requires this torch from the same index.
        notes.append(
            T(
                "then {companions} of the releases made for torch {release}, from the same index",
                companions=", ".join(c for c, _ in companions),
                release=release_of(torch),
            )
        )
    out = [PipInstall("torch", "torch", torch, index_url=index, note=join(notes, "; "))]
    if same_release:
        out += [
            PipInstall("torch", name, f"{release_of(version)}+{tag}", index_url=index)
            for name, version in companions
        ]
    if cudnn and not plan.changed("torch"):
        out.append(PipInstall("cudnn", package, cudnn))
    return out


def image_view(target: Mapping[str, str]) -> Mapping[str, str]:
    """pytorch/pytorch tags name the torch release and the CUDA it is built for."""
    torch = target.get("torch", "")
    view = {c: v for c, v in target.items() if c != "cuda"}
    cuda = torch_cuda_tag(torch)
    if torch and cuda:
        view["torch"] = release_of(torch)
        view["cuda"] = cuda
    return view
