"""The Kubernetes engine wiring: the NFD DaemonSet and every manifest validate against the
published Kubernetes schemas (shipped under tests/fixtures/kubernetes-schemas), the DaemonSet's
command writes a valid feature file, and the NPD plugin config holds what NPD checks on load."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from tests.conftest import FIXTURES, SNAPSHOTS, run_cli

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "integrations" / "kubernetes"
SCHEMAS = FIXTURES / "kubernetes-schemas" / "v1.33.0-local-strict"
FEATURES_D = "/etc/kubernetes/node-feature-discovery/features.d"
# The sums SOURCE.md records for the published files.
SHA256 = {
    "_definitions.json": "c6ac7ea7360edb7fd6fbcfabd1fe272d44e30c5d25621b8af889830f5cb21cd3",
    "configmap-v1.json": "9062084aebe09d7e2114a8d10116155d73516751f3f6cd874480c4826709ae3c",
    "daemonset-apps-v1.json": "0c1f1e1c242566f347a8a6c2c6746e666bfbca87c0826b3901173a013b0ee7de",
    "job-batch-v1.json": "eeb8157764e8dd98747a07658b007c0a14fd01ba1c6baff6d9faeebd36c384a1",
}
# Go's time.ParseDuration, as NPD parses its durations (pkg/custompluginmonitor/types/config.go).
DURATION = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")


def published(name: str) -> bytes:
    if name == "_definitions.json":
        return gzip.decompress((SCHEMAS / f"{name}.gz").read_bytes())
    return (SCHEMAS / name).read_bytes()


@cache
def registry() -> Registry:
    definitions = json.loads(published("_definitions.json"))
    return Resource.from_contents(definitions) @ Registry()


def schema_for(doc: dict[str, Any]) -> dict[str, Any]:
    group, _, version = doc["apiVersion"].rpartition("/")
    name = (
        f"{doc['kind'].lower()}-{group.split('.')[0]}-{version}.json"
        if group
        else (f"{doc['kind'].lower()}-{version}.json")
    )
    return json.loads(published(name))  # type: ignore[no-any-return]


def documents() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                found.append((path.name, doc))
    return found


def daemonset() -> dict[str, Any]:
    (doc,) = [d for _, d in documents() if d["kind"] == "DaemonSet"]
    return doc


def test_the_shipped_schemas_are_the_published_files() -> None:
    for name, digest in SHA256.items():
        assert hashlib.sha256(published(name)).hexdigest() == digest, name


@pytest.mark.parametrize(
    ("name", "doc"), documents(), ids=lambda v: v if isinstance(v, str) else v["kind"]
)
def test_every_manifest_is_valid_for_kubernetes(name: str, doc: dict[str, Any]) -> None:
    schema = schema_for(doc)
    validator = jsonschema.Draft202012Validator(schema, registry=registry())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == [], name


def test_the_schemas_reject_what_kubernetes_rejects() -> None:
    doc = daemonset()
    container = doc["spec"]["template"]["spec"]["containers"][0]
    broken = json.loads(json.dumps(doc))
    broken["spec"]["template"]["spec"]["containers"][0] = {**container, "volumeMount": []}
    validator = jsonschema.Draft202012Validator(schema_for(doc), registry=registry())
    assert any("volumeMount" in e.message for e in validator.iter_errors(broken))
    del broken["spec"]["selector"]
    assert any("selector" in e.message for e in validator.iter_errors(broken))


def test_the_daemonset_mounts_vendor_trees_read_only_and_writes_features_d() -> None:
    pod = daemonset()["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v["hostPath"] for v in pod["volumes"]}
    assert set(mounts) == set(volumes)
    for name, mount in mounts.items():
        assert volumes[name]["path"] == mount["mountPath"], name  # the paths chipdoctor reads
        assert bool(mount.get("readOnly")) is (name != "features-d"), name
    assert mounts["features-d"]["mountPath"] == FEATURES_D
    assert {"/usr/local/Ascend", "/usr/local/neuware", "/opt/rocm", "/opt/dtk"} <= {
        m["mountPath"] for m in mounts.values()
    }


def check_command() -> list[str]:
    """The `chipdoctor check …` line of the DaemonSet's loop."""
    script = daemonset()["spec"]["template"]["spec"]["containers"][0]["command"][2]
    (line,) = [s.strip() for s in script.splitlines() if s.strip().startswith("chipdoctor ")]
    return shlex.split(line)


def test_the_daemonset_command_writes_an_nfd_feature_file(tmp_path: Path) -> None:
    argv = check_command()
    target = argv[argv.index("--output") + 1]
    assert target.startswith(FEATURES_D + "/") and "--force" in argv
    here = tmp_path / "features.d" / target.rsplit("/", 1)[1]
    here.parent.mkdir()
    snapshot = ["--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch")]
    for _ in range(2):  # the loop's second pass replaces the file
        args = [
            *argv[1 : argv.index("--output")],
            "--output",
            str(here),
            *argv[argv.index("--output") + 2 :],
        ]
        done = run_cli(*args, *snapshot)
        assert done.returncode == 1, done.stderr
    lines = here.read_text().splitlines()
    assert lines[0].startswith("# +expiry-time=")
    assert "chipdoctor.io/status=error" in lines
    assert "chipdoctor.io/cann=8.2.RC1" in lines
    assert [p.name for p in here.parent.iterdir()] == [here.name]


def npd_config() -> dict[str, Any]:
    return json.loads((K8S / "npd-chipdoctor-plugin.json").read_text())  # type: ignore[no-any-return]


def seconds(duration: str) -> float:
    assert DURATION.fullmatch(duration), duration
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return sum(
        float(n) * units[u] for n, _, u in re.findall(r"(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)", duration)
    )


def test_npd_plugin_config_passes_npd_s_own_validation() -> None:
    """What NPD's CustomPluginConfig.ApplyConfiguration and Validate check on load
    (kubernetes/node-problem-detector pkg/custompluginmonitor/types/config.go)."""
    config = npd_config()
    assert config["plugin"] == "custom"
    assert set(config) <= {
        "plugin",
        "pluginConfig",
        "source",
        "conditions",
        "rules",
        "metricsReporting",
    }
    plugin = config["pluginConfig"]
    timeout = seconds(plugin["timeout"])
    assert seconds(plugin["invoke_interval"]) >= timeout
    assert plugin["max_output_length"] >= 1024  # our message's bound: NPD cuts nothing
    conditions = {c["type"] for c in config["conditions"]}
    assert conditions == {"AcceleratorStackIncompatible"}
    for rule in config["rules"]:
        assert set(rule) <= {
            "type",
            "condition",
            "reason",
            "path",
            "args",
            "timeout",
            "invoke_interval",
        }
        assert rule["type"] in ("temporary", "permanent")
        assert seconds(rule["timeout"]) <= timeout
        if rule["type"] == "permanent":
            assert rule["condition"] in conditions
        assert rule["path"].startswith("/")


def test_npd_rule_runs_chipdoctor_with_npd_exit_codes(tmp_path: Path) -> None:
    (rule,) = npd_config()["rules"]
    assert rule["path"].endswith("/chipdoctor") and rule["args"][:3] == ["check", "--format", "npd"]
    limit = npd_config()["pluginConfig"]["max_output_length"]
    cases = {"ascend-torch-mismatch": 1, "ascend-910b-healthy": 0}
    for name, status in cases.items():
        done = run_cli(*rule["args"], "--snapshot", str(SNAPSHOTS / name))
        assert done.returncode == status
        assert len(done.stdout) <= limit and done.stdout.count("\n") == 1
    unknown = run_cli(*rule["args"], "--snapshot", str(tmp_path / "absent"))
    assert unknown.returncode == 2  # NPD's Unknown
