"""The one router registry: every REST router under /api, health at the root, the share page at /s/.

A new domain's router is added to `api_routers` here and nowhere else. Order matters only where paths overlap
(FastAPI tries routes in the order they were included)."""
from __future__ import annotations

from fastapi import APIRouter, FastAPI


def api_routers() -> list[APIRouter]:
    from tortodelova.accounts.profile_views import router as profile
    from tortodelova.accounts.views import router as accounts
    from tortodelova.admin.views import router as admin
    from tortodelova.billing.views import router as billing
    from tortodelova.cards.views import router as cards
    from tortodelova.demo.views import router as demo
    from tortodelova.generation.inscriptions.views import router as inscriptions
    from tortodelova.generation.views import router as generation
    from tortodelova.lifecycle.views import router as lifecycle
    from tortodelova.selections.views import router as selections
    from tortodelova.terms.views import router as terms
    from tortodelova.uploads.views import router as uploads

    return [accounts, billing, generation, demo, admin, uploads, inscriptions, cards, profile, terms, lifecycle,
            selections]


def include_routers(app: FastAPI) -> None:
    from tortodelova.generation.share_page import router as share
    from tortodelova.lifecycle.pages import router as lifecycle_pages  # /reset, /confirm-email
    from tortodelova.selections.customer_page import router as customer_page  # /c/{token}
    from tortodelova.server.health import router as health

    api = APIRouter(prefix="/api")
    for router in api_routers():
        api.include_router(router)
    app.include_router(health)
    app.include_router(api)
    app.include_router(share)
    app.include_router(lifecycle_pages)
    app.include_router(customer_page)
