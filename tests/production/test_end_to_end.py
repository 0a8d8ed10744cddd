"""End to end through HTTP against a real `uvicorn` process and a real `huey_consumer` (RedisHuey) on PostgreSQL
and S3, and the credit invariants under parallel requests."""
from __future__ import annotations

import asyncio
import io
from collections import Counter

import httpx
import pytest
from PIL import Image

pytestmark = pytest.mark.production

ADMIN_EMAIL = "admin@tortodelova.example"
ADMIN_PASSWORD = "admin-password-123"


@pytest.fixture(scope="module")
def stack(pg_module_database, make_stack):
    stack = make_stack(pg_module_database, TORTODELOVA_ADMIN_EMAIL=ADMIN_EMAIL,
                       TORTODELOVA_ADMIN_PASSWORD=ADMIN_PASSWORD)
    stack.start_consumer()  # first: loading the models takes longest
    stack.start_app()
    yield stack
    stack.stop()  # before its database is dropped


def test_register_top_up_generate_download_byte_identical(stack):
    user, headers = stack.user(deposit=20)
    assert stack.client.get("/api/me/balance", headers=headers).json() == {"balance": 50}

    r = stack.client.post("/api/generations", headers=headers, json={
        "prompt": "двухъярусный торт с мастикой цвета пыльной розы", "quality": "fast", "seed": 4242})
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["status"] == "queued" and created["cost"] == 5
    done = stack.wait_status(created["id"], headers)
    assert done["status"] == "succeeded", done
    assert [image["seed"] for image in done["images"]] == [4242]

    download = stack.client.get(done["images"][0]["download_url"], headers=headers)
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;")
    picture = Image.open(io.BytesIO(download.content))
    assert picture.format == "PNG" and picture.size == (512, 512)
    assert picture.text["prompt_ru"] == "двухъярусный торт с мастикой цвета пыльной розы"

    # Storage holds exactly this one object for the user, with the same bytes.
    objects = list(stack.minio().list_objects(stack.bucket, prefix=f"users/{user['id']}/", recursive=True))
    assert [obj.object_name for obj in objects] == stack.row(created["id"])["image_keys"]
    stored = stack.minio().get_object(stack.bucket, objects[0].object_name)
    try:
        assert stored.read() == download.content
    finally:
        stored.close()
        stored.release_conn()
    # The inline URL redirects to a presigned S3 URL with the same bytes.
    shown = stack.client.get(done["images"][0]["url"], headers=headers, follow_redirects=True)
    assert shown.status_code == 200 and shown.content == download.content

    assert stack.transaction_kinds(created["id"]) == ["charge"]
    assert stack.client.get("/api/me/balance", headers=headers).json() == {"balance": 45}
    stack.assert_ledgers_agree()


async def _gather(requests):
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        return await asyncio.gather(*(client.request(method, url, **kwargs) for method, url, kwargs in requests),
                                    return_exceptions=True)


def outcome(response) -> int | str:
    """The status code, or the name of the error when no answer came (so a failure shows what happened)."""
    return response.status_code if isinstance(response, httpx.Response) else type(response).__name__


def test_200_parallel_submissions_with_credits_for_10(stack):
    user, headers = stack.user(deposit=70)  # 30 welcome + 70 = 100 = ten standard square images
    body = {"prompt": "торт с безе", "size": "square", "quality": "standard", "variants": 1}
    responses = asyncio.run(_gather([("POST", f"{stack.url}/api/generations", {"json": body, "headers": headers})
                                     for _ in range(200)]))
    statuses = Counter(outcome(r) for r in responses)
    assert statuses == {202: 10, 402: 190}, statuses
    assert all("Недостаточно кредитов" in r.json()["detail"] for r in responses if r.status_code == 402)
    assert stack.client.get("/api/me/balance", headers=headers).json() == {"balance": 0}

    # Settle them fast: cancel all ten at once, racing the worker. Whatever the interleaving, each ends
    # succeeded and charged once, or cancelled and refunded once.
    accepted = [r.json()["id"] for r in responses if r.status_code == 202]
    cancels = asyncio.run(_gather([("POST", f"{stack.url}/api/generations/{generation_id}/cancel",
                                    {"headers": headers}) for generation_id in accepted]))
    assert {outcome(r) for r in cancels} <= {200, 409}, [outcome(r) for r in cancels]  # 409: already finished
    final = [stack.wait_status(generation_id, headers, timeout=180) for generation_id in accepted]
    succeeded = 0
    for body in final:
        kinds = stack.transaction_kinds(body["id"])
        if body["status"] == "succeeded":
            succeeded += 1
            assert kinds == ["charge"], body
        else:
            assert body["status"] == "cancelled" and kinds == ["charge", "refund"], (body, kinds)
    assert stack.client.get("/api/generations?limit=100", headers=headers).json()["total"] == 10
    assert stack.client.get("/api/me/balance", headers=headers).json() == {"balance": 100 - 10 * succeeded}
    stack.assert_ledgers_agree()


def test_parallel_deposits_and_admin_adjustments_lose_nothing(stack):
    user, headers = stack.user(deposit=100)  # 130
    admin = stack.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    before = stack.client.get("/api/me/transactions?limit=1", headers=headers).json()["total"]

    requests = (
        [("POST", f"{stack.url}/api/me/deposit", {"json": {"amount": 5}, "headers": headers})] * 40
        + [("POST", f"{stack.url}/api/admin/users/{user['id']}/balance",
            {"json": {"amount": 3, "reason": "бонус"}, "headers": admin})] * 30
        # Never below zero whatever the order: 130 - 20 * 2 > 0.
        + [("POST", f"{stack.url}/api/admin/users/{user['id']}/balance",
            {"json": {"amount": -2, "reason": "коррекция"}, "headers": admin})] * 20
    )
    responses = asyncio.run(_gather(requests))
    assert Counter(outcome(r) for r in responses) == {200: 90}, Counter(outcome(r) for r in responses)

    expected = 130 + 40 * 5 + 30 * 3 - 20 * 2
    assert stack.client.get("/api/me/balance", headers=headers).json() == {"balance": expected}
    history = stack.client.get("/api/me/transactions?limit=100", headers=headers).json()
    assert history["total"] == before + 90
    # The rows form one serial chain: each starts from the balance the previous one left (no lost update).
    chain = sorted(history["items"], key=lambda item: item["id"])
    assert chain[0]["balance_after"] == chain[0]["amount"]
    for previous, item in zip(chain, chain[1:]):
        assert item["balance_after"] == previous["balance_after"] + item["amount"], (previous, item)
    stack.assert_ledgers_agree()
