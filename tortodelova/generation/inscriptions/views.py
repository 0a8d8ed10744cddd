"""POST /api/generations/{id}/inscription: re-letter every picture of a design (free of charge)."""
from __future__ import annotations

from fastapi import APIRouter, Body

from tortodelova.accounts.deps import CurrentUser
from tortodelova.container import ServicesDep, SessionDep
from tortodelova.generation import service as generations
from tortodelova.generation.image_links import RestLinks
from tortodelova.generation.inscriptions import service
from tortodelova.generation.schemas import GenerationPublic, InscriptionRequest, parse_request

router = APIRouter(tags=["Generation"])
INSCRIPTION_BODY = {"requestBody": {"required": False, "content": {"application/json": {"schema": {
    "anyOf": [{"$ref": "#/components/schemas/InscriptionRequest"}, {"type": "null"}]}}}}}


@router.post("/generations/{generation_id}/inscription", response_model=GenerationPublic,
             openapi_extra=INSCRIPTION_BODY)
def reletter(generation_id: str, user: CurrentUser, services: ServicesDep, session: SessionDep,
             body: object = Body(None, include_in_schema=False)):
    if isinstance(body, str):  # a bare string is the text with the default look, as in a generation request
        body = {"text": body}
    inscription = None if body is None else parse_request(body, InscriptionRequest)
    generation = service.reletter(session=session, store=services.store, user=user, generation_id=generation_id,
                                  inscription=inscription)
    return generations.to_public(session=session, generation=generation, links=RestLinks(services.settings))
