"""Generate matrices/ops/*.json from the vendors' own operator files, one per release.

    python scripts/ops_data.py collect SOURCES --op-plugin GIT --torch-npu GIT --torch-mlu GIT \
        --native-functions FILE --pytorch-commit SHA
        # copy every release's file out of local git clones of Ascend/op-plugin, Ascend/pytorch
        # and Cambricon/torch_mlu into SOURCES, each beside a SOURCE.md (url, branch, commit, date)
    python scripts/ops_data.py generate SOURCES OUT     # write OUT/ascend.json, cambricon.json,
                                                        # pytorch.json from SOURCES, offline

The recorded copies live in tests/fixtures/ops-sources/ (their layout is what `collect` writes);
a test runs `generate` on them and compares with the bundled data. The format is described in
docs/ops.md ("Data"). Decompositions come from scripts/ops_decomp.py (traced with torch).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from chipdoctor.ops.target import matrix_versions
from chipdoctor.versions import VendorVersion, parse_vendor

DATA_FORMAT = "chipdoctor-ops-data/1"
OP_PLUGIN_FILE = "op_plugin/config/op_plugin_functions.yaml"
NPU_NATIVE_FILE = "torch_npu/csrc/aten/npu_native_functions.yaml"
MLU_FILE = "codegen/mlu_functions.yaml"
OP_PLUGIN_URL = "https://github.com/Ascend/op-plugin"
TORCH_NPU_URL = "https://github.com/Ascend/pytorch"
TORCH_MLU_URL = "https://github.com/Cambricon/torch_mlu"
PYTORCH_URL = "https://github.com/pytorch/pytorch"
#: The name each recorded file has under SOURCES/<kind>/<branch>/, and its repository.
FILES = {
    OP_PLUGIN_FILE: ("op_plugin_functions.yaml.gz", OP_PLUGIN_URL),
    NPU_NATIVE_FILE: ("npu_native_functions.yaml", TORCH_NPU_URL),
    MLU_FILE: ("mlu_functions.yaml", TORCH_MLU_URL),
}
#: op-plugin sections whose entries are ATen operators with device kernels; `custom` holds the
#: torch_npu-only `npu_*` operators, which no CPU model calls.
KERNEL_SECTIONS = ("official", "symint", "quant", "autograd")
KERNEL_KEYS = ("acl_op", "op_api", "dvm")
#: Each release branch's dispatcher fallback, read from the vendors' sources (cited in the data).
FALLBACKS: dict[str, dict[str, Any]] = {
    "ascend": {
        "kind": "cpu",
        "env": "TORCH_NPU_FALLBACK_CPU_DISABLE",
        "disabled_when": ["1"],
        "registered": "https://github.com/Ascend/pytorch/blob/f1826dc29d23cab30d535a8365a6b4de2e805568/torch_npu/csrc/aten/VariableFallbackKernel.cpp#L247-L261",
        "source": "https://github.com/Ascend/pytorch/blob/9e73e708ab9350d203475609f36f8a43f6a0c2ab/docs/zh/api/environment_variable/op_execution/TORCH_NPU_FALLBACK_CPU_DISABLE.md",
    },
    "cambricon": {
        "kind": "cpu",
        "env": "ENABLE_FALLBACK_TO_CPU",
        "disabled_when": ["0", "OFF", "off"],
        "registered": "https://github.com/Cambricon/torch_mlu/blob/9e95f972d3bfda0a855f9500aec852664ceecb6a/torch_mlu/csrc/aten/MLUFallback.cpp",
        "source": "https://github.com/Cambricon/torch_mlu/blob/9e95f972d3bfda0a855f9500aec852664ceecb6a/torch_mlu/csrc/aten/MLUFallback.cpp",
    },
}
#: What scripts/ops_decomp.py adds to pytorch.json (traced with torch, not generated here).
TRACED_KEYS = ("decompositions", "decompositions_traced_with")
#: Below every release: the version in the keys of master (after its flag) and of a non-release.
_NO_RELEASE = parse_vendor("0")


def read_source_md(path: Path) -> dict[str, str]:
    """SOURCE.md: `key: value` lines naming where the file beside it came from."""
    fields: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def _load_yaml(path: Path) -> Any:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(raw, Loader=loader)  # a safe loader


def release_key(name: str) -> tuple[bool, VendorVersion]:
    """Order of TorchNPU releases: 6.0.rc2 < 6.0.rc3 < 6.0.0 < 7.0.0 < 26.0.0 < master."""
    return (True, _NO_RELEASE) if name == "master" else (False, parse_vendor(name))


def versions_of(spec: Any, all_version: list[str]) -> list[str]:
    """op-plugin's own rule (torchnpugen/op_codegen_utils.py get_version): a two-item list is
    a range (`newest` = the last), `all_version` is every one, else a comma-separated list."""
    if spec is None:
        return []
    if isinstance(spec, list):
        start = all_version.index(str(spec[0]).strip())
        end = str(spec[1]).strip()
        return (
            all_version[start:]
            if end == "newest"
            else all_version[start : all_version.index(end) + 1]
        )
    text = str(spec).strip()
    if text == "all_version":
        return list(all_version)
    return [item.strip() for item in text.split(",") if item.strip()]


def op_key(func: str) -> str:
    """`add.Tensor(Tensor self, ...) -> Tensor` -> `add.Tensor`; `lgamma` -> `lgamma`."""
    return func.split("(", 1)[0].strip()


def runs(minors: list[str], order: list[str]) -> str:
    """`2.1,2.2,2.3,2.5` over the release's torch list -> `2.1-2.3,2.5` (contiguous runs)."""
    spans: list[list[int]] = []  # [first, last] index of each run
    for i in sorted({order.index(m) for m in minors if m in order}):
        if spans and spans[-1][1] == i - 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return ",".join(
        order[first] if first == last else f"{order[first]}-{order[last]}" for first, last in spans
    )


def _minor(tag: str) -> str:
    return tag.strip().lstrip("v")


def _source(fields: dict[str, str], title: str) -> dict[str, str]:
    return {
        "title": title,
        "url": fields["url"],
        "commit": fields["commit"].split()[0],
        "date": fields["date"].split()[0],
        "retrieved": fields["retrieved"],
    }


def ascend(sources: Path) -> dict[str, Any]:
    """TorchNPU: each op-plugin release branch's op_plugin_functions.yaml, plus each torch_npu
    branch's npu_native_functions.yaml (the kernels torch_npu registers itself)."""
    releases: list[dict[str, Any]] = []
    ops: dict[str, dict[str, dict[str, set[str]]]] = {}
    orders: dict[str, list[str]] = {}
    for folder in sorted((sources / "op-plugin").iterdir(), key=lambda p: release_key(p.name)):
        doc = _load_yaml(next(folder.glob("op_plugin_functions.yaml*")))
        if "all_version" not in doc:  # 6.0.rc2 and older: per-entry versions in another layout
            print(f"{folder.name}: no all_version list, skipped", file=sys.stderr)
            continue
        orders[folder.name] = [_minor(v) for v in doc["all_version"]]
        releases.append(_op_plugin_release(folder, doc, ops))
    extension = []
    for folder in sorted((sources / "torch_npu").iterdir()):
        fields = read_source_md(folder / "SOURCE.md")
        torch_version, _, release = folder.name[1:].partition("-")
        minor = ".".join(torch_version.split(".")[:2])
        if release not in orders:
            continue
        doc = _load_yaml(folder / "npu_native_functions.yaml")
        names = [
            op_key(e["func"] if isinstance(e, dict) else str(e)) for e in doc.get("supported") or []
        ]
        for name in names:
            _add(ops, name, release, "native", [minor])
        extension.append(
            {
                "branch": folder.name,
                "release": release,
                "torch": minor,
                "ops": len(names),
                "source": _source(
                    fields, f"Ascend/pytorch {NPU_NATIVE_FILE} (branch {folder.name})"
                ),
            }
        )
    return {
        "format": DATA_FORMAT,
        "stack": "ascend",
        "component": "torch_npu",
        "release_family": "TorchNPU",
        "fallback": FALLBACKS["ascend"],
        "releases": releases,
        "extension_files": extension,
        "versions": matrix_versions(),
        "ops": _encode(ops, orders),
    }


def _op_plugin_release(
    folder: Path, doc: dict[str, Any], ops: dict[str, dict[str, dict[str, set[str]]]]
) -> dict[str, Any]:
    """Add one release's kernels, `tocpu` and `unsupported` entries to `ops`; its entry."""
    fields = read_source_md(folder / "SOURCE.md")
    raw_order = [str(v) for v in doc["all_version"]]
    for section in KERNEL_SECTIONS:
        for item in doc.get(section) or []:
            minors = [_minor(v) for k in KERNEL_KEYS for v in versions_of(item.get(k), raw_order)]
            _add(ops, op_key(item["func"]), folder.name, "native", minors)
    for section in ("tocpu", "unsupported"):
        for item in doc.get(section) or []:
            minors = [_minor(v) for v in versions_of(item.get("version"), raw_order)]
            _add(ops, op_key(item["func"]), folder.name, section, minors)
    entry: dict[str, Any] = {
        "name": folder.name,
        "torch": [_minor(v) for v in raw_order],
        "source": _source(fields, f"Ascend/op-plugin {OP_PLUGIN_FILE} (branch {fields['branch']})"),
    }
    if folder.name == "master":
        entry["unreleased"] = True
    return entry


def cambricon(sources: Path) -> dict[str, Any]:
    """torch_mlu: one mlu_functions.yaml per release branch; its `aten:` entries are MLU kernels."""
    releases: list[dict[str, Any]] = []
    ops: dict[str, dict[str, dict[str, set[str]]]] = {}
    orders: dict[str, list[str]] = {}
    for folder in sorted((sources / "torch_mlu").iterdir()):
        fields = read_source_md(folder / "SOURCE.md")
        version = fields["version"].split()[0]  # e.g. 1.22.2-torch2.1.0 (build.property)
        mlu, _, torch_version = version.partition("-torch")
        name = f"{mlu}+torch{torch_version}"
        minor = ".".join(torch_version.split(".")[:2])
        orders[name] = [minor]
        doc = _load_yaml(folder / "mlu_functions.yaml")
        for item in doc.get("aten") or []:
            _add(ops, op_key(item["func"]), name, "native", [minor])
        releases.append(
            {
                "name": name,
                "torch": [minor],
                "torch_version": torch_version,
                "source": _source(
                    fields, f"Cambricon/torch_mlu {MLU_FILE} (branch {fields['branch']})"
                ),
            }
        )
    releases.sort(key=lambda r: tuple(int(p) for p in r["name"].split("+")[0].split(".")))
    return {
        "format": DATA_FORMAT,
        "stack": "cambricon",
        "component": "torch_mlu",
        "release_family": "torch_mlu",
        "fallback": FALLBACKS["cambricon"],
        "releases": releases,
        "extension_files": [],
        "versions": {
            r["name"]: {"release": r["name"], "torch": r["torch_version"]} for r in releases
        },
        "ops": _encode(ops, orders),
    }


def pytorch(sources: Path) -> dict[str, Any]:
    """Which ATen operators are composite, from native_functions.yaml's dispatch keys: no
    `dispatch:` (and no structured delegate) or `CompositeImplicitAutograd` means the dispatcher
    decomposes the operator before any backend sees it; `CompositeExplicitAutograd*` is a
    kernel every backend shares, built from other operators."""
    folder = sources / "pytorch" / "v2.13.0"
    fields = read_source_md(folder / "SOURCE.md")
    composite: dict[str, str] = {}
    operators: list[str] = []
    for item in _load_yaml(folder / "native_functions.yaml.gz"):
        name = op_key(item["func"])
        operators.append(name)
        dispatch = item.get("dispatch")
        if dispatch is None:
            if "structured_delegate" not in item:
                composite[name] = "implicit"
            continue
        keys = {k.strip() for key in dispatch for k in str(key).split(",")}
        if "CompositeImplicitAutograd" in keys or "CompositeImplicitAutogradNestedTensor" in keys:
            composite[name] = "implicit"
        elif keys & {"CompositeExplicitAutograd", "CompositeExplicitAutogradNonFunctional"}:
            composite[name] = "explicit"
    return {
        "format": DATA_FORMAT,
        "stack": "pytorch",
        "source": _source(fields, "pytorch/pytorch aten/src/ATen/native/native_functions.yaml"),
        "composite": dict(sorted(composite.items())),
        "operators": sorted(operators),  # every ATen operator: any other name is no operator
        "decompositions": {},
    }


def _add(
    ops: dict[str, dict[str, dict[str, set[str]]]],
    name: str,
    release: str,
    status: str,
    minors: list[str],
) -> None:
    if minors:
        ops.setdefault(name, {}).setdefault(release, {}).setdefault(status, set()).update(minors)


def _encode(
    ops: dict[str, dict[str, dict[str, set[str]]]], orders: dict[str, list[str]]
) -> dict[str, Any]:
    return {
        name: {
            release: {
                status: runs(sorted(minors), orders[release])
                for status, minors in sorted(kinds.items())
            }
            for release, kinds in sorted(per.items(), key=lambda item: release_key_any(item[0]))
        }
        for name, per in sorted(ops.items())
    }


def release_key_any(name: str) -> tuple[bool, VendorVersion]:
    head = name.split("+", 1)[0]
    try:
        return release_key(head)
    except ValueError:
        return (False, _NO_RELEASE)


def generate(sources: Path, out: Path) -> list[Path]:
    decomp_file = out / "pytorch.json"  # its traced part (scripts/ops_decomp.py) is kept
    before = json.loads(decomp_file.read_text()) if decomp_file.is_file() else {}
    traced = {k: before[k] for k in TRACED_KEYS if k in before}
    written = []
    for name, data in (
        ("ascend", ascend(sources)),
        ("cambricon", cambricon(sources)),
        ("pytorch", {**pytorch(sources), **traced}),
    ):
        path = out / f"{name}.json"
        path.write_text(json.dumps(data, indent=0, sort_keys=False, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


def _branches(repo: Path) -> list[str]:
    return _git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").decode().split()


def _record(repo: Path, branch: str, path: str, folder: Path, extra: str = "") -> bool:
    """Copy `path` at `branch` into `folder` (gzip-compressed when its name in FILES says so)."""
    try:
        content = _git(repo, "show", f"{branch}:{path}")
    except subprocess.CalledProcessError:
        return False
    name, url = FILES[path]
    commit = _git(repo, "rev-parse", branch).decode().strip()
    date = _git(repo, "log", "-1", "--format=%cI", branch).decode().strip()
    folder.mkdir(parents=True, exist_ok=True)
    if name.endswith(".gz"):
        content = gzip.compress(content, 9, mtime=0)
    (folder / name).write_bytes(content)
    (folder / "SOURCE.md").write_text(
        f"url: {url}/blob/{commit}/{path}\nrepository: {url}\nbranch: {branch}\n"
        f"commit: {commit}\ndate: {date}\nretrieved: {dt.date.today().isoformat()}\n{extra}"
        f"file: {name} (the file at that commit)\n"
    )
    return True


def collect(args: argparse.Namespace) -> None:
    """Refresh SOURCES from local clones (every release branch; older layouts are named)."""
    out: Path = args.sources
    plugin, npu, mlu = Path(args.op_plugin), Path(args.torch_npu), Path(args.torch_mlu)
    for branch in _branches(plugin):
        release = branch == "master" or re.fullmatch(r"\d+\.\d+\.(\d+|rc\d+)", branch)
        folder = out / "op-plugin" / branch
        if release and not _record(plugin, branch, OP_PLUGIN_FILE, folder):
            print(f"{branch}: no {OP_PLUGIN_FILE} (older layout), skipped", file=sys.stderr)
    for branch in _branches(npu):
        if re.fullmatch(r"v\d+\.\d+\.\d+-\d+\.\d+\.(\d+|rc\d+)", branch):
            _record(npu, branch, NPU_NATIVE_FILE, out / "torch_npu" / branch)
    for branch in _branches(mlu):
        prop = json.loads(_git(mlu, "show", f"{branch}:scripts/release/build.property"))
        version = f"version: {prop['version']} (scripts/release/build.property at that commit)\n"
        _record(mlu, branch, MLU_FILE, out / "torch_mlu" / branch, version)
    folder = out / "pytorch" / "v2.13.0"
    folder.mkdir(parents=True, exist_ok=True)
    native = Path(args.native_functions).read_bytes()
    (folder / "native_functions.yaml.gz").write_bytes(gzip.compress(native, 9, mtime=0))
    today = dt.date.today().isoformat()
    (folder / "SOURCE.md").write_text(
        f"url: {PYTORCH_URL}/blob/{args.pytorch_commit}/aten/src/ATen/native/native_functions.yaml"
        f"\nrepository: {PYTORCH_URL}\nbranch: v2.13.0\ncommit: {args.pytorch_commit}\n"
        f"date: {today}\nretrieved: {today}\nfile: native_functions.yaml.gz\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("sources", type=Path)
    gen.add_argument("out", type=Path)
    col = sub.add_parser("collect")
    col.add_argument("sources", type=Path)
    col.add_argument("--op-plugin", required=True)
    col.add_argument("--torch-npu", required=True)
    col.add_argument("--torch-mlu", required=True)
    col.add_argument("--native-functions", required=True)
    col.add_argument("--pytorch-commit", required=True)
    args = parser.parse_args(argv)
    if args.command == "collect":
        collect(args)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for path in generate(args.sources, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
