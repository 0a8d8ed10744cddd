from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import Response as RawResponse

from tortodelova.api.deps import CurrentUser, ServicesDep, SessionDep
from tortodelova.api.images import download_name, image_response
from tortodelova.generation import service
from tortodelova.generation.models import Generation
from tortodelova.generation.schemas import GenerationCreate, TranslateRequest
from tortodelova.pipeline import prompts

router = APIRouter(tags=["Generation"])


def public(services, session, generation: Generation) -> dict:
    return service.to_public(session=session, settings=services.settings, generation=generation)


@router.get("/styles")
def styles():
    return [{"id": s.id, "title": s.title, "description": s.description} for s in prompts.STYLES.values()]


@router.post("/translate")
def translate(body: TranslateRequest, user: CurrentUser, services: ServicesDep):
    return service.translate(settings=services.settings, queue=services.queue, prompt=body.prompt)


@router.post("/generations", status_code=202)
def create(body: GenerationCreate, user: CurrentUser, services: ServicesDep, session: SessionDep):
    generation = service.submit(session=session, settings=services.settings, queue=services.queue, user=user,
                                request=body)
    return public(services, session, generation)


@router.get("/generations")
def list_generations(user: CurrentUser, services: ServicesDep, session: SessionDep,
                     limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0)):
    items, total = service.list_for_user(session=session, user=user, limit=limit, offset=offset)
    return {"items": [public(services, session, g) for g in items], "total": total}


@router.get("/generations/{generation_id}")
def get(generation_id: str, user: CurrentUser, services: ServicesDep, session: SessionDep):
    return public(services, session, service.get_owned(session=session, user=user, generation_id=generation_id))


@router.get("/generations/{generation_id}/preview")
def preview(generation_id: str, user: CurrentUser, session: SessionDep):
    generation = service.get_owned(session=session, user=user, generation_id=generation_id)
    if not generation.preview_png:
        return Response(status_code=204)
    return RawResponse(generation.preview_png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/generations/{generation_id}/cancel")
def cancel(generation_id: str, user: CurrentUser, services: ServicesDep, session: SessionDep):
    return public(services, session, service.cancel(session=session, user=user, generation_id=generation_id))


@router.delete("/generations/{generation_id}", status_code=204)
def delete(generation_id: str, user: CurrentUser, services: ServicesDep, session: SessionDep):
    service.delete(session=session, store=services.store, user=user, generation_id=generation_id)
    return Response(status_code=204)


@router.get("/generations/{generation_id}/images/{index}")
def image(generation_id: str, index: int, user: CurrentUser, services: ServicesDep, session: SessionDep):
    generation = service.get_owned(session=session, user=user, generation_id=generation_id)
    return image_response(store=services.store, key=service.image_key_for(generation, index),
                          seconds=services.settings.presign_seconds)


@router.get("/generations/{generation_id}/images/{index}/download")
def download(generation_id: str, index: int, user: CurrentUser, services: ServicesDep, session: SessionDep):
    generation = service.get_owned(session=session, user=user, generation_id=generation_id)
    return image_response(store=services.store, key=service.image_key_for(generation, index),
                          seconds=services.settings.presign_seconds,
                          download_name=download_name(generation.id, index))


@router.get("/images/{generation_id}/{index}.png", include_in_schema=False)
def signed_image(generation_id: str, index: int, services: ServicesDep, session: SessionDep,
                 expires: str = "", sig: str = "", download: int = 0):
    """Short-lived HMAC-signed link for <img> tags (no Authorization header there)."""
    service.verify_image_signature(settings=services.settings, generation_id=generation_id, index=index,
                                   expires=expires, sig=sig)
    generation = session.get(Generation, generation_id)
    if generation is None:
        return Response(status_code=404)
    return image_response(store=services.store, key=service.image_key_for(generation, index),
                          seconds=services.settings.presign_seconds, redirect=False,
                          download_name=download_name(generation.id, index) if download else None)


def share_url(request: Request, services, token: str) -> str:
    base = services.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base.rstrip('/')}/s/{token}"


@router.post("/generations/{generation_id}/share")
def share(generation_id: str, request: Request, user: CurrentUser, services: ServicesDep, session: SessionDep):
    link = service.share(session=session, user=user, generation_id=generation_id)
    return {"token": link.token, "url": share_url(request, services, link.token)}


@router.delete("/generations/{generation_id}/share", status_code=204)
def unshare(generation_id: str, user: CurrentUser, session: SessionDep):
    service.unshare(session=session, user=user, generation_id=generation_id)
    return Response(status_code=204)
