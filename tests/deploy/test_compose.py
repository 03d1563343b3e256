"""The shape of docker-compose.yml and deploy/Dockerfile.

No Docker engine runs where these tests do, so they read the files instead of starting them:
every service is there, knows how it starts, what it is told and how its health is judged,
and every module, file and dependency the compose file names exists.
"""

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERFILE_IN_COMPOSE = "deploy/Dockerfile"

# Infrastructure runs from published images whose own entrypoint knows how to start them.
INFRASTRUCTURE_IMAGES = {
    "kafka": "apache/kafka",
    "postgres": "postgres",
    "temporal": "temporalio/auto-setup",
    "temporal-ui": "temporalio/ui",
    "mailpit": "axllent/mailpit",
    "otel-collector": "otel/opentelemetry-collector-contrib",
    "jaeger": "jaegertracing/all-in-one",
}
# HTTP services and the port each serves on.
HTTP_SERVICES = {"intake": 8000, "cases": 8001, "referrals": 8002, "notifications": 8003}
# Long-running Ombuds processes: they must wait for the migrations.
APP_SERVICES = [*HTTP_SERVICES, "worker"]
# Everything built from deploy/Dockerfile.
BUILT_SERVICES = ["migrate", *APP_SERVICES]
ONE_SHOT = "migrate"
EXPECTED_SERVICES = {*INFRASTRUCTURE_IMAGES, *BUILT_SERVICES}
EXPECTED_HOST_PORTS = {8000, 8001, 8002, 8003, 7233, 8233}
SERVICE_DATABASES = {name: f"ombuds_{name}" for name in HTTP_SERVICES}


def _load_compose() -> dict[str, Any]:
    with COMPOSE_FILE.open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    assert isinstance(loaded, dict), "docker-compose.yml is not a mapping"
    return loaded


COMPOSE = _load_compose()
SERVICES: dict[str, dict[str, Any]] = COMPOSE.get("services") or {}


def _service(name: str) -> dict[str, Any]:
    assert name in SERVICES, f"service {name!r} missing from docker-compose.yml"
    return SERVICES[name]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """The environment as a mapping, whichever of the two Compose spellings is used."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    if command is None:
        return []
    if isinstance(command, str):
        return shlex.split(command)
    return [str(part) for part in command]


def _depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: {"condition": "service_started"} for name in deps}
    return {name: spec or {"condition": "service_started"} for name, spec in deps.items()}


def _published_ports(service: dict[str, Any]) -> set[tuple[int, int]]:
    """(host port, container port) pairs; a port with no fixed host port is not counted."""
    published: set[tuple[int, int]] = set()
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            if entry.get("published") is not None:
                published.add((int(entry["published"]), int(entry["target"])))
            continue
        parts = str(entry).split("/", 1)[0].split(":")
        if len(parts) >= 2 and parts[-2]:
            published.add((int(parts[-2]), int(parts[-1])))
    return published


def _healthcheck_test(service: dict[str, Any]) -> list[str]:
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, str):
        return ["CMD-SHELL", test]
    return [str(part) for part in test or []]


def _option(command: list[str], flag: str) -> str:
    assert flag in command, f"{flag} missing from {command}"
    return command[command.index(flag) + 1]


def _package_dir(package: str) -> Path:
    """Where a workspace package's source lives."""
    name = package.removeprefix("ombuds_")
    if name == "workflows":
        return ROOT / "workflows" / "src" / package
    if name == "shared":
        return ROOT / "shared" / "src" / package
    return ROOT / "services" / name / "src" / package


def test_compose_file_uses_the_compose_spec_without_a_version_key() -> None:
    assert "version" not in COMPOSE
    assert isinstance(COMPOSE.get("services"), dict)


def test_every_expected_service_is_defined() -> None:
    missing = EXPECTED_SERVICES - SERVICES.keys()
    assert not missing, f"services missing: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(INFRASTRUCTURE_IMAGES))
def test_infrastructure_service_runs_its_known_image(name: str) -> None:
    service = _service(name)
    assert "build" not in service, f"{name} should run a published image, not a build"
    image = service.get("image")
    assert image, f"{name} has no image"
    repository, _, tag = str(image).rpartition(":")
    assert repository == INFRASTRUCTURE_IMAGES[name]
    assert tag, f"{name} should pin its image tag, got {image!r}"
    assert tag != "latest", f"{name} should pin its image tag, got {image!r}"


@pytest.mark.parametrize("name", BUILT_SERVICES)
def test_ombuds_service_is_built_from_the_dockerfile_and_has_a_command(name: str) -> None:
    service = _service(name)
    build = service.get("build")
    assert isinstance(build, dict), f"{name} must be built from {DOCKERFILE_IN_COMPOSE}"
    assert build.get("context") == "."
    assert build.get("dockerfile") == DOCKERFILE_IN_COMPOSE
    assert (ROOT / build["context"] / build["dockerfile"]).is_file()
    assert _command(service), f"{name} has no command: the image's default only prints help"


def test_every_service_is_either_infrastructure_or_built_here() -> None:
    unknown = SERVICES.keys() - EXPECTED_SERVICES
    assert not unknown, f"services with no known way to start: {sorted(unknown)}"


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICES))
def test_every_service_has_an_environment(name: str) -> None:
    env = _environment(_service(name))
    assert env, f"{name} has no environment"
    assert all(value.strip() for value in env.values()), f"{name} has empty variables: {env}"


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICES - {ONE_SHOT}))
def test_every_long_running_service_has_a_healthcheck(name: str) -> None:
    test = _healthcheck_test(_service(name))
    assert test, f"{name} has no healthcheck test"
    assert test[0] in {"CMD", "CMD-SHELL"}, f"{name}: healthcheck test is disabled ({test})"
    assert len(test) > 1, f"{name}: healthcheck test has no command"
    assert all(part.strip() for part in test[1:])


def test_the_one_shot_migration_is_awaited_by_every_app_service() -> None:
    migrate = _service(ONE_SHOT)
    assert migrate.get("restart", "no") == "no", "a one-shot must not be restarted"
    for name in APP_SERVICES:
        condition = _depends_on(_service(name)).get(ONE_SHOT, {}).get("condition")
        assert condition == "service_completed_successfully", (
            f"{name} must wait for {ONE_SHOT} to complete successfully, not {condition!r}"
        )


def test_migrate_runs_every_services_migrations_and_stops_at_the_first_failure() -> None:
    migrate = _service(ONE_SHOT)
    script = " ".join(_command(migrate))
    for name in HTTP_SERVICES:
        assert f"python -m ombuds_{name}.migrate" in script, f"{name} migrations not run"
    fails_fast = "set -e" in script or script.count("&&") >= len(HTTP_SERVICES) - 1
    assert fails_fast, "a failed migration must fail the migrate service"
    env = _environment(migrate)
    for name, database in SERVICE_DATABASES.items():
        assert env.get(f"{name.upper()}_DATABASE_URL", "").endswith(f"/{database}")
    assert _depends_on(migrate).get("postgres", {}).get("condition") == "service_healthy"


def test_every_depends_on_target_exists_and_healthy_means_a_healthcheck() -> None:
    for name, service in SERVICES.items():
        for target, spec in _depends_on(service).items():
            assert target in SERVICES, f"{name} depends on unknown service {target!r}"
            if spec.get("condition") == "service_healthy":
                assert _healthcheck_test(SERVICES[target]), (
                    f"{name} waits for {target} to be healthy, but it has no healthcheck"
                )
            if spec.get("condition") == "service_completed_successfully":
                assert target == ONE_SHOT, f"{name} waits for {target} to exit"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_waits_for_kafka_and_temporal(name: str) -> None:
    deps = _depends_on(_service(name))
    for target in ("kafka", "temporal"):
        assert deps.get(target, {}).get("condition") == "service_healthy", (
            f"{name} must wait for {target} to be healthy"
        )


def test_notifications_waits_for_the_mail_server() -> None:
    deps = _depends_on(_service("notifications"))
    assert deps.get("mailpit", {}).get("condition") == "service_healthy"
    assert _environment(_service("notifications")).get("SMTP_URL") == "smtp://mailpit:1025"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_is_pointed_at_kafka_and_temporal(name: str) -> None:
    env = _environment(_service(name))
    assert env.get("KAFKA_BOOTSTRAP_SERVERS") == "kafka:9092"
    assert env.get("TEMPORAL_ADDRESS") == "temporal:7233"
    assert env.get("OMBUDS_ENV") in {"development", "test", "production"}
    assert env.get("OTEL_EXPORTER_OTLP_ENDPOINT") == "http://otel-collector:4318"
    assert env.get("CASES_DEV_STAFF_TOKEN"), "the staff token must be set explicitly"


@pytest.mark.parametrize("name", sorted(SERVICE_DATABASES))
def test_http_service_has_its_own_postgres_database(name: str) -> None:
    url = _environment(_service(name)).get(f"{name.upper()}_DATABASE_URL", "")
    assert url == f"postgresql://ombuds:ombuds@postgres:5432/{SERVICE_DATABASES[name]}"
    assert _depends_on(_service(name)), f"{name} starts before its dependencies"


def test_postgres_init_script_creates_every_database_the_stack_uses() -> None:
    mounts = [str(volume) for volume in _service("postgres").get("volumes") or []]
    init_mounts = [mount for mount in mounts if "/docker-entrypoint-initdb.d" in mount]
    assert init_mounts, "postgres has no init script mounted"
    init_sql = (ROOT / init_mounts[0].split(":", 1)[0]).resolve()
    assert init_sql == ROOT / "deploy" / "postgres" / "init.sql"
    created = set(re.findall(r"CREATE DATABASE\s+(\w+)", init_sql.read_text(), re.IGNORECASE))
    temporal_env = _environment(_service("temporal"))
    needed = {
        *SERVICE_DATABASES.values(),
        temporal_env.get("DBNAME", "temporal"),
        temporal_env.get("VISIBILITY_DBNAME", "temporal_visibility"),
    }
    assert needed <= created, f"init.sql does not create {sorted(needed - created)}"


def test_temporal_runs_on_the_compose_postgres() -> None:
    temporal = _service("temporal")
    env = _environment(temporal)
    postgres_env = _environment(_service("postgres"))
    assert env.get("DB") == "postgres12"
    assert env.get("POSTGRES_SEEDS") == "postgres"
    assert env.get("POSTGRES_USER") == postgres_env.get("POSTGRES_USER")
    assert env.get("POSTGRES_PWD") == postgres_env.get("POSTGRES_PASSWORD")
    assert _depends_on(temporal).get("postgres", {}).get("condition") == "service_healthy"
    assert _environment(_service("temporal-ui")).get("TEMPORAL_ADDRESS") == "temporal:7233"


@pytest.mark.parametrize("name", ["kafka", "postgres", "temporal", "mailpit"])
def test_infrastructure_healthcheck_probes_the_service_itself(name: str) -> None:
    probe = " ".join(_healthcheck_test(_service(name)))
    expected = {
        "kafka": "/opt/kafka/bin/kafka-broker-api-versions.sh",
        "postgres": "pg_isready",
        "temporal": "cluster health",
        "mailpit": "readyz",
    }[name]
    assert expected in probe, f"{name} healthcheck {probe!r} does not use {expected!r}"


def test_kafka_advertises_the_address_the_services_use() -> None:
    env = _environment(_service("kafka"))
    assert "broker" in env.get("KAFKA_PROCESS_ROLES", "")
    assert "controller" in env.get("KAFKA_PROCESS_ROLES", "")
    assert "PLAINTEXT://kafka:9092" in env.get("KAFKA_ADVERTISED_LISTENERS", "")
    assert env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE") == "true"


@pytest.mark.parametrize(("name", "port"), sorted(HTTP_SERVICES.items()))
def test_http_service_serves_checks_and_publishes_the_same_port(name: str, port: int) -> None:
    service = _service(name)
    command = _command(service)
    assert command[0] == "uvicorn"
    assert command[1] == f"ombuds_{name}.main:create_app"
    assert "--factory" in command
    assert _option(command, "--host") == "0.0.0.0"
    assert int(_option(command, "--port")) == port
    assert (port, port) in _published_ports(service)
    probe = " ".join(_healthcheck_test(service))
    assert "urllib" in probe, f"{name}: the image has no curl, probe with Python"
    assert f"http://127.0.0.1:{port}/healthz" in probe


def test_uvicorn_modules_exist_in_the_workspace() -> None:
    served = {}
    for name, service in SERVICES.items():
        command = _command(service)
        if command[:1] == ["uvicorn"]:
            served[name] = command[1].split(".", 1)[0]
    assert set(served) == set(HTTP_SERVICES), f"uvicorn runs in {sorted(served)}"
    for package in served.values():
        service_name = package.removeprefix("ombuds_")
        package_dir = ROOT / "services" / service_name / "src" / package
        assert package_dir.is_dir(), f"{package} has no directory {package_dir}"


def test_every_module_named_in_a_command_exists_in_the_workspace() -> None:
    named = {
        match
        for service in SERVICES.values()
        for match in re.findall(r"\b(ombuds_[a-z_]+)\.\w+", " ".join(_command(service)))
    }
    assert "ombuds_workflows" in named
    for package in named:
        assert _package_dir(package).is_dir(), f"{package} has no directory"


def test_worker_runs_the_workflow_worker_and_checks_its_process() -> None:
    worker = _service("worker")
    assert _command(worker) == ["python", "-m", "ombuds_workflows.worker"]
    test = _healthcheck_test(worker)
    # Through a shell, `pgrep -f` would match the shell's own command line and always pass.
    assert test[:2] == ["CMD", "pgrep"], f"worker healthcheck must exec pgrep, got {test}"
    assert any("ombuds_workflows" in part for part in test[2:]), test


def test_required_ports_are_published() -> None:
    host_ports = {host for service in SERVICES.values() for host, _ in _published_ports(service)}
    missing = EXPECTED_HOST_PORTS - host_ports
    assert not missing, f"ports not published: {sorted(missing)}"


def test_bind_mounted_files_exist() -> None:
    for name, service in SERVICES.items():
        for volume in service.get("volumes") or []:
            source = str(volume).split(":", 1)[0] if isinstance(volume, str) else ""
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_otel_collector_receives_otlp_http_and_exports_to_jaeger() -> None:
    collector = _service("otel-collector")
    mounts = [str(v).split(":")[0] for v in collector.get("volumes") or []]
    assert "./deploy/otel-collector.yaml" in mounts
    config = yaml.safe_load((ROOT / "deploy" / "otel-collector.yaml").read_text())
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    pipeline = config["service"]["pipelines"]["traces"]
    assert "otlp" in pipeline["receivers"]
    exporters = [name for name in pipeline["exporters"] if name.split("/")[0] == "otlp"]
    assert exporters, "traces are not exported over OTLP"
    endpoint = config["exporters"][exporters[0]]["endpoint"]
    resolved = re.sub(
        r"\$\{env:(\w+)\}", lambda m: _environment(collector).get(m.group(1), ""), endpoint
    )
    assert resolved.startswith("jaeger:"), f"collector exports to {resolved!r}, not Jaeger"
    assert (16686, 16686) in _published_ports(_service("jaeger"))


def test_dockerfile_builds_one_non_root_image_from_the_lock() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert len(stages) >= 2, "the Dockerfile should be multi-stage"
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, re.MULTILINE)
    images = [base.group(1) if base and s == "${PYTHON_IMAGE}" else s for s in stages]
    assert all(image == "python:3.11-slim" for image in images), images
    assert re.search(r"pip install \"?uv", text)
    # The last sync installs the workspace members too, not only their dependencies.
    syncs = re.findall(r"^RUN uv sync (.*)$", text, re.MULTILINE)
    assert syncs, "the Dockerfile never runs uv sync"
    assert syncs[-1].split() == ["--frozen", "--no-dev"], syncs[-1]
    for copied in ("pyproject.toml", "uv.lock", "shared/", "services/", "workflows/"):
        assert copied in text, f"the Dockerfile does not copy {copied}"
    assert "deploy/devstack/" in text
    assert "procps" in text, "the worker healthcheck needs pgrep"
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users, "the image must switch to a non-root user"
    assert users[-1] not in {"root", "0"}, "the image must not run as root"
    assert "ENV PATH=/app/.venv/bin:$PATH" in text
    assert re.search(r"^CMD\s", text, re.MULTILINE)
