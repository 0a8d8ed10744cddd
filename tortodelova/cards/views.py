"""GET /api/generations/{id}/card?format=pdf|png: the customer card of one of the user's designs."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tortodelova.accounts.deps import CurrentUser
from tortodelova.cards import service
from tortodelova.container import ServicesDep, SessionDep
from tortodelova.generation.image_links import share_url

router = APIRouter(tags=["Generation"])
CARD_RESPONSES = {200: {"description": "Карточка для заказчика",
                        "content": {"application/pdf": {}, "image/png": {}}}}


@router.get("/generations/{generation_id}/card", response_class=Response, responses=CARD_RESPONSES)
async def card(generation_id: str, request: Request, user: CurrentUser, services: ServicesDep, session: SessionDep,
               format: str = Query("pdf", description="pdf или png")):  # noqa: A002 - the contract's name
    fmt = service.card_format(format)
    base = services.settings.public_url or str(request.base_url)

    def build() -> tuple[bytes, str]:
        content = service.content(session=session, store=services.store, user=user, generation_id=generation_id,
                                  share_url=lambda token: share_url(base, token))
        return service.render(content, fmt), service.filename(content, fmt)

    # Reading the pictures and drawing the page is blocking work: off the event loop.
    data, name = await run_in_threadpool(build)
    return Response(data, media_type=service.FORMATS[fmt],
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})
