"""`/metrics` of the web process (issue 24): refused without the bearer token, absent when METRICS_TOKEN is unset,
valid Prometheus text (parsed by prometheus_client's own parser), and counters that move by exactly what the test
did: jobs submitted by quality, credits charged and refunded, jobs finished, requests by route template, queue depth
read from the database at scrape time. Real app, real database (SQLite and PostgreSQL), real in-process Huey worker
with the tiny models."""
from __future__ import annotations

import secrets

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.stack import Stack

TOKEN = secrets.token_hex(16)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(params=["local"])
def storage_settings(request):
    return {}


def scrape(client) -> dict[tuple[str, tuple], float]:
    r = client.get("/metrics", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_absent_without_a_configured_token(make_settings, database_url):
    from tortodelova.server import build_services, create_app

    services = build_services(make_settings(database_url=database_url))
    try:
        with TestClient(create_app(services=services, ui=False)) as client:
            assert client.get("/metrics").status_code == 404
            assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    finally:
        services.engine.dispose()


def test_metrics_refused_without_the_right_token(make_settings, database_url):
    from tortodelova.server import build_services, create_app

    services = build_services(make_settings(database_url=database_url, metrics_token=TOKEN))
    try:
        with TestClient(create_app(services=services, ui=False)) as client:
            for headers in ({}, {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": TOKEN},
                            {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer"}):
                r = client.get("/metrics", headers=headers)
                assert r.status_code == 401, (headers, r.status_code)
                assert "токен" in r.json()["detail"] and TOKEN not in r.text
            assert "tortodelova_http_requests_total" in client.get("/metrics", headers=AUTH).text
            assert "/metrics" not in client.get("/api/openapi.json").text
    finally:
        services.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL: tests/production/test_operations
def test_counters_move_by_exactly_the_jobs_run(make_settings, database_url, tiny_models_dir):
    settings = make_settings(database_url=database_url, models_dir=tiny_models_dir, require_models=True,
                             metrics_token=TOKEN)
    stack = Stack(settings, consumer=False)
    try:
        headers = stack.user(deposit=100)
        before = scrape(stack.client)

        # One job cancelled while queued (charged, then refunded), then three run by the worker.
        r = stack.client.post("/api/generations", headers=headers, json={"prompt": "торт с безе", "quality": "fast"})
        assert r.status_code == 202, r.text
        cancelled = r.json()
        middle = scrape(stack.client)
        assert value(middle, "tortodelova_queue_depth") == 1
        assert value(middle, "tortodelova_queue_oldest_age_seconds") >= 0
        assert stack.client.post(f"/api/generations/{cancelled['id']}/cancel", headers=headers).status_code == 200

        bodies = [{"prompt": "торт с мастикой", "quality": "fast", "variants": 2},
                  {"prompt": "шоколадный торт", "quality": "standard"}]
        created = []
        for body in bodies:
            r = stack.client.post("/api/generations", headers=headers, json=body)
            assert r.status_code == 202, r.text
            created.append(r.json())
        stack.start_consumer()
        finished = [stack.wait(item["id"], headers) for item in created]
        assert [item["status"] for item in finished] == ["succeeded"] * 2
        after = scrape(stack.client)
    finally:
        stack.close()

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("tortodelova_jobs_submitted_total", quality="fast") == 2
    assert moved("tortodelova_jobs_submitted_total", quality="standard") == 1
    charged = cancelled["cost"] + sum(item["cost"] for item in created)
    assert moved("tortodelova_credits_charged_total") == charged
    assert moved("tortodelova_credits_refunded_total") == cancelled["cost"]
    # The embedded worker is a thread of this process: its job metrics are here too.
    assert moved("tortodelova_jobs_finished_total", status="succeeded") == 2
    assert moved("tortodelova_job_duration_seconds_count") == 2
    for stage in ("prepare", "encode", "denoise", "decode", "store", "finish"):
        assert moved("tortodelova_job_stage_duration_seconds_count", stage=stage) == 2, stage
    assert moved("tortodelova_denoise_step_seconds_count", quality="fast") == 1
    assert value(after, "tortodelova_queue_depth") == 0
    # Requests are counted by route template (never by raw id), with their status.
    assert moved("tortodelova_http_requests_total", method="POST", route="/api/generations", status="202") == 3
    assert moved("tortodelova_http_requests_total", method="POST", route="/api/generations/{generation_id}/cancel",
                 status="200") == 1
    assert not any(item["id"] in str(key) for key in after for item in created)
    assert value(after, "process_resident_memory_bytes") > 0
