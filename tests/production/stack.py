"""The pieces of a production-shaped deployment for tests: processes started in their own process groups (killed
with the whole group), the `Stack` (one uvicorn app + huey_consumer workers + the test's views of its database
and bucket), a TCP proxy that can cut S3, and a throwaway PostgreSQL cluster that can be stopped and started."""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from tests.helpers import free_port, port_open

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "кремовый-торт-123"


# ---------------------------------------------------------------- waiting and processes
def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.1, details=lambda: ""):
    """Poll until `predicate()` is truthy and return it; fail with `what` (and `details()`) after `timeout`.
    The timeout is a safety net against hangs, never the thing under test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{details()}")
        time.sleep(interval)


def start_process(args: list[str], *, env: dict, log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the process's whole group (its forked workers too), then reap the leader."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(15)


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return f"--- {path.name} ---\n" + "\n".join(text[-lines:])


def service_env(values: dict) -> dict:
    """The process environment without any tortodelova setting inherited from the shell, plus `values`."""
    from tortodelova.config import Settings

    ours = {name.upper() for name in Settings.model_fields} | {
        "TORTODELOVA_ENV", "TORTODELOVA_ADMIN_EMAIL", "TORTODELOVA_ADMIN_PASSWORD"}
    env = {key: value for key, value in os.environ.items() if key.upper() not in ours}
    env.update({key: str(value) for key, value in values.items() if value is not None})
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Consumer:
    """`huey_consumer jobs.huey -k process -w 1 -g TERM -t 30`, as in production."""

    def __init__(self, proc: subprocess.Popen, log_path: Path):
        self.proc, self.log_path = proc, log_path

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def worker_pids(self) -> set[int]:
        """The forked worker processes (children of the consumer) that run the jobs."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return {int(pid) for pid in children.read_text().split()}
        except OSError:
            return set()


class Stack:
    """One deployment: env, app process, consumers, and the test's views of its database and bucket."""

    def __init__(self, *, workdir: Path, env: dict, bucket: str, s3_endpoint: str):
        self.workdir, self.env, self.bucket, self.s3_endpoint = workdir, env, bucket, s3_endpoint
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app: subprocess.Popen | None = None
        self.consumers: list[Consumer] = []
        self.client = httpx.Client(base_url=self.url, timeout=60)
        self._engine = None
        self._logs = 0

    # -- processes
    def _log(self, name: str) -> Path:
        self._logs += 1
        return self.workdir / f"{self._logs:02d}-{name}.log"

    def start_app(self, timeout: float = 90) -> None:
        self.app_log = self._log("app")
        self.app = start_process(
            [sys.executable, "-m", "uvicorn", "tortodelova.server:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"],
            env=service_env(self.env), log_path=self.app_log)
        wait_for(lambda: self.app.poll() is not None or self._up(), timeout=timeout, what="the app to start",
                 interval=0.2, details=self.logs)
        assert self.app.poll() is None, f"the app exited\n{self.logs()}"

    def _up(self) -> bool:
        try:
            return self.client.get("/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def start_consumer(self, **overrides) -> Consumer:
        log_path = self._log("worker")
        proc = start_process(
            [sys.executable, "-m", "huey.bin.huey_consumer", "jobs.huey", "-k", "process", "-w", "1",
             "-g", "TERM", "-t", "30"],
            env=service_env({**self.env, **overrides}), log_path=log_path)
        consumer = Consumer(proc, log_path)
        self.consumers.append(consumer)
        return consumer

    def stop(self) -> None:
        """Kill every process of this stack (idempotent)."""
        self.client.close()  # first: uvicorn's graceful stop waits for open keep-alive connections
        for consumer in self.consumers:
            kill_group(consumer.proc)
        if self.app is not None:
            kill_group(self.app, signal.SIGTERM)
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def logs(self) -> str:
        paths = sorted(self.workdir.glob("*.log"))
        return "\n".join(log_tail(path) for path in paths)

    # -- the test's own views: settings, database, bucket
    def settings(self, **overrides):
        from tortodelova.config import Settings

        values = {key.lower(): value for key, value in self.env.items()
                  if key not in ("TORTODELOVA_ENV", "TORTODELOVA_ADMIN_EMAIL", "TORTODELOVA_ADMIN_PASSWORD")}
        values.update(overrides)
        return Settings(**values)

    @property
    def engine(self):
        if self._engine is None:
            from sqlalchemy import create_engine

            self._engine = create_engine(self.env["DATABASE_URL"])
        return self._engine

    def row(self, generation_id: str) -> dict:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return dict(conn.execute(text("SELECT * FROM generations WHERE id = :id"),
                                     {"id": generation_id}).mappings().one())

    def transaction_kinds(self, generation_id: str) -> list[str]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return sorted(conn.scalars(text("SELECT kind FROM transactions WHERE generation_id = :id"),
                                       {"id": generation_id}).all())

    def assert_ledgers_agree(self) -> None:
        """For every user: balance == sum of the ledger, and never below zero."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT u.id, u.balance, COALESCE(SUM(t.amount), 0) AS ledger FROM users u "
                "LEFT JOIN transactions t ON t.user_id = u.id GROUP BY u.id, u.balance")).all()
        assert rows
        wrong = [(user_id, balance, ledger) for user_id, balance, ledger in rows if balance != ledger or balance < 0]
        assert not wrong, f"(user, balance, ledger) out of agreement: {wrong}"

    def minio(self):
        from minio import Minio

        from tests.helpers import S3_ACCESS_KEY, S3_SECRET_KEY

        return Minio(self.s3_endpoint, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False,
                     region="us-east-1")

    def sweep(self, **overrides) -> dict:
        """Run the periodic `sweep` task's body now, with these settings (e.g. max_attempts=1)."""
        from jobs.tasks import make_huey, register_tasks

        tasks = register_tasks(make_huey(self.settings(**overrides)), self.settings(**overrides))
        try:
            return tasks.sweep.call_local()
        finally:
            tasks.worker_context().session_factory.kw["bind"].dispose()

    # -- the HTTP side
    def user(self, *, deposit: int = 0) -> tuple[dict, dict]:
        email = f"chef-{uuid.uuid4().hex[:10]}@example.com"
        r = self.client.post("/api/auth/register", json={"email": email, "password": PASSWORD})
        assert r.status_code == 201, r.text
        headers = self.login(email, PASSWORD)
        if deposit:
            r = self.client.post("/api/me/deposit", json={"amount": deposit}, headers=headers)
            assert r.status_code == 200, r.text
        return self.client.get("/api/me", headers=headers).json(), headers

    def login(self, email: str, password: str) -> dict:
        r = self.client.post("/api/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        self.client.cookies.clear()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def generation(self, generation_id: str, headers: dict) -> dict:
        r = self.client.get(f"/api/generations/{generation_id}", headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    def wait_status(self, generation_id: str, headers: dict, statuses=("succeeded", "failed", "cancelled"),
                    timeout: float = 120, predicate=lambda body: True) -> dict:
        def reached():
            body = self.generation(generation_id, headers)
            return body if body["status"] in statuses and predicate(body) else None

        return wait_for(reached, timeout=timeout, interval=0.1, details=self.logs,
                        what=f"generation {generation_id} to reach {statuses}")


# ---------------------------------------------------------------- fault injection helpers
class TcpProxy:
    """A loopback TCP forwarder that can be cut (`down()`: connections refused, open ones reset) and restored.

    Put between the app/worker and S3, it makes S3 unreachable for real, mid-job, without touching the S3 server
    other tests use."""

    def __init__(self, target: str):
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl) on a free port in a temporary folder, so a test can stop
    and start "the database" without touching the machine's server that others use."""

    def __init__(self):
        bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        self.bindir = Path(bindirs[-1]) if bindirs else None
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="tortodelova-pg-"))
        self.data = self.root / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def available(self) -> str | None:
        if self.bindir is None or not (self.bindir / "initdb").exists():
            return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            return "running as root without `runuser` to start PostgreSQL as the postgres user"
        return None

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    @property
    def running(self) -> bool:
        return port_open("127.0.0.1", self.port)

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)
