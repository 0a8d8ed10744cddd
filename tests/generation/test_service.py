"""The generation service on SQLite and PostgreSQL: soft delete keeps the ledger's link and refunds exactly once,
queue positions of a page come from one query, signed image links stop when the owner is blocked."""
from __future__ import annotations

import time

from sqlalchemy import event

from tests.generation.helpers import kinds, ledger_ok
from tests.helpers import wait_until
from tortodelova.accounts.models import User
from tortodelova.billing.models import Transaction
from tortodelova.generation import service
from tortodelova.generation.image_links import SignedLinks
from tortodelova.generation.models import Generation


def _wait_status(stack, generation_id, statuses, timeout=120):
    def status():
        with stack.services.session() as session:
            current = session.get(Generation, generation_id).status
        return current if current in statuses else None

    return wait_until(status, timeout=timeout, message=f"{generation_id} not {statuses}")


def test_deleting_a_running_design_refunds_once_and_the_ledger_keeps_its_link(make_stack):
    """Regression (issue 10, finding 6): the row was deleted, the charge lost its generation_id and the worker's
    cancel found nothing to refund."""
    stack = make_stack(step_delay_seconds=0.3)
    headers = stack.user()
    generation_id = stack.client.post("/api/generations", headers=headers,
                                      json={"prompt": "торт", "quality": "standard"}).json()["id"]
    _wait_status(stack, generation_id, ("running",))
    assert stack.client.delete(f"/api/generations/{generation_id}", headers=headers).status_code == 204
    assert stack.client.get(f"/api/generations/{generation_id}", headers=headers).status_code == 404
    assert stack.client.get("/api/generations", headers=headers).json()["total"] == 0
    assert _wait_status(stack, generation_id, ("cancelled", "failed")) == "cancelled"
    assert kinds(stack, generation_id) == ["charge", "refund"]
    with stack.services.session() as session:
        rows = session.query(Transaction).filter(Transaction.kind.in_(("charge", "refund"))).all()
        assert {t.generation_id for t in rows} == {generation_id}
        assert session.get(Generation, generation_id).image_keys == []
    assert ledger_ok(stack, headers)["balance"] == stack.settings.welcome_credits


def test_deleting_a_queued_design_refunds_at_once(make_stack):
    stack = make_stack(consumer=False)
    headers = stack.user()
    generation_id = stack.client.post("/api/generations", headers=headers, json={"prompt": "торт"}).json()["id"]
    assert stack.client.delete(f"/api/generations/{generation_id}", headers=headers).status_code == 204
    assert kinds(stack, generation_id) == ["charge", "refund"]
    assert ledger_ok(stack, headers)["balance"] == stack.settings.welcome_credits
    assert stack.client.delete(f"/api/generations/{generation_id}", headers=headers).status_code == 404
    assert kinds(stack, generation_id) == ["charge", "refund"]


def test_queue_positions_of_a_page_come_from_one_query(make_stack):
    stack = make_stack(consumer=False)
    headers = stack.user(deposit=100)
    ids = [stack.client.post("/api/generations", headers=headers, json={"prompt": f"торт {i}", "quality": "fast"}
                             ).json()["id"] for i in range(5)]
    statements = []
    engine = stack.services.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
    with stack.services.session() as session:
        generations = [session.get(Generation, i) for i in ids]
        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = service.public_page(session=session, generations=generations, links=SignedLinks(stack.settings))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert [p.queue_position for p in page] == [1, 2, 3, 4, 5]
    assert len(statements) == 1, statements
    listed = stack.client.get("/api/generations", headers=headers).json()["items"]
    assert [g["queue_position"] for g in listed] == [5, 4, 3, 2, 1]  # newest first


def test_signed_links_are_short_lived_and_stop_when_the_owner_is_blocked(stack):
    headers = stack.user(deposit=10)
    generation_id = stack.client.post("/api/generations", headers=headers,
                                      json={"prompt": "торт", "quality": "fast"}).json()["id"]
    done = stack.wait(generation_id, headers)
    signed = done["images"][0]["signed_url"]
    expires = int(signed.split("expires=")[1].split("&")[0])
    assert expires - time.time() <= stack.settings.presign_seconds + 5
    assert stack.client.get(signed).status_code == 200
    with stack.services.session() as session:
        owner = session.get(User, session.get(Generation, generation_id).user_id)
        owner.is_active = False
        session.commit()
    assert stack.client.get(signed).status_code == 404
    with stack.services.session() as session:
        session.get(User, owner.id).is_active = True
        session.commit()
    assert stack.client.get(signed).status_code == 200
    # A link whose expiry was pushed far ahead does not verify.
    far = signed.replace(f"expires={expires}", f"expires={expires + 10**6}")
    assert stack.client.get(far).status_code == 404
