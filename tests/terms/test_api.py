"""«Мои термины» over REST with the real worker (tiny models) on SQLite and PostgreSQL: her terms go first in her
preview and her jobs, never in another chef's or in the demo; the words no glossary knew are counted for the admin."""
from __future__ import annotations

import time

from fastapi.testclient import TestClient

PROMPT = "фирменный медовик и торт «Вишнёвая поляна» с топинамбуром, безе"
HERS = [{"ru": "фирменный медовик", "en": "signature honey cake with walnut crumb sides"},
        {"ru": "Вишнёвая поляна", "en": "Cherry Glade chocolate cake with cherries"},
        {"ru": "безе", "en": "tiny lavender meringues"}]


def admin_headers(stack) -> dict:
    from tortodelova.accounts.service import ensure_admin

    with stack.services.session() as session:
        ensure_admin(session=session, settings=stack.settings, email="admin@example.com", password="admin-password")
    token = stack.client.post("/api/auth/login", json={"email": "admin@example.com", "password": "admin-password"}
                              ).json()["access_token"]
    stack.client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


def terms_of(body: dict) -> dict:
    return {term["en"]: term.get("personal", False) for term in body["terms"]}


def test_terms_roundtrip_and_refusals(make_stack):
    stack = make_stack(consumer=False)
    client = stack.client
    chef, other = stack.user(), stack.user()
    assert client.get("/api/me/terms").status_code == 401
    assert client.put("/api/me/terms", json={"items": []}).status_code == 401
    assert client.get("/api/me/terms", headers=chef).json() == {"items": []}
    r = client.put("/api/me/terms", headers=chef, json={"items": HERS})
    assert r.status_code == 200, r.text
    assert r.json() == {"items": HERS}
    assert client.get("/api/me/terms", headers=chef).json() == {"items": HERS}
    assert client.get("/api/me/terms", headers=other).json() == {"items": []}  # hers are hers only
    for body, message in [
        (None, "Ожидается объект"), ([], "Ожидается объект"), ({"items": "медовик"}, "Ожидается список"),
        ({"items": [], "more": 1}, "Ожидается объект"),
        ({"items": [{"ru": "медовик", "en": "медовый торт"}]}, "только латинские буквы"),
        ({"items": [{"ru": "медовик", "en": "a"}, {"ru": "медовики", "en": "b"}]}, "повторяет термин 1"),
        ({"items": [{"ru": "медовик", "en": ", ".join(["red"] * 25)}]}, "не поместится в промпт"),
        ({"items": [{"ru": "медовик\u0000", "en": "honey"}]}, "недопустимый символ (NUL)"),  # 400 at the edge
        ({"items": [{"ru": "медовик\u200b", "en": "honey"}]}, "только буквы, цифры, пробелы и дефис"),
        ({"items": [{"ru": "торт", "en": "cake"}] * 201}, "не больше 200 терминов"),
        ({"items": [{"ru": 10**30, "en": "cake"}]}, "должна быть текстом"),
    ]:
        r = client.put("/api/me/terms", headers=chef, json=body)
        assert r.status_code in (400, 422), (body, r.status_code, r.text)
        assert message in r.json()["detail"], (message, r.json())
    assert client.get("/api/me/terms", headers=chef).json() == {"items": HERS}  # a refusal changes nothing
    r = client.put("/api/me/terms", headers={**chef, "Content-Type": "application/json"}, content=b"{not json")
    assert 400 <= r.status_code < 500


def wait_demo(client: TestClient, generation_id: str) -> dict:
    deadline = time.time() + 120
    while (body := client.get(f"/api/demo/generations/{generation_id}").json())["status"] in ("queued", "running"):
        assert time.time() < deadline, body
        time.sleep(0.1)
    return body


def test_her_terms_go_first_in_her_preview_and_jobs_only(make_stack):
    stack = make_stack(translate_timeout_seconds=300)  # the first preview waits for the worker to load the models
    chef, other = stack.user(deposit=100), stack.user(deposit=100)
    client = stack.client
    assert client.put("/api/me/terms", headers=chef, json={"items": HERS}).status_code == 200

    # the preview: hers, marked personal; the other chef's: the shared glossary's
    mine = client.post("/api/translate", headers=chef, json={"prompt": PROMPT})
    assert mine.status_code == 200, mine.text
    assert terms_of(mine.json()) == {HERS[0]["en"]: True, HERS[1]["en"]: True, HERS[2]["en"]: True}
    for term in HERS:
        assert term["en"] in mine.json()["prompt_en"]
    theirs = client.post("/api/translate", headers=other, json={"prompt": PROMPT}).json()
    assert terms_of(theirs) == {"Medovik honey layer cake": False, "sour cherries": False,
                                "meringue kisses": False}
    assert not any(term["en"] in theirs["prompt_en"] for term in HERS)

    # jobs: hers with her English, the other chef's and the demo without it
    ids = {}
    for name, headers in (("mine", chef), ("theirs", other)):
        r = client.post("/api/generations", headers=headers, json={"prompt": PROMPT, "quality": "fast"})
        assert r.status_code == 202, r.text
        ids[name] = (r.json()["id"], headers)
    with TestClient(client.app) as guest:
        demo = guest.post("/api/demo/generations", json={"prompt": PROMPT})
        assert demo.status_code == 202, demo.text
        demo_done = wait_demo(guest, demo.json()["id"])
    done = {name: stack.wait(generation_id, headers) for name, (generation_id, headers) in ids.items()}
    assert done["mine"]["status"] == "succeeded", done["mine"]
    assert HERS[0]["en"] in done["mine"]["prompt_en"] and terms_of(done["mine"])[HERS[0]["en"]] is True
    for body in (done["theirs"], demo_done):
        assert body["status"] == "succeeded", body
        assert "Medovik honey layer cake" in body["prompt_en"]
        assert not any(term["en"] in body["prompt_en"] for term in HERS)

    # she changes her list: the next preview uses the new version at once (no stale compiled terms)
    changed = [{"ru": "фирменный медовик", "en": "new signature honey cake"}]
    assert client.put("/api/me/terms", headers=chef, json={"items": changed}).status_code == 200
    again = client.post("/api/translate", headers=chef, json={"prompt": PROMPT}).json()
    assert terms_of(again)["new signature honey cake"] is True and "meringue kisses" in terms_of(again)
    assert HERS[0]["en"] not in again["prompt_en"]


def test_words_no_glossary_knew_are_counted_from_jobs_for_the_admin(make_stack):
    stack = make_stack(translate_timeout_seconds=300)
    chef = stack.user(deposit=100)
    client = stack.client
    admin = admin_headers(stack)
    assert client.get("/api/admin/glossary-misses", headers=chef).status_code == 403
    assert client.get("/api/admin/glossary-misses").status_code == 401
    assert client.get("/api/admin/glossary-misses", headers=admin).json() == {"items": [], "total": 0}

    prompt = "торт для Машеньки с капкейкчиками и топпером"  # капкейкчик: no dictionary knows it
    # a preview is not a submitted prompt: nothing counted
    assert client.post("/api/translate", headers=chef, json={"prompt": prompt}).status_code == 200
    assert client.get("/api/admin/glossary-misses", headers=admin).json()["total"] == 0
    for _ in range(2):
        r = client.post("/api/generations", headers=chef, json={"prompt": prompt, "quality": "fast"})
        assert stack.wait(r.json()["id"], chef)["status"] == "succeeded"
    body = client.get("/api/admin/glossary-misses", headers=admin).json()
    counts = {item["lemma"]: item["count"] for item in body["items"]}
    assert counts.get("капкейкчик") == 2, counts
    assert not any("маш" in lemma for lemma in counts)  # a name is never counted
    assert "топпер" not in counts  # a glossary term

    # her own term for the word: no longer a miss
    assert client.put("/api/me/terms", headers=chef, json={"items": [
        {"ru": "капкейкчики", "en": "mini cupcakes"}]}).status_code == 200
    r = client.post("/api/generations", headers=chef, json={"prompt": prompt, "quality": "fast"})
    third = stack.wait(r.json()["id"], chef)
    assert third["status"] == "succeeded"
    assert terms_of(third)["mini cupcakes"] is True, third
    counts = {item["lemma"]: item["count"] for item in
              client.get("/api/admin/glossary-misses", headers=admin).json()["items"]}
    assert counts.get("капкейкчик") == 2
    for query in ("limit=0", "limit=201", "offset=-1", "limit=x"):
        assert client.get(f"/api/admin/glossary-misses?{query}", headers=admin).status_code == 422
