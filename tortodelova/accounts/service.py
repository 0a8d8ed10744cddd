"""Accounts: register, authenticate, tokens, password change, the first admin."""
from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tortodelova.accounts import security, throttle
from tortodelova.accounts.models import RevokedToken, User, new_session_key
from tortodelova.config import Settings
from tortodelova.db import utcnow
from tortodelova.errors import Conflict, EmailTaken, InvalidCredentials, InvalidInput, NotAuthenticated

PASSWORD_MIN, PASSWORD_MAX = 8, 128
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# Control, format (zero-width space, joiners, bidi marks), private-use, unassigned and separator characters: they
# make look-alike addresses that read the same to a person.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


def _encodable(text) -> bool:
    """False for text no UTF-8 encoder takes (a lone surrogate from a JSON "\\udcff"): the database driver and
    the password hash would fail on it with a 500 instead of a refusal."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def normalize_email(email: str) -> str:
    """NFKC (full-width letters become ASCII ones), trimmed, lower case: one spelling per address."""
    if not isinstance(email, str) or not _encodable(email):
        return ""
    return unicodedata.normalize("NFKC", email).strip().lower()


def validate_email(email: str) -> str:
    email = normalize_email(email)
    if not email:
        raise InvalidInput("Укажите электронную почту")
    if any(unicodedata.category(ch) in _INVISIBLE for ch in email):
        raise InvalidInput("Email содержит невидимые или управляющие символы")
    if len(email) > 254 or not _EMAIL_RE.match(email):
        raise InvalidInput(f"Некорректный адрес почты: «{email[:60]}»")
    return email


def validate_password(password: str) -> str:
    if not isinstance(password, str) or not (PASSWORD_MIN <= len(password) <= PASSWORD_MAX):
        raise InvalidInput(f"Пароль должен быть от {PASSWORD_MIN} до {PASSWORD_MAX} символов")
    if not _encodable(password):
        raise InvalidInput("Пароль содержит недопустимые символы")
    return password


def get_by_email(*, session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


@contextmanager
def new_user(*, session: Session, email: str, password: str, role: str = "user") -> Iterator[User]:
    """Create a user; the caller adds what belongs to the same transaction (the welcome bonus) inside the block,
    and it all commits together. A parallel registration of the same address ends as EmailTaken."""
    email = validate_email(email)
    validate_password(password)
    # Hash first: waiting for a hashing slot must not hold a database connection.
    password_hash = security.hash_password(password)
    if get_by_email(session=session, email=email) is not None:
        raise EmailTaken()
    user = User(email=email, password_hash=password_hash, role=role, balance=0)
    session.add(user)
    try:
        session.flush()
        yield user
        session.commit()
    except IntegrityError:
        session.rollback()
        raise EmailTaken() from None
    except BaseException:
        session.rollback()
        raise
    session.refresh(user)


def authenticate(*, session: Session, email: str, password: str) -> User:
    user = get_by_email(session=session, email=email) if normalize_email(email) else None
    if not isinstance(password, str) or not _encodable(password):
        password = ""  # cannot be anyone's password; checked against the dummy hash like any wrong one
    # The connection goes back to the pool before the (slow, bounded) hash check: a login waiting for its turn to
    # hash holds no database connection.
    session.commit()
    if user is None:
        security.verify_password(password or "", security.DUMMY_HASH)
        raise InvalidCredentials()
    if not security.verify_password(password or "", user.password_hash):
        raise InvalidCredentials()
    if not user.is_active:
        raise NotAuthenticated("Аккаунт заблокирован. Обратитесь к администратору.")
    return user


@dataclass
class IssuedToken:
    access_token: str
    expires_in: int


def issue_token(*, settings: Settings, user: User) -> IssuedToken:
    token = security.create_access_token(
        user_id=user.id, role=user.role, secret=settings.resolved_jwt_secret(),
        expires_minutes=settings.jwt_expire_minutes, session_key=user.session_key,
    )
    return IssuedToken(access_token=token, expires_in=settings.jwt_expire_minutes * 60)


def login(*, session: Session, settings: Settings, email: str, password: str, client: str | None = None,
          ) -> IssuedToken:
    """Sign in. Every attempt is counted before its password is hashed; past the limit for this account or this
    client address the answer is 429 with Retry-After, also when the password is finally right."""
    account = normalize_email(email)[:254]
    throttle.take_attempt(settings, account=account, client=client)
    user = authenticate(session=session, email=email, password=password)
    throttle.forget_account(settings, account=account)
    return issue_token(settings=settings, user=user)


def user_from_token(*, session: Session, settings: Settings, token: str | None) -> User:
    """The active user a token belongs to. Role comes from the database, not from the token."""
    if not token:
        raise NotAuthenticated()
    claims = security.decode_access_token(token, secret=settings.resolved_jwt_secret())
    if session.get(RevokedToken, str(claims["jti"])) is not None:
        raise NotAuthenticated("Сессия завершена: войдите снова")
    user = session.get(User, int(claims["sub"]))
    if user is None or not security.same_secret(user.session_key, str(claims["sk"])):
        # Deleted, or every session ended (password change, block, operator reset): the token is dead.
        raise NotAuthenticated("Сессия завершена: войдите снова")
    if not user.is_active:
        raise NotAuthenticated("Аккаунт заблокирован. Обратитесь к администратору.")
    return user


def logout(*, session: Session, settings: Settings, token: str | None) -> None:
    """End this session on the server: the token is refused from now on, even if someone copied it."""
    if not token:
        return
    try:
        claims = security.decode_access_token(token, secret=settings.resolved_jwt_secret())
    except NotAuthenticated:
        return  # an invalid token is already useless
    session.add(RevokedToken(jti=str(claims["jti"])[:64], user_id=int(claims["sub"]),
                             expires_at=datetime.fromtimestamp(claims["exp"], timezone.utc)))
    try:
        session.commit()
    except IntegrityError:  # signed out twice, or the user is gone
        session.rollback()


def end_sessions(*, session: Session, user: User) -> None:
    """Every token issued to this user so far stops working (the caller commits)."""
    user.session_key = new_session_key()
    session.flush()


def change_password(*, session: Session, settings: Settings | None = None, user: User, old_password: str,
                    new_password: str) -> IssuedToken | None:
    """Change the password and end every session of the user; returns a fresh token for the one that asked
    (when `settings` is given)."""
    session.commit()  # nothing pending: the connection goes back to the pool while the hashes wait and run
    if (not isinstance(old_password, str) or not _encodable(old_password)
            or not security.verify_password(old_password, user.password_hash)):
        raise InvalidInput("Текущий пароль указан неверно")
    validate_password(new_password)
    user.password_hash = security.hash_password(new_password)
    end_sessions(session=session, user=user)
    session.commit()
    return issue_token(settings=settings, user=user) if settings is not None else None


PROMOTE_HINT = ("Пользователь {email} уже зарегистрирован и не администратор. Адрес мог занять кто угодно: "
                "назначьте его администратором явно — create-admin --promote (или TORTODELOVA_ADMIN_PROMOTE=true)")


PROMOTE_UNCONFIRMED = ("Пользователь {email} не подтвердил адрес почты: назначить его администратором можно только "
                      "после подтверждения (ссылка в письме после регистрации)")


def ensure_admin(*, session: Session, settings: Settings, email: str, password: str | None,
                 promote: bool = False, reset_password: bool = True) -> User:
    """Create the admin. An existing account becomes admin only with `promote` (anyone can register any address
    first). When the operator gives a password, it replaces the account's password and ends its sessions — on
    creation and promotion always, for an account that is already admin only with `reset_password` (the
    `create-admin --password` command). The TORTODELOVA_ADMIN_* bootstrap at every start passes False: the
    admin's own later password change (and the sessions it started) survives a restart."""
    user = get_by_email(session=session, email=email)
    if user is None:
        if not password:
            raise InvalidInput("Для нового администратора нужен пароль")
        # An operator account: no welcome bonus (that is a customer's ledger entry; admins adjust balances).
        with new_user(session=session, email=email, password=password, role="admin") as user:
            user.email_verified_at = utcnow()  # the operator vouches for the address they configured
        return user
    promoted = user.role != "admin"
    if promoted and not promote:
        raise Conflict(PROMOTE_HINT.format(email=user.email))
    if promoted and settings.email_confirmation_required and not user.email_verified:
        # Whoever registered the address first has not shown they read its mail: no admin rights for them.
        raise Conflict(PROMOTE_UNCONFIRMED.format(email=user.email))
    user.role, user.is_active = "admin", True
    if password:
        validate_password(password)
        if promoted or (reset_password and not security.verify_password(password, user.password_hash)):
            user.password_hash = security.hash_password(password)
            end_sessions(session=session, user=user)
    session.commit()
    return user


def count_admins(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.is_active)) or 0


def ensure_not_last_admin(*, session: Session, user: User) -> None:
    if user.role == "admin" and count_admins(session=session) <= 1:
        raise Conflict("Нельзя удалить или заблокировать последнего администратора")


def logout_everywhere(*, session: Session, user: User) -> None:
    """Every session of the account ends, the one that asked included."""
    end_sessions(session=session, user=user)
    session.commit()
