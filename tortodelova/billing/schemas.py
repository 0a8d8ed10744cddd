from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class DepositRequest(BaseModel):
    # Typed loosely on purpose: the service parses it strictly and answers in Russian.
    amount: object = None


class TransactionPublic(BaseModel):
    id: int
    kind: str
    amount: int
    balance_after: int
    description: str
    generation_id: str | None
    created_at: datetime

    model_config = {"from_attributes": True}


class TransactionsPublic(BaseModel):
    items: list[TransactionPublic]
    total: int


class Balance(BaseModel):
    balance: int


class DepositResult(BaseModel):
    balance: int
    transaction: TransactionPublic
