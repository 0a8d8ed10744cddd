"""One log format for every process: JSON lines in production (`TORTODELOVA_ENV=production`), readable lines in
development; every line carries the request id of the request (or job) it belongs to.

- The edge accepts a client's `X-Request-ID` when it is well-formed (`valid_request_id`), otherwise makes one, binds
  it for the request (`request_id_var`) and sends it back. `generation.service.submit` keeps it on the generation row,
  the queue passes it with the id (`run_generation(id, request_id)`), the worker binds it for the job's lines: one
  design's path is one `grep` across the web and worker logs.
- No secret reaches a line: `RedactSecrets` masks bearer tokens, JWTs, claim/share tokens in paths and queries,
  presigned-URL signatures, passwords and keys in messages, arguments and exception text.
"""
from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid

from pythonjsonlogger.json import JsonFormatter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("tortodelova_request_id", default=None)

_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
READABLE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(message)s"


def valid_request_id(value: str | None) -> bool:
    """8-64 characters of letters, digits and `._:-` (a UUID, nginx's `$request_id`, a trace id): nothing a log
    line, a header or a database column could be abused with."""
    return isinstance(value, str) and _REQUEST_ID.fullmatch(value) is not None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


def bind_request_id(value: str | None) -> contextvars.Token:
    """Bind `value` (when valid) for this context; returns the token for `request_id_var.reset`."""
    return request_id_var.set(value if valid_request_id(value) else None)


# ---------------------------------------------------------------- secrets never reach a line
_SECRETS = [
    # Authorization headers and bearer tokens
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1***"),
    # JWTs anywhere (three base64url parts, the first one a JSON header)
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "***"),
    # Secret-looking query parameters (claim tokens, presigned-URL signatures and credentials, passwords)
    (re.compile(r"(?i)([?&;](?:claim_token|claim|token|access_token|sig|signature|x-amz-[a-z-]+|expires|password|"
                r"secret|key)=)[^&\s\"']*"), r"\1***"),
    # Share pages and claim paths carry their token in the path: /s/<token>, /claim/<token>
    (re.compile(r"(/(?:s|claim|share)/)[A-Za-z0-9_-]{8,}"), r"\1***"),
    # key=value / "key": "value" pairs of secrets in messages
    (re.compile(r"(?i)([\"']?(?:password|passwd|secret|jwt_secret|secret_key|access_key|api_key|claim_token|"
                r"access_token|metrics_token|token)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}&]+"), r"\1***"),
    # credentials in URLs: scheme://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"), r"\1***@"),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Renders the message once (arguments included), masks secrets in it and in the exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logged as it is
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get() or "-"
        return True


def _formatter(json_lines: bool) -> logging.Formatter:
    if json_lines:
        return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                             json_ensure_ascii=False)
    return logging.Formatter(READABLE_FORMAT)


def _dress(handler: logging.Handler, formatter: logging.Formatter) -> logging.Handler:
    handler.setFormatter(formatter)
    for kind in (RequestIdFilter, RedactSecrets):
        if not any(isinstance(f, kind) for f in handler.filters):
            handler.addFilter(kind())
    return handler


def configure_logging(*, production: bool, level: int = logging.INFO, stream=None) -> None:
    """The root logger writes one format to stderr; uvicorn's and Huey's loggers go through it too (idempotent)."""
    formatter = _formatter(production)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_tortodelova", False):
            root.removeHandler(handler)
    handler = _dress(logging.StreamHandler(stream or sys.stderr), formatter)
    handler._tortodelova = True
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        named.handlers = []
        named.propagate = True
    # `huey_consumer` adds its own handler to the "huey" logger after importing `jobs.huey`: that handler is
    # dressed in this format as it is added, and the logger stops propagating so no line is written twice.
    huey = logging.getLogger("huey")
    huey._tortodelova_formatter = formatter
    for existing in huey.handlers:
        _dress(existing, formatter)
    huey.propagate = not huey.handlers
    if not getattr(huey, "_tortodelova", False):
        plain_add = huey.addHandler

        def add_dressed(added: logging.Handler) -> None:
            plain_add(_dress(added, huey._tortodelova_formatter))
            huey.propagate = False

        huey.addHandler = add_dressed  # type: ignore[method-assign]
        huey._tortodelova = True
