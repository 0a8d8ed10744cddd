"""The worker through a real in-process Huey consumer with the tiny models, on SQLite and PostgreSQL: exactly one refund
on a failure at any step, cancel of a running job, latent previews, batching of look-alike jobs.
(Moved from tests/jobs/test_flow.py.)"""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.generation.helpers import kinds, ledger_ok
from tests.helpers import wait_until
from tortodelova.billing import service as billing
from tortodelova.generation.models import Generation
from tortodelova.generation.worker import WorkerContext
from tortodelova.storage import ObjectMissing, StorageUnavailable


class FaultyTranslator:
    def __init__(self, real):
        self.real = real

    def translate(self, texts):
        raise RuntimeError("translator crashed (injected)")


class FaultyGenerator:
    def __init__(self, real):
        self.real = real
        self.tokenizer = real.tokenizer

    def __call__(self, request, callback=None):
        callback(1, 4, None)
        raise RuntimeError("CUDA error: out of memory (injected)")


class FaultyStore:
    """The real store that stops accepting writes after `after` successful puts."""

    def __init__(self, real, after=1):
        self.real, self.after = real, after

    def __getattr__(self, name):
        return getattr(self.real, name)

    def put(self, key, data, content_type="image/png"):
        if self.after <= 0:
            raise StorageUnavailable()
        self.after -= 1
        self.real.put(key, data, content_type)


def faulty_context(step):
    def factory(settings):
        ctx = WorkerContext(settings)
        if step == "translate":
            ctx.models.inject(translator=FaultyTranslator(ctx.translator))
        elif step == "generate":
            ctx.models.inject(generator=FaultyGenerator(ctx.generator))
        elif step == "store":
            ctx.store = FaultyStore(ctx.store, after=1)
        return ctx
    return factory


@pytest.mark.parametrize("step", ["translate", "generate", "store"])
def test_failure_at_each_step_refunds_exactly_once(make_stack, step):
    stack = make_stack(context_factory=faulty_context(step))
    headers = stack.user(deposit=40)
    r = stack.client.post("/api/generations", headers=headers, json={"prompt": "торт с ягодами", "variants": 2,
                                                                     "quality": "fast"})
    generation_id = r.json()["id"]
    done = stack.wait(generation_id, headers)
    assert done["status"] == "failed"
    assert "Кредиты возвращены" in done["error"]
    assert done["images"] == []
    assert kinds(stack, generation_id) == ["charge", "refund"]
    assert ledger_ok(stack, headers)["balance"] == 70
    # The partial upload (the first image when storage failed on the second) is gone from storage too.
    with stack.services.session() as session:
        owner = session.get(Generation, generation_id).user_id
    key = f"users/{owner}/{generation_id}/0.png"
    with pytest.raises(ObjectMissing):
        stack.services.store.get(key)
    # Finishing it again changes nothing: the refund is once.
    from tortodelova.generation import service

    with stack.services.session() as session:
        assert service.finish_failed(session=session, generation_id=generation_id, error="again") is False
        assert billing.refund(session=session, generation_id=generation_id, reason="again") is None
        session.commit()
    assert kinds(stack, generation_id) == ["charge", "refund"]


def test_cancel_running_stops_at_next_step(make_stack):
    stack = make_stack(step_delay_seconds=0.3)
    headers = stack.user()
    generation_id = stack.client.post("/api/generations", headers=headers,
                                      json={"prompt": "торт", "quality": "standard"}).json()["id"]
    running = stack.wait(generation_id, headers, statuses=("running",))
    assert running["status"] == "running"
    wait_until(lambda: stack.client.get(f"/api/generations/{generation_id}", headers=headers).json()["progress"] > 0.05,
               timeout=30, message="no progress past the translation")
    r = stack.client.post(f"/api/generations/{generation_id}/cancel", headers=headers)
    assert r.status_code == 200
    done = stack.wait(generation_id, headers)
    assert done["status"] == "cancelled" and done["progress"] < 0.9
    assert kinds(stack, generation_id) == ["charge", "refund"]
    assert ledger_ok(stack, headers)["balance"] == stack.settings.welcome_credits


def test_preview_while_running(make_stack):
    stack = make_stack(step_delay_seconds=0.2)
    headers = stack.user()
    generation_id = stack.client.post("/api/generations", headers=headers,
                                      json={"prompt": "торт", "quality": "standard"}).json()["id"]

    def preview():
        r = stack.client.get(f"/api/generations/{generation_id}/preview", headers=headers)
        return r if r.status_code == 200 else None

    r = wait_until(preview, timeout=60, message="no preview seen")
    assert Image.open(io.BytesIO(r.content)).size == (256, 256)  # previews are drawn small (shown ≤ 320 px)
    assert stack.wait(generation_id, headers)["status"] == "succeeded"
    # The stage timings are kept with the parameters (benchmarks.service reads them to break the overhead down).
    with stack.services.session() as session:
        timings = session.get(Generation, generation_id).params["timings"]
    assert set(timings) == {"prepare", "encode", "denoise", "decode", "callbacks", "postprocess", "store"}
    assert all(seconds >= 0 for seconds in timings.values())
    assert timings["denoise"] >= 0.2 and timings["callbacks"] > 0  # the injected step delay is part of denoising


def test_jobs_with_the_same_size_and_quality_share_one_batch(make_stack):
    """A worker takes up to BATCH_MAX_JOBS queued look-alikes into one generator call; each job is still charged,
    stored and finished on its own, and a cancel of one job drops only that job."""
    stack = make_stack(consumer=False, batch_max_jobs=3, batch_on_cpu=True)
    alice, bob = stack.user(deposit=100), stack.user(deposit=100)
    ids = [
        stack.client.post("/api/generations", headers=alice, json={
            "prompt": "торт с безе", "quality": "fast", "variants": 2, "seed": 10}).json()["id"],
        stack.client.post("/api/generations", headers=bob, json={
            "prompt": "шоколадный торт", "quality": "fast", "seed": 20}).json()["id"],
        stack.client.post("/api/generations", headers=bob, json={
            "prompt": "торт с ягодами", "quality": "fast", "seed": 30}).json()["id"],
        stack.client.post("/api/generations", headers=alice, json={   # another size: not in this batch
            "prompt": "торт", "quality": "fast", "size": "portrait"}).json()["id"],
    ]
    stack.client.post(f"/api/generations/{ids[2]}/cancel", headers=bob)  # cancelled while queued: never claimed
    generator_calls = []
    ctx = stack.tasks.worker_context()
    real = ctx.generator

    class Counting:
        tokenizer = real.tokenizer
        device = real.device

        def __call__(self, request, callback=None):
            generator_calls.append(len(request.seeds))
            return real(request, callback)

    ctx.models.inject(generator=Counting())
    stack.start_consumer()
    owners = [alice, bob, bob, alice]
    results = [stack.wait(i, h) for i, h in zip(ids, owners)]
    assert [r["status"] for r in results] == ["succeeded", "succeeded", "cancelled", "succeeded"]
    # One call for the two square jobs (2 + 1 images), one for the portrait job.
    assert sorted(generator_calls) == [1, 3]
    assert [i["seed"] for i in results[0]["images"]] == [10, 11]
    assert [i["seed"] for i in results[1]["images"]] == [20]
    assert "meringue" in results[0]["prompt_en"] and "chocolate" in results[1]["prompt_en"]
    # Each job's PNG carries its own prompt and seed.
    png = Image.open(io.BytesIO(stack.client.get(results[1]["images"][0]["download_url"], headers=bob).content))
    assert png.text["seed"] == "20" and "chocolate" in png.text["prompt"]
    for job_id in ids[:2]:
        assert kinds(stack, job_id) == ["charge"]
    assert kinds(stack, ids[2]) == ["charge", "refund"]
    ledger_ok(stack, alice), ledger_ok(stack, bob)


@pytest.mark.parametrize("storage_settings", ["s3"], indirect=True)
def test_images_are_stored_on_s3_and_downloaded_through_the_app(stack):
    headers = stack.user(deposit=10)
    generation_id = stack.client.post("/api/generations", headers=headers,
                                      json={"prompt": "торт с клубникой", "quality": "fast"}).json()["id"]
    done = stack.wait(generation_id, headers)
    assert done["status"] == "succeeded", done
    png = stack.client.get(done["images"][0]["download_url"], headers=headers)
    assert png.status_code == 200 and Image.open(io.BytesIO(png.content)).size == (512, 512)
    with stack.services.session() as session:
        key = session.get(Generation, generation_id).image_keys[0]
    assert stack.services.store.get(key) == png.content
    shown = stack.client.get(done["images"][0]["url"], headers=headers, follow_redirects=False)
    assert shown.status_code == 307 and key in shown.headers["location"]  # a presigned S3 URL


@pytest.mark.parametrize("backend,expected", [("torch", "torch"), ("openvino", "openvino")])
def test_the_settings_choose_the_generator_backend(make_settings, tiny_models_dir, backend, expected):
    # A .env file or a Settings object (not only the process environment) decides what the worker runs.
    settings = make_settings(models_dir=tiny_models_dir, generation_backend=backend)
    ctx = WorkerContext(settings)
    assert ctx.generator.backend.startswith(expected)
