"""The two-replica drill (issue 24), without Docker, on loopback: two `uvicorn` app replicas and two `huey_consumer`
workers on PostgreSQL, Redis (RedisHuey) and S3, behind Debian's nginx running docker/nginx.conf itself (only the
upstream addresses, the listen port and the file paths swapped). A REST load runs through the proxy; one replica is
SIGKILLed mid-run. Then:

- no request is lost beyond those in flight on the killed replica: every failed answer (nginx's 502, or an answer
  cut mid-body) is for a request nginx had sent to that replica before the kill (nginx's JSON access log, joined on
  our X-Request-ID), and there are no more of them than requests in flight;
- no credits are lost: every balance equals its ledger, every generation is charged once and refunded at most once;
- every job finished exactly once: every generation row is final (the accepted ones succeeded), each was claimed
  once, and the workers' own `tortodelova_jobs_finished_total` adds up to the number of generations;
- Gradio paths are sticky: one browser (one `tortodelova_route` cookie) always reaches the same replica; a real
  Chromium session through the proxy (page, the free demo ordered and polled to its picture through Gradio's queue
  join and event stream and a worker) works while both replicas are up, all of it on one replica.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import free_port
from tests.production.stack import PASSWORD, REPO, Stack, kill_group, wait_for

pytestmark = pytest.mark.production

TOKEN = secrets.token_hex(16)
CONCURRENCY = 8
LOAD_SECONDS = 24
KILL_AFTER_SECONDS = 8
MAX_GENERATIONS = 8
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def nginx_config(ports: list[int], listen: int, prefix: Path) -> str:
    """docker/nginx.conf with the marked lines swapped for loopback and the temp prefix."""
    lines = []
    for line in (REPO / "docker" / "nginx.conf").read_text().splitlines():
        if "# drill: servers" in line:
            if "server 127.0.0.1" not in "".join(lines[-2:]):
                lines += [f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in ports]
            continue
        line = {
            "# drill: pid": f"pid {prefix}/nginx.pid;",
            "# drill: access_log": f"    access_log {prefix}/access.log tortodelova;",
            "# drill: listen": f"        listen 127.0.0.1:{listen};",
        }.get(next((tag for tag in ("# drill: pid", "# drill: access_log", "# drill: listen") if tag in line), ""),
              line)
        if line.startswith("worker_processes"):
            line = "worker_processes 1;"
        lines.append(line)
        if line.strip() == "http {":
            lines += [f"    {name}_temp_path {prefix}/{name};" for name in
                      ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")]
    text = "\n".join(lines) + "\n"
    if os.geteuid() == 0:
        text = "user root;\n" + text
    return text


def scrape(url: str) -> dict:
    text = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.fixture
def nginx_binary():
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        from tests.conftest import skip_or_fail

        skip_or_fail("nginx is not installed (apt-get install nginx; .ci/run installs it)")
    return binary


def test_two_replicas_behind_nginx_lose_nothing_when_one_dies(pg_module_database, make_stack, nginx_binary, capsys):
    if not Path(CHROMIUM).exists():
        from tests.conftest import skip_or_fail

        skip_or_fail(f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium")
    stack = make_stack(pg_module_database, METRICS_TOKEN=TOKEN)
    worker_ports = [free_port(), free_port()]
    for port in worker_ports:
        stack.start_consumer(WORKER_METRICS_PORT=port, WORKER_METRICS_HOST="127.0.0.1")
    stack.start_app()  # first: it migrates the database
    second = Stack(workdir=stack.workdir, env=stack.env, bucket=stack.bucket, s3_endpoint=stack.s3_endpoint)
    second._logs = 10
    second.start_app()
    replicas = {stack.port: stack, second.port: second}

    prefix = Path(tempfile.mkdtemp(prefix="tortodelova-nginx-"))
    listen = free_port()
    (prefix / "nginx.conf").write_text(nginx_config(list(replicas), listen, prefix))
    test = subprocess.run([nginx_binary, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"],
                          capture_output=True, text=True, timeout=30)
    assert test.returncode == 0, test.stderr
    proxy = subprocess.Popen([nginx_binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr",
                              "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=open(prefix / "error.log", "wb"),
                             start_new_session=True)
    url = f"http://127.0.0.1:{listen}"
    try:
        wait_for(lambda: _ok(f"{url}/health"), timeout=30, what="nginx to answer",
                 details=lambda: (prefix / "error.log").read_text())
        ui_replica = _ui_flow_in_chromium(url, prefix)
        report = asyncio.run(_drill(url, stack, second, replicas))
        generations = _settle(stack, report)
        worker_finished = sum(scrape(f"http://127.0.0.1:{port}/metrics").get(
            ("tortodelova_jobs_finished_total", (("status", status),)), 0)
            for port in worker_ports for status in ("succeeded", "failed", "cancelled"))
        _keep_artifacts(f"{second.url}/metrics", [f"http://127.0.0.1:{port}/metrics" for port in worker_ports])
    finally:
        kill_group(proxy, signal.SIGQUIT)
        second.stop()
    log = {}
    for line in (prefix / "access.log").read_text().splitlines():
        entry = json.loads(line)
        log[entry["request_id"]] = entry
    shutil.rmtree(prefix, ignore_errors=True)

    records, killed_port, killed_at = report["records"], report["killed_port"], report["killed_at"]
    log_tail = [r for r in records if r["status"] not in r["expected"]][:5]
    failed = [r for r in records if r["status"] not in r["expected"]]
    # Nothing lost beyond the requests in flight on the killed replica when it died.
    for record in failed:
        entry = log.get(record["request_id"])
        assert entry is not None, record
        started = entry["msec"] - entry["request_time"]
        # 502 (nginx had sent it and got no answer) or a cut answer (the replica died mid-body: nginx had already
        # passed on its 200 and closes the connection, the client sees a transport error)
        assert f":{killed_port}" in entry["upstream"].split(",")[-1], (record, entry, log_tail)
        assert record["status"] == 502 or isinstance(record["status"], str), (record, entry)
        assert started <= killed_at + 0.05, (record, entry, killed_at)
    assert len(failed) <= CONCURRENCY, failed
    # Both replicas served before the kill, only the survivor after it; nginx kept answering throughout.
    upstreams = Counter(entry["upstream"].split(",")[-1].strip().rsplit(":", 1)[-1]
                        for entry in log.values() if entry["uri"].startswith("/api/"))
    assert all(upstreams[str(port)] > 0 for port in replicas), upstreams
    after = [r for r in records if r["started"] > killed_at + 0.5]
    assert after and all(r["status"] in r["expected"] for r in after)
    # The Chromium session (page, Gradio queue join, its event stream) stayed on one replica.
    ui_entries = [entry for entry in log.values() if entry["route"] == ui_replica["cookie"]]
    assert len({entry["upstream"] for entry in ui_entries}) == 1 and len(ui_entries) >= 5, (ui_entries, ui_replica)
    assert any(entry["uri"] == "/gradio_api/queue/join" for entry in ui_entries)
    # Gradio paths: one browser, one replica (its cookie), before and after.
    for browser in report["browsers"]:
        # (the replica that answered: the last address when nginx first found the dead one refusing)
        served = {log[rid]["upstream"].split(",")[-1].strip() for rid in browser if rid in log}
        assert len(served) == 1, served

    # Credits and jobs: exactly once.
    stack.assert_ledgers_agree()
    accepted = [r for r in records if r["path"] == "/api/generations" and r["status"] == 202]
    assert accepted and all(generations[r["generation_id"]]["status"] == "succeeded" for r in accepted)
    assert all(row["status"] in ("succeeded", "failed") and row["attempts"] == 1 for row in generations.values())
    for generation_id, row in generations.items():
        kinds = stack.transaction_kinds(generation_id)
        if row["is_demo"]:  # the browser's free demo: never charged
            assert kinds == [] and row["status"] == "succeeded", (row, kinds)
            continue
        assert kinds == (["charge"] if row["status"] == "succeeded" else ["charge", "refund"]), (row, kinds)
        assert len(row["image_keys"]) == (row["variants"] if row["status"] == "succeeded" else 0)
    assert worker_finished == len(generations)

    with capsys.disabled():
        print(f"\n[drill] requests {len(records)} (after the kill {len(after)}), failed in flight on the killed "
              f"replica {len(failed)}, lost 0; generations accepted {len(accepted)}, in the database "
              f"{len(generations)}, finished by the workers {int(worker_finished)}; per replica {dict(upstreams)}; "
              f"{report['seconds']:.1f} s")


def _ui_flow_in_chromium(url: str, prefix: Path) -> dict:
    """A visitor's browser through the proxy while both replicas are up: the page loads, the free demo design is
    ordered and polled to its picture through Gradio's queue (join + event stream, which only work when they reach
    the same replica) and a worker."""
    from playwright.sync_api import expect, sync_playwright

    requests = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"], headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
            context.set_default_timeout(60_000)
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(url + "/", wait_until="domcontentloaded", timeout=120_000)
            expect(page.locator("#demo-create")).to_be_visible(timeout=120_000)
            page.locator("#demo-prompt textarea").fill("двухъярусный торт с мастикой и ягодами")
            page.locator("#demo-create").click()
            expect(page.locator("#demo-gallery img").first).to_be_visible(timeout=150_000)
            page.screenshot(path=str(prefix / "ui-through-nginx.png"))
            cookie = next(c["value"] for c in context.cookies() if c["name"] == "tortodelova_route")
            keep = os.environ.get("TORTODELOVA_DRILL_ARTIFACTS")
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(prefix / "ui-through-nginx.png", Path(keep) / "ui-through-nginx.png")
        finally:
            browser.close()
    assert any("/gradio_api/queue/join" in request for request in requests), requests[-10:]
    return {"cookie": cookie, "requests": sum(1 for request in requests if request.startswith(url))}


def _keep_artifacts(web: str, workers: list[str]) -> None:
    """With TORTODELOVA_DRILL_ARTIFACTS=DIR, the surviving replica's and the workers' /metrics are saved there."""
    folder = os.environ.get("TORTODELOVA_DRILL_ARTIFACTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for name, url in [("web", web), *((f"worker-{i}", u) for i, u in enumerate(workers, 1))]:
        text = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
        (Path(folder) / f"{name}.prom").write_text(text)


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


async def _drill(url: str, stack: Stack, second: Stack, replicas: dict) -> dict:
    records: list[dict] = []
    state = {"generations": 0}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        async def call(method, path, *, expected=(200,), **kwargs):
            request_id = f"drill-{uuid.uuid4().hex}"
            headers = {**kwargs.pop("headers", {}), "X-Request-ID": request_id}
            record = {"method": method, "path": path, "request_id": request_id, "expected": expected,
                      "started": time.time()}
            try:
                response = await client.request(method, path, headers=headers, **kwargs)
                record["status"] = response.status_code
            except httpx.HTTPError as exc:
                response, record["status"] = None, type(exc).__name__
            record["ended"] = time.time()
            records.append(record)
            return record, response

        chefs = []
        for _ in range(3):
            email = f"chef-{uuid.uuid4().hex[:10]}@example.com"
            record, r = await call("POST", "/api/auth/register", expected=(201,),
                                   json={"email": email, "password": PASSWORD})
            assert r.status_code == 201, r.text
            record, r = await call("POST", "/api/auth/login", json={"email": email, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            await call("POST", "/api/me/deposit", json={"amount": 50}, headers=headers)
            chefs.append(headers)

        browsers = []
        async def browse(rounds):
            async with httpx.AsyncClient(base_url=url, timeout=30) as browser:
                ids = []
                for _ in range(rounds):
                    request_id = uuid.uuid4().hex
                    r = await browser.get("/", headers={"X-Request-ID": request_id})
                    assert r.status_code == 200 and "tortodelova_route" in browser.cookies
                    ids.append(request_id)
                browsers.append(ids)

        started = time.monotonic()
        await asyncio.gather(*(browse(3) for _ in range(4)))
        killed = {}

        async def loop(worker: int):
            rng = random.Random(worker)
            while time.monotonic() - started < LOAD_SECONDS:
                headers = chefs[worker % len(chefs)]
                roll = rng.random()
                if roll < 0.15 and state["generations"] < MAX_GENERATIONS:
                    state["generations"] += 1
                    record, r = await call("POST", "/api/generations", expected=(202,), headers=headers,
                                           json={"prompt": "торт с малиной", "quality": "fast"})
                    if r is not None and r.status_code == 202:
                        record["generation_id"] = r.json()["id"]
                elif roll < 0.6:
                    await call("GET", "/api/me/balance", headers=headers)
                elif roll < 0.9:
                    await call("GET", "/api/generations?limit=5", headers=headers)
                else:
                    await call("GET", "/api/styles")

        async def killer():
            await asyncio.sleep(KILL_AFTER_SECONDS)
            killed["at"] = time.time()
            await asyncio.to_thread(kill_group, stack.app, signal.SIGKILL)

        await asyncio.gather(killer(), *(loop(i) for i in range(CONCURRENCY)))
        await browse(2)  # a new browser after the kill still gets one replica
    return {"records": records, "killed_port": stack.port, "killed_at": killed["at"], "browsers": browsers,
            "seconds": time.monotonic() - started}


def _settle(stack: Stack, report: dict) -> dict:
    """Wait until no generation is queued or running; return every generation row by id."""
    from sqlalchemy import text

    def settled():
        with stack.engine.connect() as conn:
            busy = conn.execute(text("SELECT COUNT(*) FROM generations WHERE status IN ('queued', 'running')"))
            return busy.scalar_one() == 0

    wait_for(settled, timeout=150, interval=0.5, what="every generation to finish", details=stack.logs)
    with stack.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM generations")).mappings().all()
    return {row["id"]: dict(row) for row in rows}
