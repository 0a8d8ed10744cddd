from __future__ import annotations

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from tortodelova.accounts.schemas import UserPublic
from tortodelova.admin import service
from tortodelova.api.deps import AdminUser, ServicesDep, SessionDep
from tortodelova.billing.schemas import TransactionPublic
from tortodelova.generation import service as generation_service

router = APIRouter(prefix="/admin", tags=["Admin"])


class Adjustment(BaseModel):
    amount: object = None
    reason: object = None


@router.get("/users")
def users(admin: AdminUser, session: SessionDep, q: str | None = None, limit: int = Query(50, ge=1, le=200),
          offset: int = Query(0, ge=0)):
    items, total = service.list_users(session=session, admin=admin, q=q, limit=limit, offset=offset)
    return {"items": items, "total": total}


@router.post("/users/{user_id}/balance", response_model=UserPublic)
def adjust(user_id: int, body: Adjustment, admin: AdminUser, session: SessionDep):
    reason = body.reason if isinstance(body.reason, str) else ""
    return service.adjust_balance(session=session, admin=admin, user_id=user_id, amount=body.amount, reason=reason)


@router.post("/users/{user_id}/block", response_model=UserPublic)
def block(user_id: int, admin: AdminUser, session: SessionDep):
    return service.set_active(session=session, admin=admin, user_id=user_id, active=False)


@router.post("/users/{user_id}/unblock", response_model=UserPublic)
def unblock(user_id: int, admin: AdminUser, session: SessionDep):
    return service.set_active(session=session, admin=admin, user_id=user_id, active=True)


@router.delete("/users/{user_id}", status_code=204)
def delete_user(user_id: int, admin: AdminUser, services: ServicesDep, session: SessionDep):
    service.delete_user(session=session, store=services.store, admin=admin, user_id=user_id)
    return Response(status_code=204)


@router.get("/transactions")
def transactions(admin: AdminUser, session: SessionDep, user_id: int | None = None, kind: str | None = None,
                 limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)):
    items, total = service.list_transactions(session=session, admin=admin, user_id=user_id, kind=kind,
                                             limit=limit, offset=offset)
    return {"items": [TransactionPublic.model_validate(t).model_dump() | {"user_id": t.user_id, "actor": t.actor}
                      for t in items], "total": total}


@router.get("/generations")
def generations(admin: AdminUser, services: ServicesDep, session: SessionDep, status: str | None = None,
                user_id: int | None = None, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)):
    items, total = service.list_generations(session=session, admin=admin, status=status, user_id=user_id,
                                            limit=limit, offset=offset)
    return {"items": [generation_service.to_public(session=session, settings=services.settings, generation=g)
                      | {"user_id": g.user_id} for g in items], "total": total}


@router.get("/stats")
def stats(admin: AdminUser, session: SessionDep, days: int = Query(14, ge=1, le=365)):
    return service.stats(session=session, admin=admin, days=days)
