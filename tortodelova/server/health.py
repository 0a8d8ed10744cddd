"""Health: `/health` says the process is up; `/api/health` checks the dependencies (503 when the DB is down)."""
from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from tortodelova.container import ServicesDep

router = APIRouter(tags=["Health"])
logger = logging.getLogger(__name__)


@router.get("/health")
def health():
    return {"status": "ok"}


def check(services) -> tuple[int, dict]:
    from tortodelova.pipeline.models import check_models

    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - reported as "unavailable", with the cause in the log
        logger.warning("health: database unavailable", exc_info=True)
        database = "unavailable"
    storage = services.store.health()
    queue = services.queue.health()
    models = check_models(services.settings.models_dir)
    body = {
        "status": "ok" if (database, storage, queue, models.ok) == ("ok", "ok", "ok", True) else "degraded",
        "database": database, "storage": storage, "queue": queue,
        "models": "ok" if models.ok else {"missing": models.missing,
                                           "hint": "Скачайте модели: python download_models.py"},
    }
    if database != "ok":
        body["detail"] = "База данных недоступна, попробуйте позже"
        return 503, body
    return 200, body


@router.get("/api/health")
def api_health(services: ServicesDep):
    status, body = check(services)
    return JSONResponse(body, status_code=status)
