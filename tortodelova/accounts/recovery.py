"""One-time links: password reset and address confirmation.

Only the SHA-256 of a token is stored. A reset link lives `reset_token_minutes` (30), works once, and a newer
request deletes the older links (a superseded link reads as unknown). Using it sets the password and ends every
session of the account (the `sk` key). Requests are throttled per address and per client like sign-in, and the
answer is the same whether or not the address has an account.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tortodelova.accounts import letters, security, throttle
from tortodelova.accounts.models import AccountToken, User
from tortodelova.accounts.service import end_sessions, get_by_email, normalize_email, validate_password
from tortodelova.config import Settings
from tortodelova.db import utcnow
from tortodelova.errors import Conflict, DomainError, Forbidden
from tortodelova.mail.letter import Letter

logger = logging.getLogger(__name__)
Post = Callable[[Letter], None]

RESET_PATH, CONFIRM_PATH = "/reset", "/confirm-email"
RESET_REQUESTED = ("Если такой адрес зарегистрирован, мы отправили на него письмо со ссылкой для сброса пароля. "
                   "Проверьте почту (и папку «Спам»).")
TOO_MANY_MAIL = "Слишком много запросов писем. Попробуйте снова через {minutes} мин."


class InvalidLink(DomainError):
    """A one-time link that cannot be used (400): the message says why and what to do."""
    status = 400


UNKNOWN = ("Ссылка недействительна: возможно, её заменила более новая. Откройте последнее письмо или запросите "
           "ссылку снова.")
USED = "Эта ссылка уже использована. Если нужно, запросите сброс пароля ещё раз."
EXPIRED = "Срок действия ссылки истёк. Запросите новую ссылку."
CONFIRM_UNKNOWN = "Ссылка подтверждения недействительна: возможно, пришло письмо новее. Откройте последнее письмо."
CONFIRM_EXPIRED = "Срок действия ссылки подтверждения истёк. Запросите новое письмо в «Профиле»."
CONFIRM_OTHER_ADDRESS = "Эта ссылка подтверждала другой адрес. Запросите новое письмо в «Профиле»."
NOT_CONFIRMED = "Сначала подтвердите адрес почты: ссылка в письме после регистрации (отправить снова — в «Профиле»)."


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def link(base_url: str, path: str, raw: str) -> str:
    return f"{base_url.rstrip('/')}{path}?token={raw}"


def issue(*, session: Session, user: User, purpose: str, lifetime: timedelta, created_by: str = "user"
          ) -> tuple[str, AccountToken]:
    """A fresh token for `purpose`; the user's earlier ones of that purpose stop working (the caller commits)."""
    session.execute(delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.purpose == purpose))
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    row = AccountToken(token_hash=token_hash(raw), user_id=user.id, purpose=purpose, email=user.email,
                       created_at=now, expires_at=now + lifetime, created_by=created_by)
    session.add(row)
    session.flush()
    return raw, row


def _find(session: Session, raw, purpose: str) -> AccountToken | None:
    if not isinstance(raw, str) or not 10 <= len(raw) <= 128:
        return None
    return session.scalar(select(AccountToken).where(AccountToken.token_hash == token_hash(raw),
                                                     AccountToken.purpose == purpose))


# ------------------------------------------------------------------ password reset
def _throttle(settings: Settings, *, what: str, account: str, client: str | None) -> None:
    throttle.take_attempt(settings, account=account, client=client, what=what, message=TOO_MANY_MAIL)


def request_reset(*, session: Session, settings: Settings, email, base_url: str, post: Post,
                  client: str | None = None) -> str:
    """Mail a reset link if the address has an active account; answer the same message either way."""
    account = normalize_email(email if isinstance(email, str) else "")[:254]
    _throttle(settings, what="reset", account=account, client=client)
    user = get_by_email(session=session, email=account) if account and "\x00" not in account else None
    if user is None or not user.is_active or user.deleted_at is not None:
        token_hash(secrets.token_urlsafe(32))  # about the same work as for a real account
        session.commit()
        logger.info("password reset asked for an unknown or inactive address")
        return RESET_REQUESTED
    minutes = settings.reset_token_minutes
    raw, _row = issue(session=session, user=user, purpose="reset", lifetime=timedelta(minutes=minutes))
    session.commit()
    post(letters.password_reset(to=user.email, link=link(base_url, RESET_PATH, raw), minutes=minutes))
    return RESET_REQUESTED


def reset_link_for(*, session: Session, settings: Settings, user: User, base_url: str, created_by: str
                   ) -> tuple[str, AccountToken]:
    """The same one-time link, handed to an admin instead of mailed (the caller audits and commits)."""
    raw, row = issue(session=session, user=user, purpose="reset",
                     lifetime=timedelta(minutes=settings.reset_token_minutes), created_by=created_by)
    return link(base_url, RESET_PATH, raw), row


def check_reset(*, session: Session, token) -> AccountToken:
    """The usable reset token, or InvalidLink saying why (unknown or superseded, used, expired)."""
    row = _find(session, token, "reset")
    if row is None:
        raise InvalidLink(UNKNOWN)
    if row.used_at is not None:
        raise InvalidLink(USED)
    if row.expires_at <= utcnow():
        raise InvalidLink(EXPIRED)
    user = session.get(User, row.user_id)
    if user is None or user.deleted_at is not None or not user.is_active:
        raise InvalidLink(UNKNOWN)
    return row


def reset_password(*, session: Session, token, password) -> User:
    """Set the new password through a reset link; every session of the account ends, every reset link dies."""
    validate_password(password)
    check_reset(session=session, token=token)
    session.commit()  # no connection held while the hash waits for its slot and runs
    password_hash = security.hash_password(password)
    now = utcnow()
    took = session.execute(
        update(AccountToken)
        .where(AccountToken.token_hash == token_hash(token), AccountToken.purpose == "reset",
               AccountToken.used_at.is_(None), AccountToken.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if not took:  # a parallel use of the same link won
        session.rollback()
        raise InvalidLink(USED)
    row = _find(session, token, "reset")
    user = session.get(User, row.user_id)
    user.password_hash = password_hash
    end_sessions(session=session, user=user)
    session.execute(delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.purpose == "reset",
                                               AccountToken.id != row.id))
    session.commit()
    logger.info("password of user %s reset through a one-time link (%s)", user.id, row.created_by)
    return user


# ------------------------------------------------------------------ address confirmation
def send_confirmation(*, session: Session, settings: Settings, user: User, base_url: str, post: Post) -> None:
    hours = settings.confirm_token_hours
    raw, _row = issue(session=session, user=user, purpose="confirm", lifetime=timedelta(hours=hours))
    session.commit()
    post(letters.confirm_address(to=user.email, link=link(base_url, CONFIRM_PATH, raw), hours=hours))


def resend_confirmation(*, session: Session, settings: Settings, user: User, base_url: str, post: Post,
                        client: str | None = None) -> None:
    if user.email_verified:
        raise Conflict("Адрес уже подтверждён")
    _throttle(settings, what="confirm", account=str(user.id), client=client)
    send_confirmation(session=session, settings=settings, user=user, base_url=base_url, post=post)


def mark_confirmed(*, session: Session, token) -> tuple[User, bool]:
    """Confirm the address the link was sent to (the caller commits). Returns the user and whether this call
    confirmed it; a second click on the same link (or a parallel one) is not an error."""
    row = _find(session, token, "confirm")
    if row is None:
        raise InvalidLink(CONFIRM_UNKNOWN)
    user = session.get(User, row.user_id)
    if user is None or user.deleted_at is not None:
        raise InvalidLink(CONFIRM_UNKNOWN)
    if row.email != user.email:
        raise InvalidLink(CONFIRM_OTHER_ADDRESS)
    if row.used_at is not None:
        return user, False
    if row.expires_at <= utcnow():
        raise InvalidLink(CONFIRM_EXPIRED)
    now = utcnow()
    session.execute(update(AccountToken).where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
                    .values(used_at=now).execution_options(synchronize_session=False))
    moved = session.execute(update(User).where(User.id == user.id, User.email_verified_at.is_(None))
                            .values(email_verified_at=now).execution_options(synchronize_session=False)).rowcount
    session.refresh(user)
    return user, bool(moved)


def ensure_confirmed(*, settings: Settings, user: User, message: str = NOT_CONFIRMED) -> None:
    """Forbidden while this service requires confirmed addresses and this one is not."""
    if settings.email_confirmation_required and not user.email_verified:
        raise Forbidden(message)
