"""REST routes of the generation domain: thin, typed (`response_model` everywhere), links built here."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import Response as RawResponse

from tortodelova.accounts.deps import CurrentUser
from tortodelova.container import ServicesDep, SessionDep
from tortodelova.generation import service
from tortodelova.generation.image_links import RestLinks, share_url
from tortodelova.generation.image_response import download_name, image_response
from tortodelova.generation.images import verify_image_signature
from tortodelova.generation.schemas import (
    GenerationPublic,
    GenerationRequest,
    GenerationsPublic,
    ShareLinkPublic,
    StylePublic,
    TranslateRequest,
    TranslationPublic,
)
from tortodelova.pipeline import prompts

router = APIRouter(tags=["Generation"])


def links(services) -> RestLinks:
    return RestLinks(services.settings)


@router.get("/styles", response_model=list[StylePublic])
def styles():
    return [StylePublic(id=s.id, title=s.title, description=s.description) for s in prompts.STYLES.values()]


@router.post("/translate", response_model=TranslationPublic)
def translate(body: TranslateRequest, user: CurrentUser, services: ServicesDep, session: SessionDep):
    return service.translate(settings=services.settings, queue=services.queue, request=body, session=session,
                             user=user)


@router.post("/generations", status_code=202, response_model=GenerationPublic)
def create(body: GenerationRequest, user: CurrentUser, services: ServicesDep, session: SessionDep):
    generation = service.submit(session=session, settings=services.settings, queue=services.queue, user=user,
                                request=body)
    return service.to_public(session=session, generation=generation, links=links(services))


@router.get("/generations", response_model=GenerationsPublic)
def list_generations(user: CurrentUser, services: ServicesDep, session: SessionDep,
                     limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0, le=10**9)):
    items, total = service.list_for_user(session=session, user=user, limit=limit, offset=offset)
    return GenerationsPublic(items=service.public_page(session=session, generations=items, links=links(services)),
                             total=total)


@router.get("/generations/{generation_id}", response_model=GenerationPublic)
def get(generation_id: str, user: CurrentUser, services: ServicesDep, session: SessionDep):
    generation = service.get_owned(session=session, user=user, generation_id=generation_id)
    return service.to_public(session=session, generation=generation, links=links(services))


@router.get("/generations/{generation_id}/preview", response_class=Response,
            responses={200: {"content": {"image/png": {}}}, 204: {"description": "No preview yet"}})
def preview(generation_id: str, user: CurrentUser, session: SessionDep):
    generation = service.get_owned(session=session, user=user, generation_id=generation_id)
    if not generation.preview_png:
        return Response(status_code=204)
    return RawResponse(generation.preview_png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/generations/{generation_id}/cancel", response_model=GenerationPublic)
def cancel(generation_id: str, user: CurrentUser, services: ServicesDep, session: SessionDep):
    generation = service.cancel(session=session, user=user, generation_id=generation_id)
    return service.to_public(session=session, generation=generation, links=links(services))


@router.delete("/generations/{generation_id}", status_code=204, response_class=Response)
def delete(generation_id: str, user: CurrentUser, services: ServicesDep, session: SessionDep):
    service.delete(session=session, store=services.store, user=user, generation_id=generation_id)
    return Response(status_code=204)


PNG = {200: {"content": {"image/png": {}}}, 307: {"description": "Redirect to a presigned URL"}}


@router.get("/generations/{generation_id}/images/{index}", response_class=Response, responses=PNG)
def image(generation_id: str, index: int, user: CurrentUser, services: ServicesDep, session: SessionDep):
    generation = service.get_owned(session=session, user=user, generation_id=generation_id)
    return image_response(store=services.store, key=service.image_key_for(generation, index),
                          seconds=services.settings.presign_seconds)


@router.get("/generations/{generation_id}/images/{index}/download", response_class=Response, responses=PNG)
def download(generation_id: str, index: int, user: CurrentUser, services: ServicesDep, session: SessionDep):
    generation = service.get_owned(session=session, user=user, generation_id=generation_id)
    return image_response(store=services.store, key=service.image_key_for(generation, index),
                          seconds=services.settings.presign_seconds,
                          download_name=download_name(generation.id, index))


@router.get("/generations/{generation_id}/images/{index}/plain", response_class=Response, responses=PNG)
def plain(generation_id: str, index: int, user: CurrentUser, services: ServicesDep, session: SessionDep):
    """The picture without the lettering (404 when no lettering was drawn)."""
    generation = service.get_owned(session=session, user=user, generation_id=generation_id)
    return image_response(store=services.store, key=service.image_key_for(generation, index, plain=True),
                          seconds=services.settings.presign_seconds)


# In the schema (not hidden) so that the schema fuzzing reaches it too, non-ASCII signatures included.
@router.get("/images/{generation_id}/{index}.png", response_class=Response, responses=PNG)
def signed_image(generation_id: str, index: int, services: ServicesDep, session: SessionDep,
                 expires: str = "", sig: str = "", download: int = 0, variant: str = ""):
    """Short-lived HMAC-signed link for <img> tags (no Authorization header there); checked again on every load."""
    verify_image_signature(settings=services.settings, generation_id=generation_id, index=index,
                           expires=expires, sig=sig, variant=variant)
    generation = service.viewable(session=session, generation_id=generation_id)
    key = service.image_key_for(generation, index, plain=variant == "plain")
    return image_response(store=services.store, key=key, seconds=services.settings.presign_seconds, redirect=False,
                          download_name=download_name(generation.id, index) if download else None)


def public_share_url(request: Request, services, token: str) -> str:
    return share_url(services.settings.public_url or str(request.base_url), token)


@router.post("/generations/{generation_id}/share", response_model=ShareLinkPublic)
def share(generation_id: str, request: Request, user: CurrentUser, services: ServicesDep, session: SessionDep):
    link = service.share(session=session, user=user, generation_id=generation_id)
    return ShareLinkPublic(token=link.token, url=public_share_url(request, services, link.token))


@router.delete("/generations/{generation_id}/share", status_code=204, response_class=Response)
def unshare(generation_id: str, user: CurrentUser, session: SessionDep):
    service.unshare(session=session, user=user, generation_id=generation_id)
    return Response(status_code=204)
