"""The sweeper: a job whose worker died (stale heartbeat) is re-run while attempts remain, else failed with one
refund; a queued job missing from the queue is enqueued again; expired revoked tokens are purged."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.generation.helpers import kinds, ledger_ok
from tortodelova.accounts.models import RevokedToken
from tortodelova.db import utcnow
from tortodelova.generation.models import Generation


def orphan(stack, headers, *, attempts):
    """A generation left `running` by a worker that died: the state a SIGKILL leaves behind."""
    generation_id = stack.client.post("/api/generations", headers=headers,
                                      json={"prompt": "торт", "quality": "fast"}).json()["id"]
    with stack.services.session() as session:
        session.execute(update(Generation).where(Generation.id == generation_id).values(
            status="running", attempts=attempts, worker="dead:1", started_at=utcnow(),
            heartbeat_at=utcnow() - timedelta(seconds=stack.settings.stale_after_seconds + 5)))
        session.commit()
    stack.huey.flush()  # the task went with the dead worker
    return generation_id


def test_stale_job_is_run_again_while_attempts_remain(make_stack):
    stack = make_stack(consumer=False, max_attempts=2)
    headers = stack.user()
    generation_id = orphan(stack, headers, attempts=1)
    report = stack.tasks.sweep.call_local()
    assert report["requeued"] == [generation_id]
    stack.start_consumer()
    done = stack.wait(generation_id, headers)
    assert done["status"] == "succeeded"
    assert kinds(stack, generation_id) == ["charge"]
    ledger_ok(stack, headers)


def test_stale_job_without_attempts_left_fails_with_one_refund(make_stack):
    stack = make_stack(consumer=False, max_attempts=1)
    headers = stack.user()
    generation_id = orphan(stack, headers, attempts=1)
    assert stack.tasks.sweep.call_local()["failed"] == [generation_id]
    assert stack.tasks.sweep.call_local()["failed"] == []  # a second sweep changes nothing
    body = stack.client.get(f"/api/generations/{generation_id}", headers=headers).json()
    assert body["status"] == "failed" and "Кредиты возвращены" in body["error"]
    assert kinds(stack, generation_id) == ["charge", "refund"]
    assert ledger_ok(stack, headers)["balance"] == stack.settings.welcome_credits


def test_queued_job_lost_from_the_queue_is_enqueued_again(make_stack):
    stack = make_stack(consumer=False, requeue_after_seconds=0)
    headers = stack.user()
    generation_id = stack.client.post("/api/generations", headers=headers,
                                      json={"prompt": "торт", "quality": "fast"}).json()["id"]
    assert stack.tasks.sweep.call_local()["reenqueued"] == []  # still in the queue: left alone
    stack.huey.flush()  # e.g. Redis restarted without persistence
    assert stack.tasks.sweep.call_local()["reenqueued"] == [generation_id]
    stack.start_consumer()
    assert stack.wait(generation_id, headers)["status"] == "succeeded"
    assert kinds(stack, generation_id) == ["charge"]


def test_expired_revoked_tokens_are_purged(make_stack):
    stack = make_stack(consumer=False)
    headers = stack.user()
    assert stack.client.post("/api/auth/logout", headers=headers).status_code == 204
    with stack.services.session() as session:
        token = session.query(RevokedToken).one()
        session.add(RevokedToken(jti="old", user_id=token.user_id, expires_at=utcnow() - timedelta(days=1)))
        session.commit()
    # The generation sweeper no longer does it: the task schedules accounts.chores.purge_expired_revoked_tokens.
    assert set(stack.tasks.sweep.call_local()) == {"requeued", "failed", "reenqueued"}
    with stack.services.session() as session:
        assert [t.jti for t in session.query(RevokedToken)] == [token.jti]


def test_embedded_translation_does_not_wait_for_the_queue(make_stack):
    """`python app.py` runs the worker as a thread of the web process: the translation preview uses the loaded
    translator directly, so it answers even while no worker is free (here: none runs at all)."""
    stack = make_stack(consumer=False, translate_in_process=True, translate_timeout_seconds=1)
    headers = stack.user()
    r = stack.client.post("/api/translate", headers=headers, json={"prompt": "торт с мастикой"})
    assert r.status_code == 200 and "fondant" in r.json()["prompt_en"]
    queued = make_stack(consumer=False, translate_timeout_seconds=1)
    r = queued.client.post("/api/translate", headers=queued.user(), json={"prompt": "торт с мастикой"})
    assert r.status_code == 503 and "Переводчик" in r.json()["detail"]
