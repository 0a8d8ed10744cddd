"""Container health check for the tortodelova image (used by the Dockerfile HEALTHCHECK and docker-compose.yml).

    python docker/healthcheck.py [web|worker]

Without an argument the role is read from the running processes, so the image's one HEALTHCHECK fits both
commands: `web` asks the app's /health, `worker` pings Redis and checks that the models are on the volume
(a worker without models would fail every job). A one-off command (migrate, create-admin) counts as healthy.
Exit 0 = healthy, 1 = unhealthy, with the reason on stdout (shown by `docker inspect`).
"""
from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

WEB_URL = "http://127.0.0.1:8000/health"


def detect_role(proc: Path = Path("/proc")) -> str | None:
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        names = {os.path.basename(arg.decode(errors="replace")) for arg in argv[:3]}
        if "uvicorn" in names:
            return "web"
        if "huey_consumer" in names:
            return "worker"
    return None


def check_web(url: str = WEB_URL) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
    except OSError as exc:  # URLError, HTTPError and timeouts are all OSError
        return f"{url}: {exc}"
    if body.get("status") != "ok":
        return f"{url} answered {body!r}"
    return None


def check_worker(env: dict[str, str]) -> str | None:
    import redis

    from tortodelova.pipeline.models import check_models

    try:
        redis.Redis.from_url(env["REDIS_URL"], socket_timeout=5).ping()
    except redis.RedisError as exc:
        return f"Redis: {exc}"
    status = check_models(env.get("MODELS_DIR", "/models"))
    if not status.ok:
        return "models missing in {}: {} (run: docker compose --profile setup run --rm models)".format(
            env.get("MODELS_DIR", "/models"), ", ".join(status.missing))
    return None


def main(argv: list[str]) -> int:
    role = argv[1] if len(argv) > 1 else detect_role()
    if role == "web":
        problem = check_web()
    elif role == "worker":
        problem = check_worker(dict(os.environ))
    elif role is None:
        return 0
    else:
        print(f"unknown role {role!r}; expected 'web' or 'worker'")
        return 1
    if problem:
        print(problem)
        return 1
    print(f"{role}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
