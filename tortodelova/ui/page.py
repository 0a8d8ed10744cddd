"""The page Gradio serves at / says what this site is: `lang="ru"` from the first byte (screen readers, the browser's
translate prompt) and «Тортоделова» instead of Gradio's own Open Graph card in messenger previews."""
from __future__ import annotations

import html
import re

TITLE = "Тортоделова — дизайн торта по описанию"
DESCRIPTION = "Опишите торт по-русски — получите фотореалистичные варианты дизайна. Один дизайн бесплатно."
_OG = re.compile(rb'\s*<meta\s+(?:property="og:[a-z:]+"|name="twitter:[a-z:]+")\s+content="[^"]*"\s*/>', re.S)
_LANG = re.compile(rb'<html\s+lang="en"')


def rewrite(body: bytes) -> bytes:
    """Gradio's index.html with the Russian language and this site's own preview card."""
    card = "".join(f'\n<meta property="og:{k}" content="{html.escape(v)}" />' for k, v in
                   (("title", TITLE), ("description", DESCRIPTION), ("type", "website"), ("locale", "ru_RU"),
                    ("site_name", "Тортоделова"))).encode()
    body = _LANG.sub(b'<html lang="ru"', body, count=1)
    body = _OG.sub(b"", body)
    return body.replace(b"<head>", b"<head>" + card, 1)


class RussianPage:
    """ASGI middleware for the Gradio app: only `GET /` (the HTML page) is buffered and rewritten."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path", "").rstrip("/") != "":
            return await self.app(scope, receive, send)
        start: dict = {}
        chunks: list[bytes] = []

        async def buffered(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            headers = list(start.get("headers") or [])
            body = b"".join(chunks)
            if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                body = rewrite(body)
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered)


UNKNOWN_SESSION = ('data: {"msg": "unexpected_error", "event_id": null, "message": "Сессия не найдена: обновите '
                   'страницу", "session_not_found": true, "success": false}\n\n').encode()


class UnknownSession:
    """ASGI middleware for the Gradio app: `GET /gradio_api/queue/data` for a session_hash the queue does not know
    gets the message Gradio itself sends then (`session_not_found`), without Gradio raising its 404 inside a
    response already started — which logged a full traceback for every such request."""

    def __init__(self, app, *, blocks):
        self.app, self.blocks = app, blocks

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("path", "").endswith("/gradio_api/queue/data"):
            from urllib.parse import parse_qs

            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            session_hash = (query.get("session_hash") or [""])[0]
            if session_hash not in self.blocks._queue.pending_messages_per_session:
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-type", b"text/event-stream; charset=utf-8"),
                                        (b"content-length", str(len(UNKNOWN_SESSION)).encode())]})
                await send({"type": "http.response.body", "body": UNKNOWN_SESSION})
                return None
        return await self.app(scope, receive, send)
