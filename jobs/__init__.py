"""Huey entry point for `huey_consumer jobs.huey -k process -w 1 -g TERM`.

`jobs.huey` is built on first access from the environment's settings (RedisHuey when REDIS_URL is set), with the
generation tasks registered on it, so importing this package has no side effects.
"""
from __future__ import annotations

_built: dict = {}


def _build():
    if not _built:
        import logging

        from jobs.tasks import make_huey, register_tasks
        from tortodelova.config import get_settings
        from tortodelova.observability.logs import configure_logging

        settings = get_settings()
        configure_logging(production=settings.is_production, level=logging.INFO)
        huey = make_huey(settings)
        _built["huey"] = huey
        _built["tasks"] = register_tasks(huey, settings)
    return _built


def __getattr__(name: str):
    if name in ("huey", "tasks"):
        return _build()[name]
    raise AttributeError(name)
