"""The ledger on SQLite and PostgreSQL: every change has its row, balances never go negative, refunds happen once."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from tortodelova.accounts import service as accounts
from tortodelova.billing import onboarding, pricing
from tortodelova.billing import service as billing
from tortodelova.billing.models import Transaction
from tortodelova.errors import Conflict, InsufficientCredits, InvalidInput
from tortodelova.generation.models import Generation


def make_user(services, settings, email="baker@example.com", balance=None):
    with services.session() as session:
        user = onboarding.register(session=session, settings=settings, email=email, password="password-123")
        if balance is not None:
            delta = balance - user.balance
            if delta:
                billing.apply(session=session, user_id=user.id, amount=delta, kind="admin_adjust",
                              description="test setup", actor="test")
                session.commit()
        return user.id


def make_generation(session, user_id, cost=10) -> str:
    generation = Generation(user_id=user_id, prompt_ru="торт", style="classic", size="square", width=512,
                            height=512, variants=1, quality="standard", seeds=[1], cost=cost)
    session.add(generation)
    session.flush()
    return generation.id


def assert_ledger_consistent(services, user_id):
    with services.session() as session:
        balance = billing.balance_of(session=session, user_id=user_id)
        assert balance >= 0
        assert balance == billing.ledger_sum(session=session, user_id=user_id)
        last = session.query(Transaction).filter_by(user_id=user_id).order_by(Transaction.id.desc()).first()
        assert last is None or last.balance_after == balance


def test_welcome_bonus_is_in_the_ledger(services, settings):
    user_id = make_user(services, settings)
    with services.session() as session:
        items, total = billing.list_transactions(session=session, user_id=user_id)
    assert total == 1 and items[0].kind == "bonus" and items[0].amount == settings.welcome_credits
    assert_ledger_consistent(services, user_id)


def test_charge_then_refund_exactly_once(services, settings):
    user_id = make_user(services, settings, balance=50)
    with services.session() as session:
        generation_id = make_generation(session, user_id)
        billing.charge(session=session, user_id=user_id, cost=30, generation_id=generation_id, description="x")
        session.commit()
        assert billing.balance_of(session=session, user_id=user_id) == 20
        first = billing.refund(session=session, generation_id=generation_id, reason="fail")
        session.commit()
        assert first is not None and first.amount == 30 and first.balance_after == 50
        second = billing.refund(session=session, generation_id=generation_id, reason="fail again")
        session.commit()
        assert second is None
        assert billing.balance_of(session=session, user_id=user_id) == 50
    assert_ledger_consistent(services, user_id)


def test_the_database_refuses_a_second_refund_row(services, settings):
    """Idempotency is a unique index, not a Python check: a raw second refund row is rejected."""
    from sqlalchemy.exc import IntegrityError

    user_id = make_user(services, settings, balance=50)
    with services.session() as session:
        generation_id = make_generation(session, user_id)
        billing.charge(session=session, user_id=user_id, cost=10, generation_id=generation_id, description="x")
        billing.refund(session=session, generation_id=generation_id, reason="r")
        session.commit()
        session.add(Transaction(user_id=user_id, kind="refund", amount=10, balance_after=60,
                                generation_id=generation_id, description="forged"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_balance_check_constraint(services, settings):
    from sqlalchemy.exc import IntegrityError

    user_id = make_user(services, settings)
    with services.session() as session:
        with pytest.raises(IntegrityError):
            session.execute(text("UPDATE users SET balance = -1 WHERE id = :id"), {"id": user_id})
            session.commit()


def test_insufficient_credits_writes_nothing(services, settings):
    user_id = make_user(services, settings, balance=5)
    with services.session() as session:
        generation_id = make_generation(session, user_id)
        with pytest.raises(InsufficientCredits) as info:
            billing.charge(session=session, user_id=user_id, cost=10, generation_id=generation_id, description="x")
        assert info.value.balance == 5 and info.value.required == 10
        assert "Недостаточно кредитов" in info.value.message
        session.rollback()
    assert_ledger_consistent(services, user_id)


@pytest.mark.parametrize("amount", [0, -5, 1.5, 10001, "abc", 10**30, None, True, "1e3", [], {}])
def test_deposit_rejects_bad_amounts(services, settings, amount):
    user_id = make_user(services, settings)
    with services.session() as session:
        user = session.get(accounts.User, user_id)
        with pytest.raises(InvalidInput, match="от 1 до 10000"):
            billing.deposit(session=session, user=user, amount=amount)
        assert billing.list_transactions(session=session, user_id=user_id)[1] == 1


def test_deposit_and_admin_adjust(services, settings):
    user_id = make_user(services, settings)
    admin_id = make_user(services, settings, email="admin@example.com")
    with services.session() as session:
        user, admin = session.get(accounts.User, user_id), session.get(accounts.User, admin_id)
        txn = billing.deposit(session=session, user=user, amount=10000)
        assert txn.balance_after == 10030
        adj = billing.admin_adjust(session=session, admin=admin, user_id=user_id, amount=-30, reason="ошибка")
        assert adj.balance_after == 10000 and adj.actor == f"admin:{admin_id}"
        with pytest.raises(Conflict, match="отрицательным"):
            billing.admin_adjust(session=session, admin=admin, user_id=user_id, amount=-10001, reason="слишком")
        with pytest.raises(InvalidInput):
            billing.admin_adjust(session=session, admin=admin, user_id=user_id, amount=5, reason="  ")
    assert_ledger_consistent(services, user_id)


def test_pricing_is_one_function():
    assert pricing.price(size="square", quality="standard", variants=1) == 10
    assert pricing.price(size="portrait", quality="standard", variants=1) == 15
    assert pricing.price(size="landscape", quality="standard", variants=2) == 30
    assert pricing.price(size="square", quality="fast", variants=3) == 15
    assert pricing.price(size="portrait", quality="fast", variants=1) == 8
    for bad in ({"size": "huge", "quality": "fast", "variants": 1}, {"size": "square", "quality": "best",
                                                                         "variants": 1},
                {"size": "square", "quality": "fast", "variants": 5}, {"size": "square", "quality": "fast",
                                                                        "variants": 0}):
        with pytest.raises(InvalidInput):
            pricing.price(**bad)
    table = {(i["size"], i["quality"]): i["credits_per_image"] for i in pricing.pricing_table()["items"]}
    assert table[("square", "standard")] == 10 and len(table) == 9
    assert pricing.price(size="square", quality="draft", variants=2) == 6  # half of fast, rounded up


def test_fifty_parallel_charges_on_postgresql(make_settings, pg_database):
    """50 parallel charges of 10 against a balance of 100: exactly 10 succeed, balance 0, ledger agrees."""
    from tortodelova.server import build_services

    settings = make_settings(database_url=pg_database, welcome_credits=0)
    services = build_services(settings)
    user_id = make_user(services, settings, balance=100)
    with services.session() as session:
        generation_ids = [make_generation(session, user_id) for _ in range(50)]
        session.commit()
    barrier = threading.Barrier(50)
    negative_seen = []

    def charge(generation_id):
        with services.session() as session:
            barrier.wait()
            try:
                billing.charge(session=session, user_id=user_id, cost=10, generation_id=generation_id,
                               description="parallel")
                session.commit()
                ok = True
            except InsufficientCredits:
                session.rollback()
                ok = False
            balance = billing.balance_of(session=session, user_id=user_id)
            if balance < 0:
                negative_seen.append(balance)
            return ok

    services.engine.pool._pool.maxsize = 60  # let all 50 run at once
    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(charge, generation_ids))
    assert results.count(True) == 10
    assert not negative_seen
    with services.session() as session:
        assert billing.balance_of(session=session, user_id=user_id) == 0
        assert session.query(Transaction).filter_by(user_id=user_id, kind="charge").count() == 10
    assert_ledger_consistent(services, user_id)
    services.engine.dispose()
