"""The web edge of operations: every request gets a request id (a well-formed `X-Request-ID` from the proxy or client,
or a new one; sent back on the answer) and is counted and timed by route template; `/metrics` serves the process's
Prometheus registry only with `Authorization: Bearer <METRICS_TOKEN>` and does not exist when the setting is unset."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from tortodelova.observability import metrics
from tortodelova.observability.logs import new_request_id, request_id_var, valid_request_id

UNMATCHED = "unmatched"  # no route answered (404s, scanners): one label, whatever the path


class RequestContext:
    """Outermost ASGI middleware: request id in and out, request count and latency by route template."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = None
        for key, value in scope.get("headers", []):
            if key.lower() == b"x-request-id":
                given = value.decode("latin-1")
                break
        request_id = given if valid_request_id(given) else new_request_id()
        token = request_id_var.set(request_id)
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            template = route_template(scope)
            method = scope.get("method", "GET")
            metrics.HTTP_REQUESTS.labels(method=method, route=template, status=str(status["code"])).inc()
            metrics.HTTP_DURATION.labels(method=method, route=template).observe(time.perf_counter() - started)
            request_id_var.reset(token)


def route_template(scope) -> str:
    """The matched route's path template with its router prefix (`/api/generations/{generation_id}`), never the raw
    path: ids and tokens would make every request its own series."""
    effective = (scope.get("fastapi") or {}).get("effective_route_context")  # FastAPI's included routers
    path = getattr(effective, "path", None)
    if path:
        return path
    route = scope.get("route")  # plain routes, Gradio's own (mounted at /)
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def queue_reader(services):
    """(queued generations, seconds the oldest has waited), read when Prometheus scrapes."""
    from tortodelova.generation.models import Generation

    def read():
        with services.session_factory() as session:
            depth, oldest = session.execute(
                select(func.count(), func.min(Generation.enqueued_at)).where(Generation.status == "queued")).one()
        if oldest is None:
            return depth or 0, None
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=timezone.utc)
        return depth, max(0.0, (datetime.now(timezone.utc) - oldest).total_seconds())

    return read


def install(app: FastAPI, services) -> None:
    """The request-id/metrics middleware, and `/metrics` when METRICS_TOKEN is set (call before the UI mount)."""
    app.add_middleware(RequestContext)
    token = services.settings.metrics_token
    if not token:
        return
    metrics.register_queue_collector(queue_reader(services))

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request):
        if not metrics.authorized(request.headers.get("authorization"), token):
            return JSONResponse({"detail": "Нужен токен метрик (Authorization: Bearer …)"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)
