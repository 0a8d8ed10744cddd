"""Typed answers and bodies of the admin routes."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from tortodelova.billing.schemas import TransactionPublic
from tortodelova.billing.service import ADJUST_LIMIT
from tortodelova.validation import check_int, check_text

REASON_MAX_CHARS = 500


def _reason(value):
    return check_text(value, what="Причина", limit=REASON_MAX_CHARS, empty="") or ""


def _amount(value):
    return check_int(value, what="Сумма корректировки", low=-ADJUST_LIMIT, high=ADJUST_LIMIT)


class Adjustment(BaseModel):
    amount: Annotated[int, Field(ge=-ADJUST_LIMIT, le=ADJUST_LIMIT), BeforeValidator(_amount)]
    reason: Annotated[str, Field(max_length=REASON_MAX_CHARS), BeforeValidator(_reason)] = ""

    model_config = {"json_schema_extra": {"examples": [{"amount": 50, "reason": "Компенсация"}]}}


class AdminUserPublic(BaseModel):
    id: int
    email: str
    role: str
    balance: int
    created_at: datetime
    is_active: bool
    generations: int
    email_verified: bool = False


class AdminUsersPublic(BaseModel):
    items: list[AdminUserPublic]
    total: int


class AdminTransactionPublic(TransactionPublic):
    user_id: int | None
    actor: str | int | None = None


class AdminTransactionsPublic(BaseModel):
    items: list[AdminTransactionPublic]
    total: int


class DayStats(BaseModel):
    day: str
    generations: int
    failures: int
    credits_charged: int
    new_users: int


class StatsPublic(BaseModel):
    days: list[DayStats]
    queue_depth: int
    running: int


class GlossaryMissPublic(BaseModel):
    lemma: str
    count: int
    first_seen: datetime
    last_seen: datetime


class GlossaryMissesPublic(BaseModel):
    items: list[GlossaryMissPublic]
    total: int


class ResetLinkPublic(BaseModel):
    """A one-time password-reset link for the admin to hand over; its query carries `token=`."""
    url: str
    expires_at: datetime


class AuditEventPublic(BaseModel):
    id: int
    actor: str
    action: str
    target_user_id: int | None
    detail: str
    created_at: datetime

    model_config = {"from_attributes": True}


class AuditEventsPublic(BaseModel):
    items: list[AuditEventPublic]
    total: int
