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
