"""Faults against the real processes: a worker SIGKILLed mid-job, Redis restarted with jobs queued, S3 cut during
the upload, a worker stopped with SIGTERM mid-job. Whatever happens, a job ends succeeded and charged once, or
failed/cancelled and refunded exactly once, and the ledger agrees with every balance.

STEP_DELAY_SECONDS makes each denoising step last a second, so a test can act while a job is mid-run."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from urllib.parse import urlsplit

import pytest
import redis

from tests.production.stack import TcpProxy, wait_for

pytestmark = pytest.mark.production

REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
               "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]
FAST = {"prompt": "торт с клубникой и безе", "quality": "fast"}  # 5 credits, 4 steps


@pytest.fixture(scope="module")
def s3_proxy(s3_server):
    proxy = TcpProxy(s3_server)
    proxy.up()
    yield proxy
    proxy.down()


@pytest.fixture(scope="module")
def stack(pg_module_database, make_stack, s3_proxy):
    # App and workers reach S3 through the proxy, so one test can cut it.
    stack = make_stack(pg_module_database, s3_endpoint=s3_proxy.address, STEP_DELAY_SECONDS="1")
    # Two workers: when one is killed, the other (already warm) can take the job over.
    stack.start_consumer()
    stack.start_consumer()
    stack.start_app()
    yield stack
    stack.stop()


def submit(stack, headers, **body) -> dict:
    r = stack.client.post("/api/generations", headers=headers, json={**FAST, **body})
    assert r.status_code == 202, r.text
    return r.json()


def wait_mid_run(stack, generation_id, headers) -> dict:
    """Until the job is denoising (past translation, before storing), then its DB row."""
    stack.wait_status(generation_id, headers, ("running",), timeout=180,
                      predicate=lambda body: 0.05 < body["progress"] < 0.9)
    return stack.row(generation_id)


def worker_pid(row) -> int:
    return int(row["worker"].rsplit(":", 1)[1])


def balance(stack, headers) -> int:
    return stack.client.get("/api/me/balance", headers=headers).json()["balance"]


def sweep_until(stack, key, **settings) -> dict:
    """Run the sweeper (as its periodic task would) until it reports something under `key`."""
    return wait_for(lambda: (report := stack.sweep(**settings))[key] and report, timeout=60, interval=0.5,
                    what=f"the sweeper to report {key}", details=stack.logs)


def test_sigkill_mid_job_is_rerun_on_another_worker_and_charged_once(stack):
    _, headers = stack.user()  # 30
    job = submit(stack, headers)
    row = wait_mid_run(stack, job["id"], headers)
    killed = worker_pid(row)
    assert any(killed in consumer.worker_pids() for consumer in stack.consumers)
    os.kill(killed, signal.SIGKILL)

    report = sweep_until(stack, "requeued", stale_after_seconds=3, max_attempts=2)
    assert report == {"requeued": [job["id"]], "failed": [], "reenqueued": []}
    done = stack.wait_status(job["id"], headers, timeout=180)
    assert done["status"] == "succeeded", done
    row = stack.row(job["id"])
    assert row["attempts"] == 2 and worker_pid(row) != killed
    assert stack.transaction_kinds(job["id"]) == ["charge"]
    assert balance(stack, headers) == 25
    stack.assert_ledgers_agree()


def test_sigkill_mid_job_with_one_attempt_fails_with_one_refund(stack):
    _, headers = stack.user()
    job = submit(stack, headers)
    row = wait_mid_run(stack, job["id"], headers)
    os.kill(worker_pid(row), signal.SIGKILL)

    report = sweep_until(stack, "failed", stale_after_seconds=3, max_attempts=1)
    assert report == {"requeued": [], "failed": [job["id"]], "reenqueued": []}
    done = stack.generation(job["id"], headers)
    assert done["status"] == "failed" and "Кредиты возвращены" in done["error"]
    assert stack.sweep(stale_after_seconds=0, max_attempts=1) == {"requeued": [], "failed": [], "reenqueued": []}
    assert stack.transaction_kinds(job["id"]) == ["charge", "refund"]
    assert balance(stack, headers) == 30
    stack.assert_ledgers_agree()


def restartable_redis(redis_server: str) -> None:
    """Skip (with the reason printed) unless this is the machine's Redis that REDIS_START brings back."""
    reason = None
    if urlsplit(redis_server).port != 6379 or urlsplit(redis_server).hostname not in ("127.0.0.1", "localhost"):
        reason = f"Redis at {redis_server} is not the local one on 6379 that this test knows how to restart"
    elif shutil.which("redis-server") is None or not os.path.isdir("/var/lib/redis"):
        reason = "no redis-server binary or /var/lib/redis here: cannot bring Redis back after stopping it"
    if reason:
        print(f"\nSKIP: {reason}")
        pytest.skip(reason)


def test_redis_restart_with_jobs_queued_loses_none_and_charges_once(stack, redis_server):
    restartable_redis(redis_server)
    _, headers = stack.user(deposit=20)  # 50
    # Two long jobs keep both workers busy so that the next ones wait in Redis; cancelled afterwards.
    blockers = [submit(stack, headers, quality="standard") for _ in range(2)]
    for blocker in blockers:
        wait_mid_run(stack, blocker["id"], headers)
    queued = [submit(stack, headers) for _ in range(2)]
    from jobs.tasks import HueyQueue, make_huey, register_tasks

    settings = stack.settings()
    queue = HueyQueue(register_tasks(make_huey(settings), settings))
    assert {job["id"] for job in queued} <= queue.pending_generation_ids()

    client = redis.Redis.from_url(redis_server)
    try:
        try:
            client.shutdown(nosave=True)
        except redis.ConnectionError:
            pass  # the server closes the connection as it goes
        wait_for(lambda: not _redis_up(client), timeout=30, what="Redis to stop")
        # Redis down: the API stays up and refuses a new job with 503, refunding it.
        r = stack.client.post("/api/generations", headers=headers, json=FAST)
        assert r.status_code == 503 and "кредиты возвращены" in r.json()["detail"], r.text
        assert balance(stack, headers) == 20
    finally:
        subprocess.run(REDIS_START, check=True, timeout=30)
        wait_for(lambda: _redis_up(client), timeout=30, what="Redis to come back")

    assert not queue.pending_generation_ids()  # the queue was lost with the restart
    report = sweep_until(stack, "reenqueued", requeue_after_seconds=0)
    assert set(report["reenqueued"]) == {job["id"] for job in queued}
    for blocker in blockers:
        assert stack.client.post(f"/api/generations/{blocker['id']}/cancel", headers=headers).status_code == 200
    for job in blockers:
        done = stack.wait_status(job["id"], headers, timeout=180)
        assert done["status"] == "cancelled" and stack.transaction_kinds(job["id"]) == ["charge", "refund"]
    for job in queued:
        done = stack.wait_status(job["id"], headers, timeout=180)
        assert done["status"] == "succeeded", done
        assert stack.transaction_kinds(job["id"]) == ["charge"]
    assert balance(stack, headers) == 40
    stack.assert_ledgers_agree()


def _redis_up(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def test_s3_unreachable_during_upload_fails_cleanly_with_one_refund(stack, s3_proxy):
    user, headers = stack.user()  # 30
    job = submit(stack, headers)
    wait_mid_run(stack, job["id"], headers)
    try:
        s3_proxy.down()
        done = stack.wait_status(job["id"], headers, timeout=120)
        assert done["status"] == "failed" and "хранилище" in done["error"], done
        assert stack.transaction_kinds(job["id"]) == ["charge", "refund"]
        assert balance(stack, headers) == 30
        # The API stays up and says what is down.
        health = stack.client.get("/api/health")
        assert health.status_code == 200 and health.json()["storage"] == "unavailable"
        assert stack.client.get("/api/generations", headers=headers).json()["total"] == 1
    finally:
        s3_proxy.up()

    # Nothing half-written is left in the bucket, and the next job goes through.
    assert not list(stack.minio().list_objects(stack.bucket, prefix=f"users/{user['id']}/", recursive=True))
    again = submit(stack, headers)
    done = stack.wait_status(again["id"], headers, timeout=120)
    assert done["status"] == "succeeded", done
    png = stack.client.get(done["images"][0]["download_url"], headers=headers)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert balance(stack, headers) == 25
    stack.assert_ledgers_agree()


def test_sigterm_mid_job_finishes_the_job_before_the_worker_exits(stack):
    _, headers = stack.user()
    job = submit(stack, headers)
    pid = worker_pid(wait_mid_run(stack, job["id"], headers))
    consumer = next(consumer for consumer in stack.consumers if pid in consumer.worker_pids())
    consumer.proc.send_signal(signal.SIGTERM)  # what `docker stop` sends to the consumer
    assert consumer.proc.wait(60) == 0
    # The consumer exited only after the job reached a final state: never charged and unfinished.
    done = stack.generation(job["id"], headers)
    assert done["status"] == "succeeded", done
    assert stack.transaction_kinds(job["id"]) == ["charge"]
    assert "Shutting down gracefully" in consumer.log_path.read_text()
    stack.assert_ledgers_agree()
