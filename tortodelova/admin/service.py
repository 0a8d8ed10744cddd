"""Admin operations. Every function takes the acting admin and checks the role itself, so no edge can forget."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tortodelova.accounts import recovery
from tortodelova.accounts import service as accounts
from tortodelova.accounts.models import AuditEvent, User
from tortodelova.accounts.roles import require_admin
from tortodelova.billing import service as billing
from tortodelova.billing.models import Transaction
from tortodelova.config import Settings
from tortodelova.db import utcnow
from tortodelova.errors import Conflict, InvalidInput, NotFound
from tortodelova.generation import service as generation_service
from tortodelova.generation.models import STATUSES, Generation
from tortodelova.storage import ImageStore
from tortodelova.terms import misses as terms_misses
from tortodelova.uploads.models import Upload

MAX_PAGE = 200


def page(limit, offset) -> tuple[int, int]:
    try:
        limit, offset = int(limit), int(offset)
    except (TypeError, ValueError):
        raise InvalidInput("limit и offset должны быть целыми числами") from None
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(f"limit: от 1 до {MAX_PAGE}, offset: не меньше 0")
    return limit, offset


def get_user(*, session: Session, user_id) -> User:
    user = session.get(User, user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    if user is None:
        raise NotFound("Пользователь не найден")
    return user


def list_users(*, session: Session, admin: User, q: str | None = None, limit=50, offset=0) -> tuple[list[dict], int]:
    require_admin(admin)
    limit, offset = page(limit, offset)
    counts = (select(Generation.user_id, func.count().label("n")).group_by(Generation.user_id).subquery())
    query = (select(User, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.user_id == User.id)
             .where(User.deleted_at.is_(None)))  # accounts deleted by their owners stay only for the ledger
    if q and "\x00" in q:
        raise InvalidInput("Поиск: недопустимый символ (NUL)")
    if q and q.strip():
        query = query.where(User.email.contains(q.strip().lower(), autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(User.created_at.desc(), User.id.desc()).limit(limit).offset(offset)).all()
    return [user_row(user, generations) for user, generations in rows], total


def user_row(user: User, generations: int = 0) -> dict:
    return {"id": user.id, "email": user.email, "role": user.role, "balance": user.balance,
            "created_at": user.created_at, "is_active": user.is_active, "generations": generations,
            "email_verified": user.email_verified}


def adjust_balance(*, session: Session, admin: User, user_id: int, amount, reason: str) -> User:
    require_admin(admin)
    user = get_user(session=session, user_id=user_id)
    billing.admin_adjust(session=session, admin=admin, user_id=user.id, amount=amount, reason=reason)
    session.refresh(user)
    return user


def set_active(*, session: Session, admin: User, user_id: int, active: bool) -> User:
    require_admin(admin)
    user = get_user(session=session, user_id=user_id)
    if not active:
        if user.id == admin.id:
            raise Conflict("Нельзя заблокировать самого себя")
        accounts.ensure_not_last_admin(session=session, user=user)
        accounts.end_sessions(session=session, user=user)  # a blocked user's tokens never come back to life
    user.is_active = active
    session.commit()
    return user


def delete_user(*, session: Session, store: ImageStore, admin: User, user_id: int) -> None:
    """Delete the account, its ledger and designs; its images leave storage first."""
    require_admin(admin)
    user = get_user(session=session, user_id=user_id)
    if user.id == admin.id:
        raise Conflict("Нельзя удалить самого себя")
    accounts.ensure_not_last_admin(session=session, user=user)
    keys = []
    for generation in session.scalars(select(Generation).where(Generation.user_id == user.id)):
        if generation.status in ("queued", "running"):
            generation.cancel_requested = True
        keys += generation_service.stored_keys(generation)
    keys += [upload.key for upload in session.scalars(select(Upload).where(Upload.user_id == user.id))]
    session.delete(user)
    # The account goes first, its objects after: a request of that user that writes an image meanwhile (a
    # re-lettering) either finds the account gone when it checks, or wrote before, and is removed here.
    session.commit()
    generation_service.delete_images(store=store, keys=keys)


def password_reset_link(*, session: Session, settings: Settings, admin: User, user_id: int, base_url: str):
    """A one-time reset link for an admin to hand over (a shop without mail); the admin never sees or sets the
    password. Audited; earlier links of the account stop working. Returns (url, expires_at)."""
    require_admin(admin)
    user = get_user(session=session, user_id=user_id)
    if user.deleted_at is not None or not user.is_active:
        raise Conflict("Аккаунт удалён или заблокирован: ссылку для сброса пароля выдать нельзя")
    url, row = recovery.reset_link_for(session=session, settings=settings, user=user, base_url=base_url,
                                       created_by=f"admin:{admin.id}")
    session.add(AuditEvent(actor=f"admin:{admin.id}", action="password_reset_link", target_user_id=user.id,
                           detail=f"Ссылка для сброса пароля для {user.email}, действует до "
                                  f"{row.expires_at:%d.%m.%Y %H:%M} UTC"))
    expires_at = row.expires_at
    session.commit()
    return url, expires_at


def list_audit(*, session: Session, admin: User, limit=50, offset=0) -> tuple[list[AuditEvent], int]:
    require_admin(admin)
    limit, offset = page(limit, offset)
    total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    items = session.scalars(select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                            .limit(limit).offset(offset)).all()
    return list(items), total


def list_transactions(*, session: Session, admin: User, user_id=None, kind=None, limit=50, offset=0):
    require_admin(admin)
    limit, offset = page(limit, offset)
    if kind and kind not in billing.KIND_TITLES:
        raise InvalidInput(f"Неизвестный вид операции: {', '.join(billing.KIND_TITLES)}")
    return billing.list_transactions(session=session, user_id=user_id, kind=kind or None, limit=limit, offset=offset)


def list_generations(*, session: Session, admin: User, status=None, user_id=None, limit=50, offset=0):
    require_admin(admin)
    limit, offset = page(limit, offset)
    if status and status not in STATUSES:
        raise InvalidInput(f"Неизвестный статус «{status}»: {', '.join(STATUSES)}")
    query = select(Generation).where(Generation.deleted_at.is_(None))
    if status:
        query = query.where(Generation.status == status)
    if user_id is not None:
        query = query.where(Generation.user_id == user_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Generation.created_at.desc()).limit(limit).offset(offset)).all()
    return list(items), total


def stats(*, session: Session, admin: User, days=14) -> dict:
    """Per-day counts for the last `days` days (UTC), plus the current queue depth."""
    require_admin(admin)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise InvalidInput("days: целое число от 1 до 365") from None
    if not 1 <= days <= 365:
        raise InvalidInput("days: целое число от 1 до 365")
    since = (utcnow() - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)

    def per_day(column, *where, value=None):
        day = func.date(column)  # date() exists on both SQLite and PostgreSQL
        agg = func.count() if value is None else func.coalesce(func.sum(value), 0)
        rows = session.execute(select(day, agg).where(column >= since, *where).group_by(day)).all()
        return {str(d): int(n) for d, n in rows}

    generations = per_day(Generation.created_at)
    failures = per_day(Generation.created_at, Generation.status == "failed")
    charged = per_day(Transaction.created_at, Transaction.kind == "charge", value=-Transaction.amount)
    refunded = per_day(Transaction.created_at, Transaction.kind == "refund", value=Transaction.amount)
    new_users = per_day(User.created_at)
    table = []
    for i in range(days):
        day = str((since + timedelta(days=i)).date())
        table.append({"day": day, "generations": generations.get(day, 0), "failures": failures.get(day, 0),
                      "credits_charged": charged.get(day, 0) - refunded.get(day, 0),
                      "new_users": new_users.get(day, 0)})
    return {"days": table, "queue_depth": generation_service.queue_depth(session=session),
            "running": session.scalar(select(func.count()).select_from(Generation)
                                      .where(Generation.status == "running")) or 0}


def glossary_misses(*, session: Session, admin: User, limit=50, offset=0) -> dict:
    """«Слова, которых нет в глоссарии»: lemmas of submitted prompts that no glossary matched and the translation
    transliterated or could not know, most frequent first. Counts only: no prompts, no users."""
    require_admin(admin)
    limit, offset = page(limit, offset)
    return terms_misses.top(session=session, limit=limit, offset=offset)
