"""The Kubernetes example: valid manifests, an init container that gates the trainer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from chipdoctor.policy.load import build_policy
from chipdoctor.yamlio import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted((ROOT / "integrations" / "kubernetes").glob("*.yaml"))
NPU = "huawei.com/Ascend910"


def documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in MANIFESTS:
        docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def test_every_manifest_has_the_required_fields() -> None:
    assert MANIFESTS
    for doc in documents():
        assert doc["apiVersion"] and doc["kind"], doc
        assert doc["metadata"]["name"]
        assert "spec" in doc or doc["kind"] == "ConfigMap"


def test_job_runs_chipdoctor_strict_before_the_trainer() -> None:
    (job,) = [d for d in documents() if d["kind"] == "Job"]
    assert job["apiVersion"] == "batch/v1"
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] in ("Never", "OnFailure")  # what a Job allows
    (init,) = pod["initContainers"]
    assert init["command"][:3] == ["chipdoctor", "check", "--strict"]
    assert init["terminationMessagePolicy"] == "FallbackToLogsOnError"
    (train,) = pod["containers"]
    assert init["image"] == train["image"]  # the check sees what training imports
    assert init["resources"]["limits"][NPU] == train["resources"]["limits"][NPU]


def test_policy_config_map_is_mounted_where_the_command_reads_it_and_is_valid() -> None:
    docs = documents()
    (config,) = [d for d in docs if d["kind"] == "ConfigMap"]
    (job,) = [d for d in docs if d["kind"] == "Job"]
    pod = job["spec"]["template"]["spec"]
    init = pod["initContainers"][0]
    (mount,) = init["volumeMounts"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["configMap"]["name"] == config["metadata"]["name"]
    policy_path = init["command"][init["command"].index("--policy") + 1]
    directory, key = policy_path.rsplit("/", 1)
    assert directory == mount["mountPath"]
    policy = build_policy(parse_yaml(config["data"][key], policy_path))
    assert [s.stack for s in policy.stacks] == ["ascend"]
    assert policy.fail_on_warnings
