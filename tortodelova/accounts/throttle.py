"""Login and registration throttling with `limits`: sign-in attempts counted per account and per client address,
registrations per client address (IPv6: per /64).

In-process memory in the embedded mode; Redis (shared by every app process) when REDIS_URL is set. Keys carry the
queue name, so deployments (and tests) sharing one Redis never count each other's failures. If the counter store
is unreachable, logins are not blocked by it (the warning is logged): the database, not Redis, decides who signs in.
"""
from __future__ import annotations

import ipaddress
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
TOO_MANY = "Слишком много попыток входа. Попробуйте снова через {minutes} мин."
TOO_MANY_REGISTRATIONS = "Слишком много регистраций с вашего адреса. Попробуйте снова через {minutes} мин."


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


def _refusal(limiter: MovingWindowRateLimiter, item: RateLimitItem, keys: tuple[str, ...], message: str):
    reset = limiter.get_window_stats(item, *keys).reset_time
    retry_after = max(1, math.ceil(reset - time.time()))
    return RateLimited(message.format(minutes=max(1, math.ceil(retry_after / 60))), retry_after=retry_after)


def take_attempt(settings: Settings, *, account: str, client: str | None, what: str = "login",
                 message: str = TOO_MANY) -> None:
    """Count one sign-in attempt for this account and this client address *before* the password is checked, and
    refuse it (RateLimited: 429, Retry-After) when either has none left. The count and the check are one atomic
    step of the counter store (a lock in memory, a Lua script in Redis): 150 parallel attempts get at most the limit
    of real password checks, where a test-then-record pair let 38 of them through a limit of 10. A successful
    sign-in gives the account its attempts back (`forget_account`); the client address keeps them counted.
    `what="reset"/"confirm"` counts the letters asked for (issue 21) the same atomic way."""
    limiter = limiter_for(settings)
    try:
        for item, keys in _checks(settings, account=account, client=client, what=what):
            if not limiter.hit(item, *keys):
                raise _refusal(limiter, item, keys, message)
    except RateLimited:
        raise
    except Exception:  # noqa: BLE001 - the counter store is down: say so, do not lock everyone out
        logger.warning("login throttle unavailable", exc_info=True)


def take(settings: Settings, *, limit: str, keys: tuple[str, ...], message: str) -> None:
    """Count one use of `limit` (the `limits` syntax) under `keys` and refuse it (RateLimited: 429, Retry-After,
    `message` with {minutes}) when none is left; counting and checking are one atomic step."""
    limiter = limiter_for(settings)
    item = _item(limit)
    try:
        if not limiter.hit(item, *keys):
            raise _refusal(limiter, item, keys, message)
    except RateLimited:
        raise
    except Exception:  # noqa: BLE001 - the counter store is down: say so, do not lock everyone out
        logger.warning("throttle unavailable", exc_info=True)


def take_registration(settings: Settings, *, client: str | None) -> None:
    """One registration from this client address (an IPv4 address, or the /64 of an IPv6 one: a single host
    usually holds the whole /64), refused past REGISTER_CLIENT_LIMIT. Counted before the password is hashed."""
    if client:
        take(settings, limit=settings.register_client_limit, message=TOO_MANY_REGISTRATIONS,
             keys=(f"tortodelova:{settings.queue_name}:register", client_network(client)))


def client_network(address: str) -> str:
    """The unit one client is counted by: the address itself for IPv4, its /64 network for IPv6."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def forget_account(settings: Settings, *, account: str) -> None:
    """A successful login clears the account's count (not the client's: one address trying many accounts stays
    counted)."""
    item, keys = _checks(settings, account=account, client=None)[0]
    try:
        limiter_for(settings).clear(item, *keys)
    except Exception:  # noqa: BLE001
        logger.warning("login throttle unavailable", exc_info=True)
