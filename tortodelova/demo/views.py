"""REST routes of the demo (no account): typed answers, links carrying the claim token."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from tortodelova.accounts.deps import CurrentUser
from tortodelova.container import ServicesDep, SessionDep, client_ip
from tortodelova.demo import service
from tortodelova.generation import service as generation_service
from tortodelova.generation.image_links import DemoLinks, RestLinks
from tortodelova.generation.image_response import download_name, image_response
from tortodelova.generation.schemas import ClaimRequest, DemoCreate, DemoGenerationPublic, GenerationPublic

router = APIRouter(tags=["Demo"])
COOKIE_MAX_AGE = 365 * 24 * 3600


def demo_public(services, session, generation, claim_token: str | None = None) -> DemoGenerationPublic:
    public = generation_service.to_public(session=session, generation=generation,
                                          links=DemoLinks(services.settings, claim_token))
    return DemoGenerationPublic(**public.model_dump(), claim_token=claim_token)


@router.post("/demo/generations", status_code=202, response_model=DemoGenerationPublic)
def create(body: DemoCreate, request: Request, services: ServicesDep, session: SessionDep):
    settings = services.settings
    sent = request.cookies.get(settings.demo_cookie_name)
    guest_id, cookie = service.guest_identity(settings, sent)
    generation, claim_token = service.create(session=session, settings=settings, queue=services.queue,
                                             guest_id=guest_id, ip=client_ip(request), prompt=body.prompt,
                                             style=body.style)
    response = JSONResponse(jsonable_encoder(demo_public(services, session, generation, claim_token)),
                            status_code=202)
    if cookie != sent:
        response.set_cookie(settings.demo_cookie_name, cookie, max_age=COOKIE_MAX_AGE, httponly=True,
                            samesite="lax", secure=settings.is_production)
    return response


def _guest_generation(request, services, session, generation_id, claim_token):
    guest_id = service.guest_from_cookie(services.settings, request.cookies.get(services.settings.demo_cookie_name))
    return service.get_for_guest(session=session, generation_id=generation_id, guest_id=guest_id,
                                 claim_token=claim_token)


@router.get("/demo/generations/{generation_id}", response_model=DemoGenerationPublic)
def get(generation_id: str, request: Request, services: ServicesDep, session: SessionDep,
        claim_token: str | None = None):
    generation = _guest_generation(request, services, session, generation_id, claim_token)
    return demo_public(services, session, generation, claim_token)


PNG = {200: {"content": {"image/png": {}}}}


@router.get("/demo/generations/{generation_id}/images/{index}", response_class=Response, responses=PNG)
def image(generation_id: str, index: int, request: Request, services: ServicesDep, session: SessionDep,
          claim_token: str | None = None):
    generation = _guest_generation(request, services, session, generation_id, claim_token)
    return image_response(store=services.store, key=generation_service.image_key_for(generation, index),
                          seconds=services.settings.presign_seconds)


@router.get("/demo/generations/{generation_id}/images/{index}/download", response_class=Response, responses=PNG)
def download(generation_id: str, index: int, request: Request, services: ServicesDep, session: SessionDep,
             claim_token: str | None = None):
    generation = _guest_generation(request, services, session, generation_id, claim_token)
    return image_response(store=services.store, key=generation_service.image_key_for(generation, index),
                          seconds=services.settings.presign_seconds, download_name=download_name(generation.id, index))


@router.get("/demo/generations/{generation_id}/images/{index}/plain", response_class=Response, responses=PNG)
def plain(generation_id: str, index: int, request: Request, services: ServicesDep, session: SessionDep,
          claim_token: str | None = None):
    generation = _guest_generation(request, services, session, generation_id, claim_token)
    return image_response(store=services.store,
                          key=generation_service.image_key_for(generation, index, plain=True),
                          seconds=services.settings.presign_seconds)


@router.post("/demo/claim", response_model=GenerationPublic)
def claim(body: ClaimRequest, user: CurrentUser, services: ServicesDep, session: SessionDep):
    generation = service.claim(session=session, user=user, claim_token=body.claim_token, settings=services.settings)
    return generation_service.to_public(session=session, generation=generation, links=RestLinks(services.settings))
