"""Password hashing (argon2 through the passlib API) and JWT (HS256, PyJWT).

Hashing is CPU- and memory-heavy on purpose, so at most `HASHING` hashes run at once (the setting
`hash_concurrency`): a login flood waits for its turn (503 with Retry-After after a while) instead of taking every
core and every worker thread of the app.
"""
from __future__ import annotations

import hmac
import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta

import jwt
from passlib.context import CryptContext

from tortodelova.db import utcnow
from tortodelova.errors import NotAuthenticated, Overloaded

# argon2 has no 72-byte limit, so long Cyrillic passwords hash whole (bcrypt would silently cut them).
_pwd = CryptContext(schemes=["argon2"], deprecated="auto")
ALGORITHM = "HS256"


def same_secret(known, given) -> bool:
    """Constant-time equality of a secret the server holds and one a client sent, whatever text the client sent:
    `compare_digest` raises TypeError for a non-ASCII str (a 500 for «?claim_token=ё»), so both sides are compared
    as UTF-8 bytes (lone surrogates included)."""
    if not isinstance(known, str) or not isinstance(given, str):
        return False
    return hmac.compare_digest(known.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


HASH_WAIT_SECONDS = 20.0
_hashing = threading.BoundedSemaphore(2)
_hashing_size = 2
_hashing_lock = threading.Lock()


def configure_hashing(concurrency: int) -> None:
    """Set how many hashes may run at once (the app calls this with `Settings.hash_concurrency`)."""
    global _hashing, _hashing_size
    concurrency = max(1, int(concurrency))
    with _hashing_lock:
        if concurrency != _hashing_size:
            _hashing, _hashing_size = threading.BoundedSemaphore(concurrency), concurrency


@contextmanager
def _hash_slot():
    slot = _hashing
    if not slot.acquire(timeout=HASH_WAIT_SECONDS):
        raise Overloaded()
    try:
        yield
    finally:
        slot.release()


def hash_password(password: str) -> str:
    with _hash_slot():
        return _pwd.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    with _hash_slot():
        try:
            return _pwd.verify(password, password_hash)
        except (ValueError, TypeError):
            return False


# Verifying against a real hash when the email is unknown keeps the timing of both answers alike.
DUMMY_HASH = _pwd.hash("not-a-real-password-0")


def create_access_token(*, user_id: int, role: str, secret: str, expires_minutes: int, session_key: str) -> str:
    now = utcnow()
    claims = {"sub": str(user_id), "role": role, "iat": now, "exp": now + timedelta(minutes=expires_minutes),
              "jti": uuid.uuid4().hex, "sk": session_key}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> dict:
    """The verified claims; any malformed, expired, unsigned or foreign token raises NotAuthenticated."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat", "role", "jti", "sk"]}
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated("Сессия истекла: войдите снова") from None
    except jwt.PyJWTError:
        raise NotAuthenticated("Недействительный токен: войдите снова") from None
    sub = str(claims.get("sub", ""))
    if not (sub.isascii() and sub.isdigit() and len(sub) <= 18) or not isinstance(claims.get("sk"), str):
        raise NotAuthenticated("Недействительный токен: войдите снова")
    return claims
