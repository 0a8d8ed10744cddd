"""«Черновик» (quality "draft", issue 20) through the whole service on the tiny models, SQLite and PostgreSQL: the
price, a draft end to end over REST (seeds, PNG metadata, the few-step sampler), «Доработать» into fast/standard from
the draft picture with the same seed, and what «Доработать» refuses."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.generation.helpers import kinds, ledger_ok
from tortodelova import vocabulary
from tortodelova.accounts.models import User
from tortodelova.billing import pricing
from tortodelova.errors import InvalidInput, NotFound
from tortodelova.generation import service as generation_service
from tortodelova.generation.models import Generation


def test_draft_is_priced_at_half_of_fast():
    assert [pricing.price_per_image(size, "draft") for size in ("square", "portrait", "landscape")] == [3, 4, 4]
    assert all(pricing.price_per_image(size, "draft") < pricing.price_per_image(size, "fast") for size in
               pricing.SIZES)  # fmt: skip
    assert pricing.price(size="square", quality="draft", variants=4) == 12
    with pytest.raises(InvalidInput, match="Неизвестное качество"):
        pricing.price_per_image("square", "sketch")


def test_pricing_lists_the_draft(stack):
    table = stack.client.get("/api/pricing").json()
    drafts = {item["size"]: item for item in table["items"] if item["quality"] == "draft"}
    assert {size: item["credits_per_image"] for size, item in drafts.items()} == {
        "square": 3, "portrait": 4, "landscape": 4}
    assert drafts["square"]["quality_title"] == "Черновик"


def test_draft_then_refine_over_rest(stack):
    headers = stack.user(deposit=100)  # + 30 welcome credits
    r = stack.client.post("/api/generations", headers=headers, json={
        "prompt": "шоколадный торт с ягодами", "quality": "draft", "variants": 2, "seed": 77})
    assert r.status_code == 202, r.text
    assert r.json()["cost"] == 6 and r.json()["quality"] == "draft"
    draft = stack.wait(r.json()["id"], headers)
    assert draft["status"] == "succeeded", draft
    assert [image["seed"] for image in draft["images"]] == [77, 78]
    png = stack.client.get(draft["images"][0]["download_url"], headers=headers)
    picture = Image.open(io.BytesIO(png.content))
    assert picture.size == (512, 512) and picture.text["seed"] == "77"
    assert "hyper-sd15-1step" in picture.text["model"]  # the 1-step LoRA, not the LCM one
    assert stack.client.get("/api/me/balance", headers=headers).json()["balance"] == 124

    # «Доработать» over REST: the second draft image again in fast, from that picture, with its seed (the UI test
    # refines into standard).
    r = stack.client.post("/api/generations", headers=headers, json={
        "prompt": "шоколадный торт с ягодами", "quality": "fast", "init_generation_id": draft["id"],
        "init_index": 1, "seed": 78, "strength": vocabulary.REFINE_STRENGTH})
    assert r.status_code == 202, r.text
    assert r.json()["cost"] == 5
    refined = stack.wait(r.json()["id"], headers)
    assert refined["status"] == "succeeded", refined
    assert refined["init_generation_id"] == draft["id"] and refined["quality"] == "fast"
    assert [image["seed"] for image in refined["images"]] == [78]
    assert kinds(stack, refined["id"]) == ["charge"]
    ledger_ok(stack, headers)
    assert stack.client.get("/api/me/balance", headers=headers).json()["balance"] == 119

    with stack.services.session() as session:
        stored = session.get(Generation, refined["id"])
        assert (stored.init_index, stored.strength, stored.seeds) == (1, vocabulary.REFINE_STRENGTH, [78])
    # (Whether the composition is kept can only be judged on the real weights: the tiny random models draw
    # near-uniform noise, where a pixel distance says nothing.)


def _user(stack, headers) -> User:
    user_id = stack.client.get("/api/me", headers=headers).json()["id"]
    session = stack.services.session()
    return session, session.get(User, user_id)


def test_refine_service_keeps_the_design_and_refuses_what_is_not_a_draft(stack):
    headers = stack.user(deposit=100)
    draft = stack.wait(stack.client.post("/api/generations", headers=headers, json={
        "prompt": "белый торт", "prompt_en": "a white cake with roses", "quality": "draft", "style": "wedding",
        "size": "portrait", "variants": 2, "seed": 5, "negative_prompt": "blur"}).json()["id"], headers)
    fast = stack.wait(stack.client.post("/api/generations", headers=headers, json={
        "prompt": "белый торт", "quality": "fast"}).json()["id"], headers)
    session, user = _user(stack, headers)
    with session:
        source = session.get(Generation, draft["id"])
        request = generation_service.refine_request(source, index=1, quality="fast")
        assert (request.prompt, request.prompt_en, request.style, request.size, request.negative_prompt) == (
            "белый торт", "a white cake with roses", "wedding", "portrait", "blur")
        assert (request.variants, request.seed, request.init_generation_id, request.init_index, request.strength) == (
            1, 6, draft["id"], 1, vocabulary.REFINE_STRENGTH)
        refine = dict(session=session, settings=stack.settings, queue=stack.services.queue, user=user)
        with pytest.raises(InvalidInput, match="только черновик"):
            generation_service.refine(**refine, generation_id=fast["id"], index=0, quality="standard")
        with pytest.raises(InvalidInput, match="«Быстро» или «Качественно»"):
            generation_service.refine(**refine, generation_id=draft["id"], index=0, quality="draft")
        with pytest.raises(InvalidInput, match="готовое изображение"):
            generation_service.refine(**refine, generation_id=draft["id"], index=2, quality="fast")
        with pytest.raises(NotFound):
            generation_service.refine(**refine, generation_id="00000000-0000-0000-0000-000000000000", index=0,
                                      quality="fast")  # fmt: skip
    # Someone else's draft is not found, and nothing is charged for any refusal.
    other = stack.user(email="other@example.com")
    session, stranger = _user(stack, other)
    with session, pytest.raises(NotFound):
        generation_service.refine(session=session, settings=stack.settings, queue=stack.services.queue,
                                  user=stranger, generation_id=draft["id"], index=0, quality="fast")  # fmt: skip
    ledger_ok(stack, headers)
    assert stack.client.get("/api/me/balance", headers=headers).json()["balance"] == 130 - 8 - 5


def test_unknown_quality_is_refused_in_russian(stack):
    headers = stack.user()
    r = stack.client.post("/api/generations", headers=headers, json={"prompt": "торт", "quality": "sketch"})
    assert r.status_code == 422 and "Неизвестное качество" in r.json()["detail"]
