"""Password hashing (argon2 through the passlib API) and JWT (HS256, PyJWT)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
from passlib.context import CryptContext

from tortodelova.db import utcnow
from tortodelova.errors import NotAuthenticated

# argon2 has no 72-byte limit, so long Cyrillic passwords hash whole (bcrypt would silently cut them).
_pwd = CryptContext(schemes=["argon2"], deprecated="auto")
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _pwd.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _pwd.verify(password, password_hash)
    except (ValueError, TypeError):
        return False


# Verifying against a real hash when the email is unknown keeps the timing of both answers alike.
DUMMY_HASH = hash_password("not-a-real-password-0")


def create_access_token(*, user_id: int, role: str, secret: str, expires_minutes: int) -> str:
    now = utcnow()
    claims = {"sub": str(user_id), "role": role, "iat": now, "exp": now + timedelta(minutes=expires_minutes),
              "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> dict:
    """The verified claims; any malformed, expired, unsigned or foreign token raises NotAuthenticated."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat", "role", "jti"]}
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated("Сессия истекла: войдите снова") from None
    except jwt.PyJWTError:
        raise NotAuthenticated("Недействительный токен: войдите снова") from None
    if not str(claims.get("sub", "")).isdigit():
        raise NotAuthenticated("Недействительный токен: войдите снова")
    return claims
