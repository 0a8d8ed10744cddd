"""REST routes of the admin screens: every route typed; the admin service checks the role itself as well."""
from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request, Response

from tortodelova.accounts.deps import AdminUser
from tortodelova.accounts.schemas import UserPublic
from tortodelova.admin import service
from tortodelova.admin.schemas import (
    Adjustment,
    AdminTransactionPublic,
    AdminTransactionsPublic,
    AdminUserPublic,
    AdminUsersPublic,
    AuditEventPublic,
    AuditEventsPublic,
    GlossaryMissesPublic,
    ResetLinkPublic,
    StatsPublic,
)
from tortodelova.container import ServicesDep, SessionDep
from tortodelova.generation import service as generation_service
from tortodelova.generation.image_links import SignedLinks
from tortodelova.generation.schemas import AdminGenerationPublic, AdminGenerationsPublic

router = APIRouter(prefix="/admin", tags=["Admin"])
ID_MAX = 2**63 - 1
UserId = Path(ge=1, le=ID_MAX)
Offset = Query(0, ge=0, le=10**9)


@router.get("/users", response_model=AdminUsersPublic)
def users(admin: AdminUser, session: SessionDep, q: str | None = Query(None, max_length=200),
          limit: int = Query(50, ge=1, le=200), offset: int = Offset):
    items, total = service.list_users(session=session, admin=admin, q=q, limit=limit, offset=offset)
    return AdminUsersPublic(items=[AdminUserPublic(**item) for item in items], total=total)


@router.post("/users/{user_id}/balance", response_model=UserPublic)
def adjust(body: Adjustment, admin: AdminUser, session: SessionDep, user_id: int = UserId):
    return service.adjust_balance(session=session, admin=admin, user_id=user_id, amount=body.amount,
                                  reason=body.reason)


@router.post("/users/{user_id}/block", response_model=UserPublic)
def block(admin: AdminUser, session: SessionDep, user_id: int = UserId):
    return service.set_active(session=session, admin=admin, user_id=user_id, active=False)


@router.post("/users/{user_id}/unblock", response_model=UserPublic)
def unblock(admin: AdminUser, session: SessionDep, user_id: int = UserId):
    return service.set_active(session=session, admin=admin, user_id=user_id, active=True)


@router.delete("/users/{user_id}", status_code=204, response_class=Response)
def delete_user(admin: AdminUser, services: ServicesDep, session: SessionDep, user_id: int = UserId):
    service.delete_user(session=session, store=services.store, admin=admin, user_id=user_id)
    return Response(status_code=204)


@router.post("/users/{user_id}/password-reset", response_model=ResetLinkPublic)
def password_reset_link(request: Request, admin: AdminUser, services: ServicesDep, session: SessionDep,
                        user_id: int = UserId):
    """A one-time reset link to hand over to the chef (for a shop with no mail server); the admin never sees or
    sets the password. Earlier reset links of the account stop working; the handover is in the audit log."""
    base = services.settings.public_url or str(request.base_url)
    url, expires_at = service.password_reset_link(session=session, settings=services.settings, admin=admin,
                                                  user_id=user_id, base_url=base)
    return ResetLinkPublic(url=url, expires_at=expires_at)


@router.get("/audit", response_model=AuditEventsPublic)
def audit(admin: AdminUser, session: SessionDep, limit: int = Query(50, ge=1, le=200), offset: int = Offset):
    items, total = service.list_audit(session=session, admin=admin, limit=limit, offset=offset)
    return AuditEventsPublic(items=[AuditEventPublic.model_validate(item) for item in items], total=total)


@router.get("/transactions", response_model=AdminTransactionsPublic)
def transactions(admin: AdminUser, session: SessionDep, user_id: int | None = Query(None, ge=1, le=ID_MAX),
                 kind: str | None = Query(None, max_length=32), limit: int = Query(50, ge=1, le=200),
                 offset: int = Offset):
    items, total = service.list_transactions(session=session, admin=admin, user_id=user_id, kind=kind,
                                             limit=limit, offset=offset)
    return AdminTransactionsPublic(items=[AdminTransactionPublic.model_validate(t, from_attributes=True)
                                          for t in items], total=total)


@router.get("/generations", response_model=AdminGenerationsPublic)
def generations(admin: AdminUser, services: ServicesDep, session: SessionDep,
                status: str | None = Query(None, max_length=32), user_id: int | None = Query(None, ge=1, le=ID_MAX),
                limit: int = Query(50, ge=1, le=200), offset: int = Offset):
    items, total = service.list_generations(session=session, admin=admin, status=status, user_id=user_id,
                                            limit=limit, offset=offset)
    # The admin is not the owner: every image link is a short-lived signed one.
    page = generation_service.public_page(session=session, generations=items, links=SignedLinks(services.settings))
    return AdminGenerationsPublic(
        items=[AdminGenerationPublic(**public.model_dump(), user_id=g.user_id) for public, g in zip(page, items)],
        total=total)


@router.get("/stats", response_model=StatsPublic)
def stats(admin: AdminUser, session: SessionDep, days: int = Query(14, ge=1, le=365)):
    return service.stats(session=session, admin=admin, days=days)


@router.get("/glossary-misses", response_model=GlossaryMissesPublic)
def glossary_misses(admin: AdminUser, session: SessionDep, limit: int = Query(50, ge=1, le=200),
                    offset: int = Offset):
    """«Слова, которых нет в глоссарии»: {"items": [{"lemma", "count", "first_seen", "last_seen"}], "total"}."""
    return service.glossary_misses(session=session, admin=admin, limit=limit, offset=offset)
