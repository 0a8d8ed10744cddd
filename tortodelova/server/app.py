"""The ASGI app: REST under /api, the share page, and the Gradio UI mounted at / (registered last).

`uvicorn tortodelova.server:create_app --factory` in production; `python app.py` for the embedded default.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.middleware.cors import CORSMiddleware

from tortodelova.config import Settings, get_settings
from tortodelova.container import Services
from tortodelova.db import make_engine, make_sessionmaker, migrate, session_scope
from tortodelova.storage import make_store

logger = logging.getLogger(__name__)


def build_services(settings: Settings, *, queue=None, run_migrations: bool = True) -> Services:
    """Everything the web side holds. `queue` defaults to Huey built from the same settings."""
    from tortodelova.accounts.security import configure_hashing

    settings.ensure_data_dir()
    configure_hashing(settings.hash_concurrency)
    engine = make_engine(settings.sqlalchemy_url)
    if run_migrations:
        migrate(engine)
    if queue is None:
        from jobs.tasks import HueyQueue, make_huey, register_tasks

        tasks = register_tasks(make_huey(settings), settings)
        queue = HueyQueue(tasks)
    settings.ensure_data_dir()  # again: the database and queue files now exist, 0600 like the rest
    services = Services(settings=settings, engine=engine,
                        session_factory=make_sessionmaker(engine, settings=settings),
                        store=make_store(settings), queue=queue)
    if settings.admin_email:
        from tortodelova.accounts.service import ensure_admin
        from tortodelova.errors import DomainError

        try:
            with session_scope(services.session_factory) as session:
                ensure_admin(session=session, settings=settings, email=settings.admin_email,
                             password=settings.admin_password, promote=settings.admin_promote,
                             reset_password=False)
        except DomainError as exc:  # e.g. the address was registered by someone else: say so, keep serving
            logger.error("TORTODELOVA_ADMIN_EMAIL: %s", exc.message)
    return services


class RequestLimit:
    """At most `limit` REST/share requests in flight; the rest wait in the event loop. `EdgeGuard` in front of it
    lets a request through only once its body is in, so a slow or stalled client never holds a slot.

    A sync FastAPI request holds one pooled DB connection from its first dependency to the end of the response,
    while hopping between threadpool threads. With more requests in flight than pool connections, every thread
    can end up waiting for a connection whose holder waits for a thread: nothing moves until the pool times out.
    Keeping in-flight requests below both the pool size and the thread count makes that impossible. Gradio's own
    routes (long-lived streams) are not counted."""

    def __init__(self, app, *, limit: int, prefixes: tuple[str, ...] = ("/api", "/s/", "/c/")):
        import asyncio

        self.app, self.prefixes = app, prefixes
        self.semaphore = asyncio.Semaphore(limit)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            return await self.app(scope, receive, send)
        async with self.semaphore:
            return await self.app(scope, receive, send)


def remove_old_files(folder: Path, *, max_age: float) -> int:
    """Delete files older than `max_age` seconds under `folder` (and the folders they leave empty)."""
    removed, cutoff = 0, time.time() - max_age
    for root, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = Path(root) / name
            try:
                if path.lstat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                pass
        if Path(root) != folder:
            try:
                Path(root).rmdir()  # only succeeds when empty
            except OSError:
                pass
    return removed


async def clean_gradio_cache(max_age: float) -> None:
    """Uploads and cached files of the Gradio UI (anyone can POST /gradio_api/upload) do not pile up: every few
    minutes, files older than `max_age` go."""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder())
    while True:
        try:
            removed = await asyncio.to_thread(remove_old_files, folder, max_age=max_age)
            if removed:
                logger.info("removed %d old Gradio cache files", removed)
        except Exception:  # noqa: BLE001 - cleaning must never stop the app
            logger.warning("Gradio cache cleanup failed", exc_info=True)
        await asyncio.sleep(min(600.0, max(5.0, max_age / 4)))


def request_limit(services: Services) -> int:
    pool = services.engine.pool
    capacity = pool.size() + max(getattr(pool, "_max_overflow", 0), 0) if hasattr(pool, "size") else 20
    # Leave connections for the Gradio handlers (8 at once) and the health check; threads: anyio's 40.
    return max(4, min(capacity - 10, 30))


def create_app(settings: Settings | None = None, *, services: Services | None = None, ui: bool = True) -> FastAPI:
    settings = settings or (services.settings if services else get_settings())
    if services is None:  # the process's entry point (`uvicorn ... --factory`): one log format, request ids
        from tortodelova.observability.logs import configure_logging

        configure_logging(production=settings.is_production)
    services = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        cleaner = asyncio.create_task(clean_gradio_cache(settings.gradio_cache_max_age_seconds)) if ui else None
        yield
        if cleaner is not None:
            cleaner.cancel()
        services.engine.dispose()

    app = FastAPI(title="tortodelova API", version="1.0", docs_url="/api/docs", openapi_url="/api/openapi.json",
                  redoc_url=None, lifespan=lifespan)
    app.state.services = services

    from tortodelova.server import errors
    from tortodelova.server.access_log import redact_access_log
    from tortodelova.server.guard import EdgeGuard
    from tortodelova.server.headers import SecurityHeaders
    from tortodelova.server.routes import include_routers

    errors.install(app)
    redact_access_log()
    # Added last = runs first: headers on every answer, then the edge checks (whole body in before the limiter).
    app.add_middleware(RequestLimit, limit=request_limit(services))
    app.add_middleware(EdgeGuard, settings=settings, services=services)
    app.add_middleware(SecurityHeaders, settings=settings)
    # An explicit allow-list (CORS_ALLOW_ORIGINS, empty by default). Configured here, it also replaces Gradio's own
    # CORS middleware on the mounted UI, which echoed any Origin with credentials allowed once the Host was not
    # localhost (a real domain name).
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
                       allow_methods=["GET", "POST", "DELETE", "PATCH", "PUT"],
                       allow_headers=["Authorization", "Content-Type"], max_age=600)
    from tortodelova import monitoring

    monitoring.install(app, services)  # outermost: request id on every answer, metrics by route (issue 24)
    include_routers(app)

    if ui:
        from tortodelova.ui import mount_ui

        app = mount_ui(app, services)
    else:
        @app.get("/", include_in_schema=False)
        def root():
            return RedirectResponse("/api/docs")

    return app
