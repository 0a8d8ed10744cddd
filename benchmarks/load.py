"""Load on the web app: N simulated users against one app process, latency per route.

    python -m benchmarks.load                                  # 20 users, 30 s, embedded SQLite + SqliteHuey
    python -m benchmarks.load --users 20 --duration 30 --postgres --redis
    python -m benchmarks.load --url http://127.0.0.1:8000 --users 50 --duration 60   # an app already running

Every simulated user registers, signs in, orders one fast design, then until the end polls its status, lists its
gallery, checks its balance and, once the design is ready, downloads the image, with a short think time between
requests (while the design is not ready, half of them poll its status). Without `--url` the script starts one
`uvicorn tortodelova.server:create_app --factory` process and one `huey_consumer jobs.huey` worker on the tiny models (built once into .cache/tiny-models, as the tests do), all on
loopback, and stops them at the end. Only loopback addresses are accepted: this is not a tool to load other hosts.

The run is bounded by `--duration` and `--max-requests`, whichever comes first. Printed: requests, errors (HTTP
status >= 400 or no answer), requests/s and p50/p95/p99 latency per route, and the totals.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import ipaddress
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
TINY_SOURCES = ("tortodelova/testing/tiny.py", "tortodelova/testing/tiny_translator.py")
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "нагрузка-торт-123"
PROMPT = "двухъярусный торт с мастикой цвета пыльной розы и живыми цветами"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="concurrent simulated users (default 20)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="stop after this many requests")
    parser.add_argument("--think", type=float, default=0.1, help="mean pause between a user's requests, s")
    parser.add_argument("--url", help="an app already running on loopback (then nothing is started)")
    parser.add_argument("--postgres", action="store_true",
                        help=f"a fresh PostgreSQL database on {PG_ADMIN_URL} (dropped afterwards)")
    parser.add_argument("--redis", action="store_true", help=f"RedisHuey on {REDIS_URL} with a private queue name")
    parser.add_argument("--models-dir", type=Path, help="default: the tiny models, built if missing")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.users < 1 or args.duration <= 0 or args.max_requests < 1:
        parser.error("--users, --duration and --max-requests must be positive")
    if args.url and not is_loopback(args.url):
        parser.error(f"--url must be a loopback address (127.0.0.1, ::1, localhost), not {args.url}")
    return args


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------- measuring
@dataclass
class Route:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


class Recorder:
    def __init__(self, max_requests: int, deadline: float):
        self.routes: dict[str, Route] = defaultdict(Route)
        self.max_requests, self.deadline = max_requests, deadline
        self.count = 0
        self.error_samples: dict[str, str] = {}

    @property
    def done(self) -> bool:
        return self.count >= self.max_requests or time.monotonic() >= self.deadline

    async def call(self, client: httpx.AsyncClient, route: str, method: str, url: str, **kwargs):
        self.count += 1
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
            await response.aread()
        except httpx.HTTPError as exc:
            self.routes[route].latencies.append(time.perf_counter() - started)
            self.routes[route].errors += 1
            self.error_samples.setdefault(route, f"{exc.__class__.__name__}: {exc}")
            return None
        self.routes[route].latencies.append(time.perf_counter() - started)
        if response.status_code >= 400:
            self.routes[route].errors += 1
            self.error_samples.setdefault(route, f"{response.status_code} {response.text[:200]}")
        return response


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def report(recorder: Recorder, wall: float) -> str:
    header = f"{'route':<44} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    lines = [header, "-" * len(header)]
    everything: list[float] = []
    errors = 0
    for route in sorted(recorder.routes):
        stats = recorder.routes[route]
        values = sorted(stats.latencies)
        everything.extend(values)
        errors += stats.errors
        lines.append(_row(route, values, stats.errors, wall))
    lines.append("-" * len(header))
    lines.append(_row("all", sorted(everything), errors, wall))
    for route, sample in recorder.error_samples.items():
        lines.append(f"first error on {route}: {sample}")
    return "\n".join(lines)


def _row(route: str, values: list[float], errors: int, wall: float) -> str:
    ms = [percentile(values, q) * 1000 for q in (50, 95, 99)]
    return (f"{route:<44} {len(values):>8} {errors:>6} {len(values) / wall:>7.1f} "
            f"{ms[0]:>8.1f} {ms[1]:>8.1f} {ms[2]:>8.1f}")


# ---------------------------------------------------------------- one simulated user
async def simulated_user(base: str, recorder: Recorder, rng: random.Random, think: float) -> None:
    async def pause():
        await asyncio.sleep(rng.expovariate(1 / think) if think > 0 else 0)

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        email = f"load-{uuid.uuid4().hex[:12]}@example.com"
        r = await recorder.call(client, "POST /api/auth/register", "POST", "/api/auth/register",
                                json={"email": email, "password": PASSWORD})
        if r is None or r.status_code != 201:
            return
        r = await recorder.call(client, "POST /api/auth/login", "POST", "/api/auth/login",
                                json={"email": email, "password": PASSWORD})
        if r is None or r.status_code != 200:
            return
        client.cookies.clear()
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        r = await recorder.call(client, "POST /api/generations", "POST", "/api/generations",
                                json={"prompt": PROMPT, "quality": "fast"})
        generation_id = r.json()["id"] if r is not None and r.status_code == 202 else None
        status = "queued"
        while not recorder.done:
            await pause()
            choice = rng.random()
            if generation_id and status not in ("succeeded", "failed", "cancelled") and choice < 0.5:
                r = await recorder.call(client, "GET /api/generations/{id}", "GET", f"/api/generations/{generation_id}")
                if r is not None and r.status_code == 200:
                    status = r.json()["status"]
            elif status == "succeeded" and choice < 0.4:
                await recorder.call(client, "GET /api/generations/{id}/images/0/download", "GET",
                                    f"/api/generations/{generation_id}/images/0/download")
            elif choice < 0.8:
                await recorder.call(client, "GET /api/generations (gallery)", "GET", "/api/generations?limit=20")
            else:
                await recorder.call(client, "GET /api/me/balance", "GET", "/api/me/balance")


async def run_load(base: str, args: argparse.Namespace) -> tuple[Recorder, float]:
    recorder = Recorder(args.max_requests, time.monotonic() + args.duration)
    started = time.monotonic()
    await asyncio.gather(*(simulated_user(base, recorder, random.Random(args.seed * 1000 + i), args.think)
                           for i in range(args.users)))
    return recorder, time.monotonic() - started


# ---------------------------------------------------------------- the app under test
def tiny_models_dir() -> Path:
    digest = hashlib.sha256()
    for source in TINY_SOURCES:
        digest.update((ROOT / source).read_bytes())
    target = ROOT / ".cache" / "tiny-models" / digest.hexdigest()[:16]  # the same cache as the tests
    if not target.is_dir():
        from download_models import main as download_models_main

        building = target.with_name(f"{target.name}.building-{os.getpid()}")
        if download_models_main(["--tiny", "--models-dir", str(building)]) != 0:
            raise SystemExit("could not build the tiny models")
        building.rename(target)
    return target


class App:
    """One uvicorn process and one huey_consumer on loopback, with their own data folder (and database)."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="tortodelova-load-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.pg_database: str | None = None

    def env(self) -> dict:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("TORTODELOVA_", "DATABASE_", "REDIS_", "S3_", "QUEUE_"))}
        env.update({
            "TORTODELOVA_ENV": "production", "JWT_SECRET": secrets.token_hex(32),
            "PUBLIC_URL": "https://load.example.test",  # required in production since issue 10
            "DATA_DIR": str(self.workdir / "data"), "MODELS_DIR": str(self.args.models_dir or tiny_models_dir()),
            "QUEUE_NAME": f"load-{uuid.uuid4().hex[:8]}", "PYTHONUNBUFFERED": "1",
        })
        if self.args.postgres:
            env["DATABASE_URL"] = self._create_database()
        if self.args.redis:
            env["REDIS_URL"] = REDIS_URL
        return env

    def _create_database(self) -> str:
        from sqlalchemy import create_engine, text

        self.pg_database = f"tortodelova_load_{uuid.uuid4().hex[:10]}"
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.pg_database}"'))
        engine.dispose()
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.pg_database}"

    def start(self) -> None:
        env = self.env()
        logs = self.workdir
        self._spawn([sys.executable, "-m", "uvicorn", "tortodelova.server:create_app", "--factory", "--host",
                     "127.0.0.1", "--port", str(self.port), "--no-access-log"], env, logs / "app.log")
        worker_type = "process" if self.args.redis else "thread"
        self._spawn([sys.executable, "-m", "huey.bin.huey_consumer", "jobs.huey", "-k", worker_type, "-w", "1",
                     "-g", "TERM", "-t", "30"], env, logs / "worker.log")
        wait_for_app(self.url, self.procs[0], logs / "app.log", timeout=120)

    def _spawn(self, command: list[str], env: dict, log: Path) -> None:
        with open(log, "wb") as out:
            self.procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                               start_new_session=True))

    def stop(self) -> None:
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(20)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        if self.pg_database:
            from sqlalchemy import create_engine, text

            engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)'))
            engine.dispose()
        shutil.rmtree(self.workdir, ignore_errors=True)


def wait_for_app(url: str, proc: subprocess.Popen, log: Path, *, timeout: float) -> None:
    """Poll `{url}/health` until the app answers 200; stop early, pointing at its log, if the process died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit(f"the app did not start; see {log}")
        time.sleep(0.3)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = None
    if args.url:
        base = args.url.rstrip("/")
    else:
        app = App(args)
        print(f"starting the app and one worker (logs in {app.workdir}) ...", flush=True)
        app.start()
        base = app.url
    try:
        backends = ("PostgreSQL" if args.postgres else "SQLite") + " + " + ("Redis" if args.redis else "SqliteHuey")
        print(f"{args.users} users, {args.duration:g} s, at most {args.max_requests} requests, think "
              f"{args.think:g} s, against {base}" + ("" if args.url else f" ({backends}, local image store)"),
              flush=True)
        load_before = os.getloadavg()[0]
        recorder, wall = asyncio.run(run_load(base, args))
        print(report(recorder, wall))
        print(f"wall {wall:.1f} s; load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f} "
              f"({os.cpu_count()} CPUs)")
    finally:
        if app is not None:
            app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
