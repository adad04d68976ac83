"""docker-compose.yml and docker-compose.cloud.yml: valid Compose, and the stack's security and upgrade policy.

Checked statically (no Docker daemon here): the Compose JSON schema (tests/fixtures/compose-spec.json),
interpolation with Compose's rules against a .env that `ccotel init` writes, the override merge of the
cloud variant, and the Alloy configs' environment variables.
"""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import FIXTURES, REPO
from stack_support import (
    CLOUD,
    COMPOSE,
    ENV_TEMPLATE,
    MissingVariable,
    Reset,
    active_services,
    all_strings,
    environment,
    interpolate,
    load_compose,
    merge,
    variable_references,
)

from ccotel.collector.pipeline.syntax import parse_file
from ccotel.collector.pipeline.tree import Call, Literal, dotted_name

LOCAL_BACKENDS = {"langfuse-web", "langfuse-worker", "postgres", "clickhouse", "redis", "minio", "tempo", "loki",
                  "prometheus", "grafana"}
SECRET_KEY = re.compile(r"PASSWORD|SECRET|SALT|ENCRYPTION_KEY|TOKEN|_AUTH$|DATABASE_URL|API_KEY", re.IGNORECASE)
ONLY_REFERENCES = re.compile(r"^(?:[^$]*\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?][^}]*)?\}[^$]*)+$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(COMPOSE)


@pytest.fixture(scope="module")
def cloud() -> dict[str, Any]:
    return load_compose(CLOUD)


@pytest.fixture(scope="module")
def generated_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A .env written by the real `ccotel init`, read back with a parser independent of ccotel's."""
    target = tmp_path_factory.mktemp("env") / ".env"
    done = subprocess.run([sys.executable, "-m", "ccotel.commands", "init", "--env-file", str(target)],
                          capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    values = {}
    for line in target.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _strip_tags(node: Any) -> Any:
    """The override file as plain data for the schema: `!reset X` validates as X's empty form."""
    if isinstance(node, dict):
        return {key: ({} if isinstance(value, Reset) else _strip_tags(value)) for key, value in node.items()}
    if isinstance(node, list):
        return [_strip_tags(item) for item in node]
    return node


def test_both_files_validate_against_the_compose_schema(compose: dict[str, Any], cloud: dict[str, Any]) -> None:
    schema = json.loads((FIXTURES / "compose-spec.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    for name, model in (("docker-compose.yml", compose), ("docker-compose.cloud.yml", _strip_tags(cloud))):
        errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                  for error in validator.iter_errors(model)]
        assert errors == [], f"{name}: {errors}"


def test_the_schema_check_rejects_a_broken_file(compose: dict[str, Any]) -> None:
    schema = json.loads((FIXTURES / "compose-spec.json").read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(compose))
    broken["services"]["alloy"]["healthcheck"]["every"] = "5s"
    broken["services"]["grafana"]["depends_on"]["tempo"]["condition"] = "service_ready"
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(broken))) == 2


def test_interpolates_completely_with_the_generated_env(compose: dict[str, Any],
                                                        generated_env: dict[str, str]) -> None:
    resolved = interpolate(compose, generated_env)
    leftovers = [text for text in all_strings(resolved) if "${" in text]
    assert leftovers == []
    alloy_env = environment(resolved["services"]["alloy"])
    assert alloy_env["LANGFUSE_PUBLIC_KEY"] == generated_env["LANGFUSE_INIT_PROJECT_PUBLIC_KEY"]
    web_env = environment(resolved["services"]["langfuse-web"])
    assert web_env["DATABASE_URL"] == f"postgresql://postgres:{generated_env['POSTGRES_PASSWORD']}@postgres:5432/postgres"
    assert web_env["ENCRYPTION_KEY"] == generated_env["LANGFUSE_ENCRYPTION_KEY"]


def test_a_missing_env_fails_loudly(compose: dict[str, Any]) -> None:
    with pytest.raises(MissingVariable, match="run `ccotel init`"):
        interpolate(compose, {})


def test_every_published_port_is_on_loopback(compose: dict[str, Any], generated_env: dict[str, str]) -> None:
    resolved = interpolate(compose, generated_env)
    published = []
    for name, service in resolved["services"].items():
        for port in service.get("ports", []):
            assert isinstance(port, str), f"{name}: use the short 'IP:HOST:CONTAINER' form"
            host_ip = port.rsplit(":", 2)[0]
            assert ipaddress.ip_address(host_ip).is_loopback, f"{name} publishes {port}"
            published.append(name)
    assert {"alloy", "langfuse-web", "grafana"} <= set(published)


def test_no_secret_value_is_written_in_the_compose_files() -> None:
    for path in (COMPOSE, CLOUD):
        model = load_compose(path)
        for name, service in model["services"].items():
            values = dict(environment(service))
            if isinstance(service.get("command"), list):
                values.update({f"command[{i}]": part for i, part in enumerate(service["command"])
                               if "pass" in part.lower()})
            for key, value in values.items():
                if SECRET_KEY.search(key) and value not in ("", "false", "true"):
                    assert ONLY_REFERENCES.match(value), f"{path.name} {name}.{key} holds a literal: {value!r}"
        for reference in _references(model):
            if SECRET_KEY.search(reference[0]) and reference[1] in (":-", "-"):
                assert reference[2] == "", f"{path.name}: {reference[0]} has a default value"


def _references(model: Any) -> list[tuple[str, str | None, str]]:
    """The variables Compose interpolates: in the loaded values (comments are not interpolated)."""
    return [reference for text in all_strings(model) for reference in variable_references(text)]


def test_generated_secrets_are_required_with_the_loud_form(compose: dict[str, Any]) -> None:
    generated = set(re.findall(r"^# generate: \S+\n([A-Z][A-Z0-9_]*)=", ENV_TEMPLATE.read_text(encoding="utf-8"),
                               re.MULTILINE))
    references = _references(compose)
    used = {name for name, _, _ in references} & generated
    assert len(generated) >= 10 and used == generated, f"generated but unused: {sorted(generated - used)}"
    for name, op, message in references:
        if name in generated:
            assert op == ":?" and "ccotel init" in message, f"{name} must be ${{{name}:?…}}"


def test_images_are_pinned_in_one_block(compose: dict[str, Any]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    images = compose["x-images"]
    for service in compose["services"].values():
        assert service["image"] in images.values()
    assert re.findall(r"^\s+image:\s*(\S+)", text, re.MULTILINE) == [
        line for line in re.findall(r"^\s+image:\s*(\S+)", text, re.MULTILINE) if line.startswith("*image-")]
    for name, image in images.items():
        match = re.fullmatch(r"[\w./-]+:\$\{([A-Z_]+_VERSION):-([^}]+)\}", image)
        assert match, f"{name}: {image} is not <repository>:${{X_VERSION:-version}}"
        default = match[2]
        assert default != "latest" and re.search(r"\d", default), f"{name}: {default} is not a version"


def test_every_service_is_health_checked_and_dependencies_wait_for_health(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on must name its conditions"
        for dependency, rule in depends.items():
            assert dependency in compose["services"]
            assert rule["condition"] == "service_healthy", f"{name} -> {dependency}"
    assert set(compose["services"]["alloy"]["depends_on"]) == {"langfuse-web", "tempo", "loki", "prometheus"}


def test_alloy_runs_the_pipeline_directory_with_its_stability_level(compose: dict[str, Any]) -> None:
    alloy = compose["services"]["alloy"]
    assert "./alloy:/etc/alloy:ro" in alloy["volumes"]
    assert alloy["command"][-1] == "/etc/alloy"
    assert "--stability.level=experimental" in alloy["command"]
    storage = next(arg for arg in alloy["command"] if arg.startswith("--storage.path="))
    data_mount = next(volume for volume in alloy["volumes"] if volume.startswith("alloy-data:"))
    assert data_mount.split(":")[1] == storage.split("=", 1)[1], "the persistent queue must be on the volume"
    assert "--server.http.listen-addr=0.0.0.0:12345" in alloy["command"]


def test_volumes_are_named_and_declared(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    used = set()
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith(("./", "/")):
                assert source in {"./alloy", "./stack/alloy-logs", "./stack/tempo.yaml", "./stack/loki.yaml",
                                  "./stack/prometheus.yml", "./stack/prometheus/rules",
                                  "./stack/grafana/provisioning/datasources", "./stack/grafana/provisioning/dashboards",
                                  "./stack/grafana/dashboards", "/var/run/docker.sock"}, f"{name}: {volume}"
                if source.startswith("./"):
                    assert (REPO / source).exists(), f"{name} mounts missing {source}"
            else:
                used.add(source)
    assert used == declared
    for store in ("postgres", "clickhouse", "minio", "tempo", "loki", "prometheus", "grafana"):
        assert any(volume.split(":")[0] in declared for volume in compose["services"][store]["volumes"])


def test_logs_profile_adds_a_container_log_collector(compose: dict[str, Any]) -> None:
    default = active_services(compose, set())
    with_logs = active_services(compose, {"logs"})
    assert set(with_logs) - set(default) == {"alloy-logs"}
    collector = compose["services"]["alloy-logs"]
    assert "/var/run/docker.sock:/var/run/docker.sock:ro" in collector["volumes"]
    assert collector["depends_on"] == {"loki": {"condition": "service_healthy"}}
    assert set(default) == LOCAL_BACKENDS | {"alloy"}


def test_cloud_variant_leaves_the_local_backends_out(compose: dict[str, Any], cloud: dict[str, Any],
                                                     generated_env: dict[str, str]) -> None:
    merged = merge(compose, cloud)
    for profiles, expected in ((set(), {"alloy"}), ({"logs"}, {"alloy", "alloy-logs"})):
        running = active_services(merged, profiles)
        assert set(running) == expected
        for service in running.values():
            assert set(service.get("depends_on", {})) <= set(running), "depends on a service left out"
    env = dict(generated_env, LANGFUSE_CLOUD_BASE_URL="https://cloud.langfuse.com",
               GRAFANA_CLOUD_OTLP_ENDPOINT="https://otlp-gateway-prod-eu-west-2.grafana.net/otlp")
    alloy_env = environment(interpolate(merged, env)["services"]["alloy"])
    assert alloy_env["LANGFUSE_BASE_URL"] == "https://cloud.langfuse.com"
    assert alloy_env["TEMPO_ENDPOINT"] == alloy_env["LOKI_ENDPOINT"] == env["GRAFANA_CLOUD_OTLP_ENDPOINT"]
    assert alloy_env["LANGFUSE_PUBLIC_KEY"] == ""  # Cloud keys come from LANGFUSE_CLOUD_*, unset here
    assert "alloy" in merged["services"] and "ports" in merged["services"]["alloy"]


def _sys_env_names(paths: list[Path]) -> set[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Call) and dotted_name(node.func) == ["sys", "env"]:
            argument = node.args[0]
            assert isinstance(argument, Literal), f"sys.env with a computed name at {node.pos}"
            names.add(str(argument.value))
        if isinstance(node, list | tuple):
            for item in node:
                walk(item)
        elif hasattr(node, "__dataclass_fields__"):
            for field in node.__dataclass_fields__:
                walk(getattr(node, field))

    for path in paths:
        module = parse_file(path)
        assert module.errors == [], f"{path}: {module.errors}"
        walk(module)
    return names


def _alloy_files() -> list[Path]:
    files = sorted((REPO / "alloy").glob("*.alloy"))
    assert files, "alloy/*.alloy is missing"
    return files


def test_the_alloy_service_gets_every_variable_the_pipeline_reads(compose: dict[str, Any],
                                                                  cloud: dict[str, Any]) -> None:
    read = _sys_env_names(_alloy_files())
    assert {"LANGFUSE_PUBLIC_KEY", "TEMPO_ENDPOINT"} <= read, "the sys.env scan found nothing"
    # Left unset on purpose in the local stack: local Tempo, Loki and Prometheus take no credentials, and
    # LANGFUSE_HOST is only the older name of LANGFUSE_BASE_URL.
    unset_locally = {"TEMPO_USERNAME", "TEMPO_PASSWORD", "LOKI_USERNAME", "LOKI_PASSWORD", "PROMETHEUS_USERNAME",
                     "PROMETHEUS_PASSWORD", "LANGFUSE_HOST"}
    local = set(environment(compose["services"]["alloy"]))
    assert read - unset_locally <= local, f"not passed to Alloy: {sorted(read - unset_locally - local)}"
    in_cloud = set(environment(merge(compose, cloud)["services"]["alloy"]))
    assert read - {"LANGFUSE_HOST"} <= in_cloud, f"not passed in the cloud variant: {sorted(read - in_cloud)}"
    logs = _sys_env_names(sorted((REPO / "stack" / "alloy-logs").glob("*.alloy")))
    assert logs and logs <= set(environment(compose["services"]["alloy-logs"]))


def test_every_compose_variable_is_in_the_env_template() -> None:
    template = ENV_TEMPLATE.read_text(encoding="utf-8")
    assigned = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", template, re.MULTILINE))
    for path in (COMPOSE, CLOUD):
        for name, _, _ in _references(load_compose(path)):
            if name.endswith("_VERSION"):
                assert name in template, f"{name} is not mentioned in .env.example's versions section"
            else:
                assert name in assigned, f"{path.name} reads {name}, which .env.example does not set"


def test_the_container_log_collector_config_passes_the_pipeline_checker() -> None:
    from ccotel.collector.pipeline.check import check_directory

    report = check_directory(REPO / "stack" / "alloy-logs", env_example=ENV_TEMPLATE,
                             min_stability="general-availability")
    assert [str(finding) for finding in report.findings] == []
    assert len(report.files) == 1
