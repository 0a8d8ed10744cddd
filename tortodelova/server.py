"""The ASGI app: REST under /api, the share page, and the Gradio UI mounted at / (registered last).

`uvicorn tortodelova.server:create_app --factory` in production; `python app.py` for the embedded default.
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse

from tortodelova.config import Settings, get_settings
from tortodelova.db import make_engine, make_sessionmaker, migrate, session_scope
from tortodelova.services import Services
from tortodelova.storage import make_store

logger = logging.getLogger(__name__)


def build_services(settings: Settings, *, queue=None, run_migrations: bool = True) -> Services:
    """Everything the web side holds. `queue` defaults to Huey built from the same settings."""
    settings.ensure_data_dir()
    engine = make_engine(settings.sqlalchemy_url)
    if run_migrations:
        migrate(engine)
    if queue is None:
        from jobs.tasks import HueyQueue, make_huey, register_tasks

        tasks = register_tasks(make_huey(settings), settings)
        queue = HueyQueue(tasks)
    services = Services(settings=settings, engine=engine, session_factory=make_sessionmaker(engine),
                        store=make_store(settings), queue=queue)
    if settings.admin_email:
        from tortodelova.accounts.service import ensure_admin

        with session_scope(services.session_factory) as session:
            ensure_admin(session=session, settings=settings, email=settings.admin_email,
                         password=settings.admin_password)
    return services


class RequestLimit:
    """At most `limit` REST/share requests in flight; the rest wait in the event loop.

    A sync FastAPI request holds one pooled DB connection from its first dependency to the end of the response,
    while hopping between threadpool threads. With more requests in flight than pool connections, every thread
    can end up waiting for a connection whose holder waits for a thread: nothing moves until the pool times out.
    Keeping in-flight requests below both the pool size and the thread count makes that impossible. Gradio's own
    routes (long-lived streams) are not counted."""

    def __init__(self, app, *, limit: int, prefixes: tuple[str, ...] = ("/api", "/s/")):
        import asyncio

        self.app, self.prefixes = app, prefixes
        self.semaphore = asyncio.Semaphore(limit)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            return await self.app(scope, receive, send)
        async with self.semaphore:
            return await self.app(scope, receive, send)


def request_limit(services: Services) -> int:
    pool = services.engine.pool
    capacity = pool.size() + max(getattr(pool, "_max_overflow", 0), 0) if hasattr(pool, "size") else 20
    # Leave connections for the Gradio handlers (8 at once) and the health check; threads: anyio's 40.
    return max(4, min(capacity - 10, 30))


def create_app(settings: Settings | None = None, *, services: Services | None = None, ui: bool = True) -> FastAPI:
    settings = settings or (services.settings if services else get_settings())
    services = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        services.engine.dispose()

    app = FastAPI(title="tortodelova API", version="1.0", docs_url="/api/docs", openapi_url="/api/openapi.json",
                  redoc_url=None, lifespan=lifespan)
    app.state.services = services

    from tortodelova.accounts.views import router as accounts_router
    from tortodelova.admin.views import router as admin_router
    from tortodelova.api import errors
    from tortodelova.billing.views import router as billing_router
    from tortodelova.demo.views import router as demo_router
    from tortodelova.generation.share_page import router as share_router
    from tortodelova.generation.views import router as generation_router
    from tortodelova.health import router as health_router

    errors.install(app)
    app.add_middleware(RequestLimit, limit=request_limit(services))
    api = APIRouter(prefix="/api")
    for router in (accounts_router, billing_router, generation_router, demo_router, admin_router):
        api.include_router(router)
    app.include_router(health_router)
    app.include_router(api)
    app.include_router(share_router)

    if ui:
        from tortodelova.ui import mount_ui

        app = mount_ui(app, services)
    else:
        @app.get("/", include_in_schema=False)
        def root():
            return RedirectResponse("/api/docs")

    return app
