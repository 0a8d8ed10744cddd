from __future__ import annotations

from fastapi import APIRouter, Query

from tortodelova.accounts.deps import CurrentUser
from tortodelova.billing import pricing, service
from tortodelova.billing.schemas import Balance, DepositRequest, DepositResult, TransactionsPublic
from tortodelova.container import ServicesDep, SessionDep

router = APIRouter(tags=["Credits"])


@router.get("/me/balance", response_model=Balance)
def balance(user: CurrentUser):
    return {"balance": user.balance}


@router.post("/me/deposit", response_model=DepositResult)
def deposit(body: DepositRequest, user: CurrentUser, services: ServicesDep, session: SessionDep):
    txn = service.deposit(session=session, user=user, amount=body.amount, settings=services.settings)
    return {"balance": txn.balance_after, "transaction": txn}


@router.get("/me/transactions", response_model=TransactionsPublic)
def transactions(user: CurrentUser, session: SessionDep, limit: int = Query(50, ge=1, le=200),
                 offset: int = Query(0, ge=0, le=service.MAX_OFFSET)):
    items, total = service.list_transactions(session=session, user_id=user.id, limit=limit, offset=offset)
    return {"items": items, "total": total}


@router.get("/pricing")
def get_pricing():
    return pricing.pricing_table()
