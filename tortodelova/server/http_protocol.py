"""uvicorn's HTTP protocol with a deadline for the request head.

uvicorn limits how long an idle keep-alive connection waits (`timeout_keep_alive`), but not how long a client may
take to send its request line and headers: any byte cancels the keep-alive timer, so a client dripping one header
byte every few seconds held its connection (and a file descriptor) forever. Here the head of every request, the
first one (from the moment the connection opens) and each later one on a keep-alive connection (from its first
byte), must be complete within HEADER_TIMEOUT_SECONDS, or the connection is answered 408 and closed. An idle
keep-alive connection is uvicorn's own business (`timeout_keep_alive`). The body has its own limit
(`BODY_TIMEOUT_SECONDS`, tortodelova.server.guard).

Used by `python app.py` and by `uvicorn ... --http tortodelova.server.http_protocol:HeaderTimeoutProtocol`
(docker compose).
"""
from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_MESSAGE = "Заголовки запроса не пришли вовремя".encode()
TOO_SLOW = (b"HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(_MESSAGE)).encode() + b"\r\n\r\n" + _MESSAGE)


def header_timeout() -> float:
    from tortodelova.config import get_settings

    return get_settings().header_timeout_seconds


class HeaderTimeoutProtocol(HttpToolsProtocol):
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # the first byte of the next request on a keep-alive connection: its head has a deadline too

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_deadline = self.loop.call_later(header_timeout(), self._head_too_slow)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a (pipelined) request is being answered: its head did arrive
        if not self.transport.is_closing():
            self.transport.write(TOO_SLOW)
            self.transport.close()
