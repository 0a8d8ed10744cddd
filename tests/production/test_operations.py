"""Operations on the production processes (issue 24): a real `uvicorn` app and a real `huey_consumer` on PostgreSQL,
Redis and S3.

- The worker process serves its own metrics (bearer token) and its counters move by exactly the jobs it ran.
- One request id, given at the edge, is in the web process's and the worker's log lines of that design, and both
  write JSON lines in production.
- No secret is in any log line: passwords, the JWT and its secret, the S3 and metrics keys, the demo claim token,
  the presigned-URL signature.
"""
from __future__ import annotations

import json
import re
import secrets
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import S3_SECRET_KEY, free_port
from tests.production.stack import PASSWORD

pytestmark = pytest.mark.production

TOKEN = secrets.token_hex(16)


def samples(text: str) -> dict:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_request_id_and_metrics_across_web_and_worker(pg_module_database, make_stack):
    worker_port = free_port()
    stack = make_stack(pg_module_database, METRICS_TOKEN=TOKEN)
    stack.start_consumer(WORKER_METRICS_PORT=worker_port, WORKER_METRICS_HOST="127.0.0.1")
    stack.start_app()
    try:
        user, headers = stack.user(deposit=10)
        request_id = f"drill-{uuid.uuid4().hex}"
        r = stack.client.post("/api/generations", json={"prompt": "торт с ягодами", "quality": "fast"},
                              headers={**headers, "X-Request-ID": request_id})
        assert r.status_code == 202, r.text
        assert r.headers["x-request-id"] == request_id
        created = r.json()
        assert stack.row(created["id"])["request_id"] == request_id
        done = stack.wait_status(created["id"], headers)
        assert done["status"] == "succeeded", done
        # A presigned URL (its signature must not be logged either) and a forged request id: replaced, not echoed.
        shown = stack.client.get(done["images"][0]["url"], headers={**headers, "X-Request-ID": "bad id; drop table"})
        assert shown.status_code in (302, 307), shown.text
        assert re.fullmatch(r"[0-9a-f]{32}", shown.headers["x-request-id"])
        signature = re.search(r"X-Amz-Signature=([0-9a-f]+)", shown.headers["location"]).group(1)
        demo = httpx.post(f"{stack.url}/api/demo/generations", json={"prompt": "торт с безе"}, timeout=30)
        assert demo.status_code == 202, demo.text
        claim_token = demo.json()["claim_token"]
        assert stack.client.post("/api/demo/claim", json={"claim_token": claim_token},
                                 headers=headers).status_code == 200
        stack.wait_status(demo.json()["id"], headers)

        # The worker's own metrics: refused without the token, exact counts with it.
        url = f"http://127.0.0.1:{worker_port}/metrics"
        assert httpx.get(url, timeout=10).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
        worker = samples(httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text)
        assert worker[("tortodelova_jobs_finished_total", (("status", "succeeded"),))] == 2
        assert worker[("tortodelova_job_stage_duration_seconds_count", (("stage", "denoise"),))] == 2
        assert worker[("tortodelova_model_load_seconds", (("model", "generator"),))] > 0
        assert worker[("tortodelova_model_load_seconds", (("model", "translator"),))] > 0
        assert worker[("process_resident_memory_bytes", ())] > 50 * 2**20
        web = samples(stack.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text)
        assert web[("tortodelova_jobs_submitted_total", (("quality", "fast"),))] == 1  # the demo is not a sale
        assert web[("tortodelova_credits_charged_total", ())] == created["cost"]
        assert web[("tortodelova_queue_depth", ())] == 0
        assert stack.client.get("/metrics").status_code == 401
        token = headers["Authorization"].split()[1]
    finally:
        stack.stop()

    app_lines = stack.app_log.read_text(errors="replace").splitlines()
    worker_lines = stack.consumers[0].log_path.read_text(errors="replace").splitlines()

    def ours(lines):
        return [json.loads(line) for line in lines if request_id in line]

    web_records, worker_records = ours(app_lines), ours(worker_lines)
    assert any(created["id"] in record["message"] for record in web_records), app_lines[-20:]
    assert any(created["id"] in record["message"] for record in worker_records), worker_lines[-20:]
    assert all(record["request_id"] == request_id for record in web_records + worker_records)
    assert {"time", "level", "logger", "message"} <= set(worker_records[0])
    # Every line the service itself writes is one JSON object (library chatter on stderr aside).
    for line in app_lines + worker_lines:
        if '"logger": "tortodelova' in line or '"logger": "jobs' in line or '"logger": "huey' in line:
            json.loads(line)

    everything = "\n".join(app_lines + worker_lines)
    for secret in (PASSWORD, token, stack.env["JWT_SECRET"], S3_SECRET_KEY, TOKEN, claim_token, signature):
        assert secret not in everything, f"a secret is in the logs: {secret[:6]}…"
