"""The whole job flow through a real in-process Huey consumer with the tiny models, on SQLite and PostgreSQL:
charge on submit, images stored on success, exactly one refund on any failure, cancel, ownership."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tortodelova.billing import service as billing
from tortodelova.billing.models import Transaction
from tortodelova.generation.models import Generation
from tortodelova.generation.worker import WorkerContext
from tortodelova.storage import ObjectMissing, StorageUnavailable


def ledger_ok(stack, headers):
    me = stack.client.get("/api/me", headers=headers).json()
    with stack.services.session() as session:
        assert me["balance"] == billing.ledger_sum(session=session, user_id=me["id"])
        assert me["balance"] >= 0
    return me


def kinds(stack, generation_id):
    with stack.services.session() as session:
        return sorted(t.kind for t in session.query(Transaction).filter_by(generation_id=generation_id))


def test_generate_two_variants_end_to_end(stack):
    headers = stack.user(deposit=100)
    r = stack.client.post("/api/generations", headers=headers, json={
        "prompt": "нежный двухъярусный торт с мастикой цвета пыльной розы и живыми цветами",
        "style": "wedding", "variants": 2, "quality": "fast", "seed": 1234})
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["cost"] == 10 and created["seeds"] == [1234, 1235]
    assert stack.client.get("/api/me/balance", headers=headers).json()["balance"] == 120
    done = stack.wait(created["id"], headers)
    assert done["status"] == "succeeded", done
    assert done["progress"] == 1.0 and done["queue_position"] is None
    assert "two-tier" in done["prompt_en"] and "fondant" in done["prompt_en"]
    assert {"ru": "мастикой", "en": "fondant"} in done["terms"]
    assert [i["seed"] for i in done["images"]] == [1234, 1235]
    for image in done["images"]:
        png = stack.client.get(image["download_url"], headers=headers)
        assert png.status_code == 200
        assert png.headers["content-disposition"].startswith("attachment;")
        picture = Image.open(io.BytesIO(png.content))
        assert picture.size == (512, 512)
        assert picture.text["seed"] == str(image["seed"])
        assert "fondant" in picture.text["prompt"] and picture.text["prompt_ru"].startswith("нежный")
        # The same bytes as storage holds.
        with stack.services.session() as session:
            key = session.get(Generation, done["id"]).image_keys[image["index"]]
        assert png.content == stack.services.store.get(key)
        shown = stack.client.get(image["url"], headers=headers)
        assert shown.status_code == 200 and shown.content == png.content
        signed = stack.client.get(image["signed_url"])
        assert signed.status_code == 200 and signed.content == png.content
    assert kinds(stack, done["id"]) == ["charge"]
    ledger_ok(stack, headers)


def test_user_edited_english_prompt_is_used_as_is(stack):
    headers = stack.user(deposit=10)
    r = stack.client.post("/api/generations", headers=headers, json={
        "prompt": "шоколадный торт", "prompt_en": "a tall chocolate cake with gold leaf", "quality": "fast"})
    done = stack.wait(r.json()["id"], headers)
    assert done["status"] == "succeeded"
    assert done["prompt_en"] == "a tall chocolate cake with gold leaf"


def test_translate_preview_is_free(stack):
    headers = stack.user()
    before = stack.client.get("/api/me/balance", headers=headers).json()["balance"]
    r = stack.client.post("/api/translate", headers=headers, json={"prompt": "торт с безе и ганашем"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "meringue" in body["prompt_en"] and "ganache" in body["prompt_en"]
    assert {t["en"] for t in body["terms"]} >= {"meringue kisses", "ganache"}
    assert stack.client.get("/api/me/balance", headers=headers).json()["balance"] == before
    too_long = stack.client.post("/api/translate", headers=headers, json={"prompt": "торт " * 200})
    assert too_long.status_code == 422 and "слишком длинный" in too_long.json()["detail"]
    assert stack.client.post("/api/translate", json={"prompt": "торт"}).status_code == 401


def test_variation_of_own_design(stack):
    headers = stack.user(deposit=50)
    first = stack.wait(stack.client.post("/api/generations", headers=headers, json={
        "prompt": "торт с клубникой", "quality": "fast"}).json()["id"], headers)
    r = stack.client.post("/api/generations", headers=headers, json={
        "prompt": "торт с клубникой", "quality": "fast", "init_generation_id": first["id"], "init_index": 0,
        "strength": 0.5})
    assert r.status_code == 202, r.text
    done = stack.wait(r.json()["id"], headers)
    assert done["status"] == "succeeded" and done["init_generation_id"] == first["id"]
    bad = stack.client.post("/api/generations", headers=headers, json={
        "prompt": "торт", "init_generation_id": first["id"], "init_index": 0, "strength": 1.5})
    assert bad.status_code == 422


def test_not_enough_credits_is_402_and_charges_nothing(stack):
    headers = stack.user()  # 30 welcome credits
    r = stack.client.post("/api/generations", headers=headers, json={"prompt": "торт", "variants": 4,
                                                                     "size": "portrait"})
    assert r.status_code == 402
    assert "Недостаточно кредитов" in r.json()["detail"]
    assert stack.client.get("/api/generations", headers=headers).json()["total"] == 0
    assert ledger_ok(stack, headers)["balance"] == 30


@pytest.mark.parametrize("body,fragment", [
    ({}, "Описание"), ({"prompt": "   "}, "Описание"), ({"prompt": "т" * 501}, "слишком длинный"),
    ({"prompt": "торт", "style": "baroque"}, "стиль"), ({"prompt": "торт", "size": "huge"}, "размер"),
    ({"prompt": "торт", "variants": 0}, "вариантов"), ({"prompt": "торт", "variants": "many"}, "вариантов"),
    ({"prompt": "торт", "quality": "ultra"}, "качество"), ({"prompt": "торт", "seed": -1}, "Seed"),
    ({"prompt": "торт", "seed": 2**40}, "Seed"), ({"prompt": 12345}, "текст"),
    ({"prompt": "торт", "init_generation_id": "nope"}, "не найден"),
])
def test_bad_generation_requests(make_stack, body, fragment):
    stack = make_stack(consumer=False)
    headers = stack.user()
    r = stack.client.post("/api/generations", headers=headers, json=body)
    assert 400 <= r.status_code < 500 and r.status_code != 402, r.text
    assert fragment in r.json()["detail"]
    assert stack.client.get("/api/generations", headers=headers).json()["total"] == 0
    assert ledger_ok(stack, headers)["balance"] == 30


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


def test_cancel_queued_refunds_at_once(make_stack):
    stack = make_stack(consumer=False)
    headers = stack.user()
    generation_id = stack.client.post("/api/generations", headers=headers, json={"prompt": "торт"}).json()["id"]
    assert stack.client.get(f"/api/generations/{generation_id}", headers=headers).json()["queue_position"] == 1
    r = stack.client.post(f"/api/generations/{generation_id}/cancel", headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert kinds(stack, generation_id) == ["charge", "refund"]
    assert ledger_ok(stack, headers)["balance"] == 30
    assert stack.client.post(f"/api/generations/{generation_id}/cancel", headers=headers).status_code == 409
    # The worker that picks the stale task later skips it.
    stack.start_consumer()
    import time

    time.sleep(1.5)
    assert stack.client.get(f"/api/generations/{generation_id}", headers=headers).json()["status"] == "cancelled"
    assert kinds(stack, generation_id) == ["charge", "refund"]


def test_cancel_running_stops_at_next_step(make_stack):
    stack = make_stack(step_delay_seconds=0.3)
    headers = stack.user()
    generation_id = stack.client.post("/api/generations", headers=headers,
                                      json={"prompt": "торт", "quality": "standard"}).json()["id"]
    running = stack.wait(generation_id, headers, statuses=("running",))
    assert running["status"] == "running"
    import time

    deadline = time.time() + 30
    while stack.client.get(f"/api/generations/{generation_id}", headers=headers).json()["progress"] <= 0.05:
        assert time.time() < deadline
        time.sleep(0.1)
    r = stack.client.post(f"/api/generations/{generation_id}/cancel", headers=headers)
    assert r.status_code == 200
    done = stack.wait(generation_id, headers)
    assert done["status"] == "cancelled" and done["progress"] < 0.9
    assert kinds(stack, generation_id) == ["charge", "refund"]
    assert ledger_ok(stack, headers)["balance"] == 30


def test_preview_while_running(make_stack):
    stack = make_stack(step_delay_seconds=0.2)
    headers = stack.user()
    generation_id = stack.client.post("/api/generations", headers=headers,
                                      json={"prompt": "торт", "quality": "standard"}).json()["id"]
    import time

    deadline = time.time() + 60
    while True:
        r = stack.client.get(f"/api/generations/{generation_id}/preview", headers=headers)
        if r.status_code == 200:
            break
        assert time.time() < deadline, "no preview seen"
        time.sleep(0.1)
    assert Image.open(io.BytesIO(r.content)).size[0] > 0
    assert stack.wait(generation_id, headers)["status"] == "succeeded"


def test_another_users_generation_is_404_everywhere(stack):
    owner = stack.user(deposit=20)
    intruder = stack.user(deposit=20)
    generation_id = stack.client.post("/api/generations", headers=owner,
                                      json={"prompt": "торт", "quality": "fast"}).json()["id"]
    assert stack.wait(generation_id, owner)["status"] == "succeeded"
    c = stack.client
    base = f"/api/generations/{generation_id}"
    answers = {
        "get": c.get(base, headers=intruder), "preview": c.get(f"{base}/preview", headers=intruder),
        "image": c.get(f"{base}/images/0", headers=intruder),
        "download": c.get(f"{base}/images/0/download", headers=intruder),
        "cancel": c.post(f"{base}/cancel", headers=intruder), "share": c.post(f"{base}/share", headers=intruder),
        "unshare": c.delete(f"{base}/share", headers=intruder), "delete": c.delete(base, headers=intruder),
        "variation": c.post("/api/generations", headers=intruder, json={
            "prompt": "торт", "init_generation_id": generation_id, "init_index": 0, "strength": 0.5}),
    }
    for name, r in answers.items():
        assert r.status_code == 404, (name, r.status_code, r.text)
    assert c.get("/api/generations", headers=intruder).json()["total"] == 0
    forged = c.get(f"/api/images/{generation_id}/0.png?expires=99999999999&sig=deadbeef")
    assert forged.status_code == 404
    # Nothing happened to the owner's design.
    assert c.get(base, headers=owner).json()["status"] == "succeeded"
    assert c.get(f"{base}/images/0", headers=owner).status_code == 200


def test_share_link_and_delete(stack):
    headers = stack.user(deposit=20)
    generation_id = stack.client.post("/api/generations", headers=headers,
                                      json={"prompt": "голый торт с ягодами", "quality": "fast"}).json()["id"]
    stack.wait(generation_id, headers)
    link = stack.client.post(f"/api/generations/{generation_id}/share", headers=headers).json()
    assert link["url"].endswith(f"/s/{link['token']}")
    page = stack.client.get(f"/s/{link['token']}")
    assert page.status_code == 200
    assert 'property="og:image"' in page.text and "голый торт с ягодами" in page.text
    assert stack.client.get(f"/s/{link['token']}/images/0.png").status_code == 200
    assert stack.client.delete(f"/api/generations/{generation_id}/share", headers=headers).status_code == 204
    assert stack.client.get(f"/s/{link['token']}").status_code == 404
    assert stack.client.get(f"/s/{link['token']}/images/0.png").status_code == 404
    with stack.services.session() as session:
        key = session.get(Generation, generation_id).image_keys[0]
    assert stack.client.delete(f"/api/generations/{generation_id}", headers=headers).status_code == 204
    assert stack.client.get(f"/api/generations/{generation_id}", headers=headers).status_code == 404
    with pytest.raises(ObjectMissing):
        stack.services.store.get(key)


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


def test_inscription_only_prompt_makes_a_plaque_cake(stack):
    headers = stack.user()
    r = stack.client.post("/api/generations", headers=headers,
                          json={"prompt": "надпись «С юбилеем!»", "quality": "fast"})
    done = stack.wait(r.json()["id"], headers)
    assert done["status"] == "succeeded", done
    # v2 (API.md): the inscription is an object {"text", "font", "color", "position"}; v1 returned the bare text.
    assert done["inscription"]["text"] == "С юбилеем!" and "cake" in done["prompt_en"]
    assert done["inscription"]["font"] == "script" and done["inscription"]["position"] == "plaque"
