"""Accounts: register, authenticate, tokens, password change, the first admin."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tortodelova.accounts import security
from tortodelova.accounts.models import RevokedToken, User
from tortodelova.billing import service as billing
from tortodelova.config import Settings
from tortodelova.errors import Conflict, EmailTaken, InvalidCredentials, InvalidInput, NotAuthenticated

PASSWORD_MIN, PASSWORD_MAX = 8, 128
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def validate_email(email: str) -> str:
    email = normalize_email(email)
    if not email:
        raise InvalidInput("Укажите email")
    if len(email) > 254 or not _EMAIL_RE.match(email):
        raise InvalidInput(f"Некорректный email: «{email[:60]}»")
    return email


def validate_password(password: str) -> str:
    if not isinstance(password, str) or not (PASSWORD_MIN <= len(password) <= PASSWORD_MAX):
        raise InvalidInput(f"Пароль должен быть от {PASSWORD_MIN} до {PASSWORD_MAX} символов")
    return password


def get_by_email(*, session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def register(*, session: Session, settings: Settings, email: str, password: str, role: str = "user") -> User:
    """Create the user and credit the welcome bonus in one transaction."""
    email = validate_email(email)
    validate_password(password)
    if get_by_email(session=session, email=email) is not None:
        raise EmailTaken()
    user = User(email=email, password_hash=security.hash_password(password), role=role, balance=0)
    session.add(user)
    try:
        session.flush()
        if settings.welcome_credits > 0:
            billing.apply(
                session=session, user_id=user.id, amount=settings.welcome_credits, kind="bonus",
                description="Приветственный бонус", actor="system",
            )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise EmailTaken() from None
    session.refresh(user)
    return user


def authenticate(*, session: Session, email: str, password: str) -> User:
    user = get_by_email(session=session, email=email)
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
        expires_minutes=settings.jwt_expire_minutes,
    )
    return IssuedToken(access_token=token, expires_in=settings.jwt_expire_minutes * 60)


def login(*, session: Session, settings: Settings, email: str, password: str) -> IssuedToken:
    return issue_token(settings=settings, user=authenticate(session=session, email=email, password=password))


def user_from_token(*, session: Session, settings: Settings, token: str | None) -> User:
    """The active user a token belongs to. Role comes from the database, not from the token."""
    if not token:
        raise NotAuthenticated()
    claims = security.decode_access_token(token, secret=settings.resolved_jwt_secret())
    if session.get(RevokedToken, str(claims["jti"])) is not None:
        raise NotAuthenticated("Сессия завершена: войдите снова")
    user = session.get(User, int(claims["sub"]))
    if user is None:
        raise NotAuthenticated("Недействительный токен: войдите снова")
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


def change_password(*, session: Session, user: User, old_password: str, new_password: str) -> None:
    if not security.verify_password(old_password or "", user.password_hash):
        raise InvalidInput("Текущий пароль указан неверно")
    validate_password(new_password)
    user.password_hash = security.hash_password(new_password)
    session.commit()


def ensure_admin(*, session: Session, settings: Settings, email: str, password: str | None) -> User:
    """Create the admin, or promote an existing user (and reset the password when one is given)."""
    user = get_by_email(session=session, email=email)
    if user is None:
        if not password:
            raise InvalidInput("Для нового администратора нужен пароль")
        return register(session=session, settings=settings, email=email, password=password, role="admin")
    if user.role != "admin" or not user.is_active:
        user.role, user.is_active = "admin", True
    if password:
        validate_password(password)
        if not security.verify_password(password, user.password_hash):
            user.password_hash = security.hash_password(password)
    session.commit()
    return user


def count_admins(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.is_active)) or 0


def ensure_not_last_admin(*, session: Session, user: User) -> None:
    if user.role == "admin" and count_admins(session=session) <= 1:
        raise Conflict("Нельзя удалить или заблокировать последнего администратора")
