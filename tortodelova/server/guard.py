"""`EdgeGuard`: what every request passes before it reaches a route (plain ASGI: streams and SSE untouched).

- `EdgeGuard` refuses, with a 4xx and a Russian message, what no route may ever see: NUL bytes in the path, the
  query or a JSON/form body (PostgreSQL cannot store them), an absurd `X-Forwarded-For`, Gradio's public monitoring
  page, bodies over the limit (413 from `Content-Length` before a byte is read, or as soon as a streamed body
  passes it), bodies that do not arrive in time (408), and upload floods from one address (429). A request reaches
  the app, and so the in-flight limit behind it, only once its whole body is in: stalled clients hold no slot.

The other middleware: `server.headers` (security headers), `server.access_log` (redaction); the error answers:
`server.errors`.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from urllib.parse import unquote_to_bytes

from tortodelova.config import Settings

logger = logging.getLogger(__name__)

NUL_MESSAGE = "Запрос содержит недопустимый символ (NUL)"
SURROGATE_MESSAGE = "Запрос содержит недопустимый символ (одиночный суррогат Unicode): проверьте введённый текст"
TOO_LARGE = "Тело запроса слишком большое: не больше {limit} КиБ"
TOO_SLOW = "Тело запроса не пришло вовремя"
BAD_FORWARDED = "Некорректный заголовок X-Forwarded-For"
TOO_MANY_UPLOADS = "Слишком много загрузок, попробуйте позже"
UPLOAD_NEEDS_LOGIN = "Загружать файлы могут только вошедшие пользователи"
FORWARDED_MAX_ITEM, FORWARDED_MAX_TOTAL = 64, 1024
UPLOAD_PATHS = ("/gradio_api/upload", "/upload")
CLOSED_PREFIXES = ("/monitoring", "/gradio_api/monitoring")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _json_response(status: int, detail: str, headers: dict | None = None):
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    head += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]

    async def respond(send):
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": body})

    return respond


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _bad_text_in_json(body: bytes) -> str | None:
    """NUL_MESSAGE or SURROGATE_MESSAGE when a string of the JSON body holds a NUL (PostgreSQL cannot store it) or
    a lone UTF-16 surrogate (`"\\udcff"`: valid JSON, but no UTF-8 encoder, database driver or password hash takes
    it); None otherwise. The body is parsed only when its raw bytes could hold either."""
    nul = b"\\u0000" in body or b"\x00" in body
    surrogate = _SURROGATE_ESCAPE.search(body) is not None
    if not nul and not surrogate:
        return None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        # Not JSON at all: the route answers 422 itself, unless the raw bytes hold a NUL.
        return NUL_MESSAGE if b"\x00" in body else None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return NUL_MESSAGE
            if surrogate and _LONE_SURROGATE.search(item):
                return SURROGATE_MESSAGE
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None



def _has_nul_in_query(raw: bytes) -> bool:
    return b"\x00" in raw or b"\x00" in unquote_to_bytes(raw.replace(b"+", b" "))


class EdgeGuard:
    def __init__(self, app, *, settings: Settings, services=None):
        self.app, self.settings, self.services = app, settings, services
        self.json_limit = settings.max_json_bytes
        # A multipart upload: one file of MAX_UPLOAD_BYTES plus the form's own framing.
        self.upload_limit = settings.max_upload_bytes + 64 * 1024

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        query = scope.get("query_string", b"") or b""
        if "\x00" in path or _has_nul_in_query(scope.get("raw_path", b"") or b"") or _has_nul_in_query(query):
            return await _json_response(400, NUL_MESSAGE)(send)
        if path.startswith(CLOSED_PREFIXES):
            return await _json_response(404, "Не найдено")(send)
        headers = {}
        for key, value in scope.get("headers", []):
            headers.setdefault(key.lower(), value)
        forwarded = headers.get(b"x-forwarded-for")
        if forwarded is not None and (len(forwarded) > FORWARDED_MAX_TOTAL or any(
                len(part.strip()) > FORWARDED_MAX_ITEM for part in forwarded.split(b","))):
            return await _json_response(400, BAD_FORWARDED)(send)
        is_upload = path in UPLOAD_PATHS and scope.get("method") == "POST"
        if is_upload and not self._upload_allowed(scope):
            return await _json_response(429, TOO_MANY_UPLOADS, {"Retry-After": "600"})(send)
        if scope.get("method") not in BODY_METHODS:
            return await self.app(scope, receive, send)

        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        limit = self.upload_limit if content_type == b"multipart/form-data" else self.json_limit
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                return await _json_response(400, "Некорректный заголовок Content-Length")(send)
            if declared > limit:
                return await _json_response(413, TOO_LARGE.format(limit=limit // 1024))(send)
        if is_upload and self.services is not None and not await asyncio.to_thread(self._signed_in, headers):
            # Gradio takes files from anyone; the UI has no file inputs for visitors, so only a signed-in user
            # (bearer token or the session cookie) may put files into its cache.
            return await _json_response(401, UPLOAD_NEEDS_LOGIN)(send)
        try:
            messages, body = await asyncio.wait_for(self._read_body(receive, limit),
                                                    timeout=self.settings.body_timeout_seconds)
        except asyncio.TimeoutError:
            return await _json_response(408, TOO_SLOW, {"Connection": "close"})(send)
        except _TooLarge:
            return await _json_response(413, TOO_LARGE.format(limit=limit // 1024), {"Connection": "close"})(send)
        except _Disconnected:
            return None
        if content_type in (b"application/json", b"") and (problem := _bad_text_in_json(body)):
            return await _json_response(400 if problem == NUL_MESSAGE else 422, problem)(send)
        if content_type == b"application/x-www-form-urlencoded" and _has_nul_in_query(body):
            return await _json_response(400, NUL_MESSAGE)(send)

        async def replay():
            if messages:
                return messages.pop(0)
            return await receive()

        return await self.app(scope, replay, send)

    @staticmethod
    async def _read_body(receive, limit: int):
        messages, size, chunks = [], 0, []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge()
            chunks.append(chunk)
            messages.append(message)
            if not message.get("more_body", False):
                return messages, b"".join(chunks)

    def _signed_in(self, headers: dict) -> bool:
        from http.cookies import SimpleCookie

        from tortodelova.accounts import service as accounts
        from tortodelova.accounts.deps import AUTH_COOKIE
        from tortodelova.errors import DomainError

        token = None
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        if not token:
            cookie = SimpleCookie()
            try:
                cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no session
                return False
            morsel = cookie.get(AUTH_COOKIE)
            token = morsel.value if morsel else None
        if not token:
            return False
        session = self.services.session()
        try:
            accounts.user_from_token(session=session, settings=self.settings, token=token)
            return True
        except DomainError:
            return False
        finally:
            session.close()

    def _upload_allowed(self, scope) -> bool:
        from tortodelova.accounts.throttle import _item, limiter_for

        client = scope.get("client")
        address = client[0] if client else "unknown"
        try:
            return limiter_for(self.settings).hit(_item(self.settings.upload_client_limit),
                                                  f"tortodelova:{self.settings.queue_name}:upload", address)
        except Exception:  # noqa: BLE001 - the counter store is down: uploads stay size-limited
            logger.warning("upload throttle unavailable", exc_info=True)
            return True


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass
