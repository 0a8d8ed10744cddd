"""Helpers of the generation tests: the ledger invariant and the ledger rows of one generation."""
from __future__ import annotations

from tortodelova.billing import service as billing
from tortodelova.billing.models import Transaction


def ledger_ok(stack, headers):
    me = stack.client.get("/api/me", headers=headers).json()
    with stack.services.session() as session:
        assert me["balance"] == billing.ledger_sum(session=session, user_id=me["id"])
        assert me["balance"] >= 0
    return me


def kinds(stack, generation_id):
    with stack.services.session() as session:
        return sorted(t.kind for t in session.query(Transaction).filter_by(generation_id=generation_id))
