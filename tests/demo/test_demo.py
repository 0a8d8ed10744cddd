"""Demo mode: one free design per visitor (cookie and IP), enforced by the database under parallel requests,
visible to that visitor only, claimed into the history once, with the claim token only."""
from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from tests.helpers import wait_until
from tortodelova.generation.models import Generation


def parallel_posts(app, n, *, cookies=None, body=None):
    barrier = threading.Barrier(n)
    results = [None] * n

    def post(i):
        with TestClient(app) as client:
            if cookies:
                client.cookies.update(cookies)
            barrier.wait()
            results[i] = client.post("/api/demo/generations", json=body or {"prompt": "торт с клубникой"})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def demo_count(stack):
    with stack.services.session() as session:
        return session.query(Generation).filter_by(is_demo=True).count()


def test_twenty_parallel_requests_from_one_visitor_make_one_design(make_stack):
    from tortodelova.demo.service import new_guest_cookie

    stack = make_stack(consumer=False)
    _guest_id, signed = new_guest_cookie(stack.settings)  # one visitor: one signed cookie, one IP
    answers = parallel_posts(stack.client.app, 20, cookies={stack.settings.demo_cookie_name: signed})
    codes = sorted(r.status_code for r in answers)
    assert codes == [202] + [429] * 19, codes
    assert all(r.headers.get("retry-after") for r in answers if r.status_code == 429)
    assert "уже использован" in next(r for r in answers if r.status_code == 429).json()["detail"]
    assert demo_count(stack) == 1
    # A forged cookie is ignored (a new guest id), but the IP still has had its design today.
    with TestClient(stack.client.app) as forger:
        forger.cookies.set(stack.settings.demo_cookie_name, "forged.value")
        assert forger.post("/api/demo/generations", json={"prompt": "торт"}).status_code == 429
    assert demo_count(stack) == 1


def test_no_cookie_same_ip_still_one(make_stack):
    stack = make_stack(consumer=False)
    answers = parallel_posts(stack.client.app, 20)
    assert sorted(r.status_code for r in answers) == [202] + [429] * 19
    assert demo_count(stack) == 1
    # A new cookie from the same IP on the same day gets nothing either.
    with TestClient(stack.client.app) as fresh:
        assert fresh.post("/api/demo/generations", json={"prompt": "торт"}).status_code == 429


def test_daily_cap(make_stack):
    from tortodelova.demo import service

    stack = make_stack(consumer=False, demo_daily_cap=2)
    with stack.services.session() as session:
        for i in range(2):
            service.create(session=session, settings=stack.settings, queue=stack.queue, guest_id=f"g{i}",
                           ip=f"10.0.0.{i}", prompt="торт")
        try:
            service.create(session=session, settings=stack.settings, queue=stack.queue, guest_id="g9",
                           ip="10.0.0.9", prompt="торт")
            raise AssertionError("the cap let a third one through")
        except service.RateLimited as exc:
            assert "Лимит" in exc.message
    assert demo_count(stack) == 2


def test_bad_demo_input_writes_nothing(make_stack):
    stack = make_stack(consumer=False)
    for body in ({}, {"prompt": ""}, {"prompt": "т" * 501}, {"prompt": "торт", "style": "nope"}):
        r = stack.client.post("/api/demo/generations", json=body)
        assert r.status_code == 422, body
    assert demo_count(stack) == 0
    # ...and the visitor still has their free design.
    assert stack.client.post("/api/demo/generations", json={"prompt": "торт"}).status_code == 202


def test_demo_design_visible_to_its_visitor_then_claimed_once(stack):
    r = stack.client.post("/api/demo/generations", json={"prompt": "бенто-торт с надписью «Люблю»"})
    assert r.status_code == 202, r.text
    demo = r.json()
    assert demo["cost"] == 0 and demo["quality"] == "fast" and demo["variants"] == 1
    token, generation_id = demo["claim_token"], demo["id"]

    last = {}

    def finished():
        last.update(stack.client.get(f"/api/demo/generations/{generation_id}").json())
        assert last["status"] in ("queued", "running", "succeeded"), last
        return dict(last) if last["status"] == "succeeded" else None

    body = wait_until(finished, timeout=120, message=lambda: f"the demo design is still {last.get('status')}")
    assert body["inscription"]["text"] == "Люблю"  # v2: the inscription is an object
    assert stack.client.get(body["images"][0]["url"]).status_code == 200  # by the guest cookie

    # A stranger: no cookie, no token → not found; the bare id is not enough.
    with TestClient(stack.client.app) as stranger:
        assert stranger.get(f"/api/demo/generations/{generation_id}").status_code == 404
        assert stranger.get(f"/api/demo/generations/{generation_id}?claim_token=wrong").status_code == 404
        assert stranger.get(f"/api/demo/generations/{generation_id}?claim_token={token}").status_code == 200

    headers = stack.user()
    assert stack.client.post("/api/demo/claim", headers=headers, json={"claim_token": generation_id}
                             ).status_code == 404
    assert stack.client.post("/api/demo/claim", headers=headers, json={"claim_token": "unknown"}).status_code == 404
    assert stack.client.post("/api/demo/claim", json={"claim_token": token}).status_code == 401
    claimed = stack.client.post("/api/demo/claim", headers=headers, json={"claim_token": token})
    assert claimed.status_code == 200 and claimed.json()["id"] == generation_id
    again = stack.client.post("/api/demo/claim", headers=headers, json={"claim_token": token})
    assert again.status_code == 409
    other = stack.user()
    assert stack.client.post("/api/demo/claim", headers=other, json={"claim_token": token}).status_code == 409

    history = stack.client.get("/api/generations", headers=headers).json()
    assert history["total"] == 1 and history["items"][0]["id"] == generation_id
    assert stack.client.get(f"/api/generations/{generation_id}/images/0/download", headers=headers
                            ).status_code == 200
    assert stack.client.get(f"/api/generations/{generation_id}", headers=other).status_code == 404
