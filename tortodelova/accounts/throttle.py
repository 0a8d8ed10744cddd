"""Login throttling with `limits`: failed logins counted per account and per client address.

In-process memory in the embedded mode; Redis (shared by every app process) when REDIS_URL is set. Keys carry the
queue name, so deployments (and tests) sharing one Redis never count each other's failures. If the counter store
is unreachable, logins are not blocked by it (the warning is logged): the database, not Redis, decides who signs in.
"""
from __future__ import annotations

import logging
import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from tortodelova.config import Settings
from tortodelova.errors import RateLimited

logger = logging.getLogger(__name__)
TOO_MANY = "Слишком много неудачных попыток входа. Попробуйте снова через {minutes} мин."


@lru_cache(maxsize=16)
def _limiter(uri: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(uri))


@lru_cache(maxsize=64)
def _item(text: str) -> RateLimitItem:
    return parse(text)


def limiter_for(settings: Settings) -> MovingWindowRateLimiter:
    return _limiter(settings.redis_url or "memory://")


def _checks(settings: Settings, *, account: str, client: str | None, what: str = "login",
            ) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
    """`what`: "login" counts failed sign-ins; "reset" and "confirm" (issue 21) count every letter asked for."""
    space = f"tortodelova:{settings.queue_name}:{what}"
    if what == "login":
        account_limit, client_limit = settings.login_account_limit, settings.login_client_limit
    else:
        account_limit, client_limit = settings.mail_account_limit, settings.mail_client_limit
    checks = [(_item(account_limit), (space, "account", account))]
    if client:
        checks.append((_item(client_limit), (space, "client", client)))
    return checks


def ensure_allowed(settings: Settings, *, account: str, client: str | None, what: str = "login",
                   message: str = TOO_MANY) -> None:
    """RateLimited (429, Retry-After) while this account or this client address has used up its failures."""
    limiter = limiter_for(settings)
    try:
        for item, keys in _checks(settings, account=account, client=client, what=what):
            if not limiter.test(item, *keys):
                reset = limiter.get_window_stats(item, *keys).reset_time
                retry_after = max(1, math.ceil(reset - time.time()))
                raise RateLimited(message.format(minutes=max(1, math.ceil(retry_after / 60))),
                                  retry_after=retry_after)
    except RateLimited:
        raise
    except Exception:  # noqa: BLE001 - the counter store is down: say so, do not lock everyone out
        logger.warning("login throttle unavailable", exc_info=True)


def record_failure(settings: Settings, *, account: str, client: str | None, what: str = "login") -> None:
    limiter = limiter_for(settings)
    try:
        for item, keys in _checks(settings, account=account, client=client, what=what):
            limiter.hit(item, *keys)
    except Exception:  # noqa: BLE001
        logger.warning("login throttle unavailable", exc_info=True)


def forget_account(settings: Settings, *, account: str) -> None:
    """A successful login clears the account's count (not the client's: one address trying many accounts stays
    counted)."""
    item, keys = _checks(settings, account=account, client=None)[0]
    try:
        limiter_for(settings).clear(item, *keys)
    except Exception:  # noqa: BLE001
        logger.warning("login throttle unavailable", exc_info=True)
