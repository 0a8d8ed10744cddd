"""The credits ledger.

Every balance change is one conditional UPDATE ... RETURNING plus one ledger row with `balance_after`, in the same
database transaction. `apply` never commits: the operation that calls it owns the transaction (a charge commits
together with its generation row). `deposit` and `admin_adjust` are whole operations and commit.
"""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tortodelova.accounts.models import User
from tortodelova.billing.models import Transaction
from tortodelova.errors import Conflict, InsufficientCredits, InvalidInput, NotFound, SelfTopupDisabled
from tortodelova.observability import metrics
from tortodelova.validation import parse_int as _parse_int

DEPOSIT_MIN, DEPOSIT_MAX = 1, 10_000
ADJUST_LIMIT = 1_000_000
MAX_OFFSET = 1_000_000_000  # far past any real ledger, well inside every database's integer

KIND_TITLES = {
    "deposit": "Пополнение",
    "charge": "Списание",
    "refund": "Возврат",
    "bonus": "Бонус",
    "admin_adjust": "Корректировка",
}


def apply(
    *, session: Session, user_id: int, amount: int, kind: str, description: str = "",
    generation_id: str | None = None, actor: str = "system",
) -> Transaction:
    """Change the balance by `amount` (signed) and write the ledger row. Raises InsufficientCredits if it would go
    below zero; the balance is never read first, so parallel callers cannot overspend."""
    stmt = update(User).where(User.id == user_id).values(balance=User.balance + amount).returning(User.balance)
    if amount < 0:
        stmt = stmt.where(User.balance >= -amount)
    new_balance = session.execute(stmt.execution_options(synchronize_session=False)).scalar_one_or_none()
    if new_balance is None:
        balance = session.scalar(select(User.balance).where(User.id == user_id))
        if balance is None:
            raise NotFound("Пользователь не найден")
        raise InsufficientCredits(balance=balance, required=-amount)
    txn = Transaction(
        user_id=user_id, kind=kind, amount=amount, balance_after=new_balance, description=description[:500],
        generation_id=generation_id, actor=actor,
    )
    session.add(txn)
    session.flush()
    return txn


def charge(*, session: Session, user_id: int, cost: int, generation_id: str, description: str) -> Transaction:
    row = apply(
        session=session, user_id=user_id, amount=-cost, kind="charge", description=description,
        generation_id=generation_id, actor="user",
    )
    metrics.CREDITS_CHARGED.inc(cost)
    return row


def refund(*, session: Session, generation_id: str, reason: str) -> Transaction | None:
    """Give back what the generation was charged, at most once. The unique index on refunds decides, not Python:
    a second refund fails inside a savepoint and leaves the balance untouched. Returns None if nothing to refund."""
    charged = session.scalar(
        select(Transaction).where(Transaction.generation_id == generation_id, Transaction.kind == "charge")
    )
    if charged is None or charged.amount == 0:
        return None
    try:
        with session.begin_nested():
            row = apply(
                session=session, user_id=charged.user_id, amount=-charged.amount, kind="refund",
                description=reason, generation_id=generation_id,
            )
    except IntegrityError:
        return None
    metrics.CREDITS_REFUNDED.inc(row.amount)
    return row


def parse_int(value, *, low: int, high: int, what: str) -> int:
    """The shared parser, refusing non-ASCII digits first («²», «٣»: `isdigit()` accepts them, `int()` does not)."""
    if isinstance(value, str) and not value.isascii():
        raise InvalidInput(f"{what}: нужно целое число от {low} до {high}")
    return _parse_int(value, low=low, high=high, what=what)


def deposit(*, session: Session, user: User, amount, settings=None) -> Transaction:
    """Self-service top-up; refused when the operator turned it off (`SELF_TOPUP=false`)."""
    settings = settings if settings is not None else session.info.get("settings")
    if settings is not None and not settings.self_topup:
        raise SelfTopupDisabled()
    amount = parse_int(amount, low=DEPOSIT_MIN, high=DEPOSIT_MAX, what="Сумма пополнения")
    txn = apply(session=session, user_id=user.id, amount=amount, kind="deposit",
                description="Пополнение баланса", actor="user")
    session.commit()
    session.refresh(user)
    return txn


def admin_adjust(*, session: Session, admin: User, user_id: int, amount, reason: str) -> Transaction:
    amount = parse_int(amount, low=-ADJUST_LIMIT, high=ADJUST_LIMIT, what="Сумма корректировки")
    if amount == 0:
        raise InvalidInput("Сумма корректировки не может быть нулевой")
    reason = (reason if isinstance(reason, str) else "").strip()
    if not reason:
        raise InvalidInput("Укажите причину корректировки")
    try:
        txn = apply(session=session, user_id=user_id, amount=amount, kind="admin_adjust",
                    description=reason, actor=f"admin:{admin.id}")
    except InsufficientCredits as exc:
        session.rollback()
        raise Conflict(f"Баланс не может стать отрицательным: сейчас {exc.balance}") from None
    session.commit()
    return txn


def balance_of(*, session: Session, user_id: int) -> int:
    return session.scalar(select(User.balance).where(User.id == user_id)) or 0


def list_transactions(
    *, session: Session, user_id: int | None = None, limit: int = 50, offset: int = 0, kind: str | None = None,
) -> tuple[list[Transaction], int]:
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"offset: от 0 до {MAX_OFFSET}")
    query = select(Transaction)
    if user_id is not None:
        if not -(2**31) <= user_id < 2**31:
            raise InvalidInput("user_id: такого пользователя нет")
        query = query.where(Transaction.user_id == user_id)
    if kind:
        query = query.where(Transaction.kind == kind)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Transaction.created_at.desc(), Transaction.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(items), total


def ledger_sum(*, session: Session, user_id: int) -> int:
    return session.scalar(select(func.coalesce(func.sum(Transaction.amount), 0)).where(Transaction.user_id == user_id))
