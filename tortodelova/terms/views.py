"""GET/PUT /api/me/terms: «Мои термины» (the rules: terms/service.py)."""
from __future__ import annotations

from fastapi import APIRouter, Body
from pydantic import BaseModel

from tortodelova.accounts.deps import CurrentUser
from tortodelova.container import SessionDep
from tortodelova.errors import InvalidInput
from tortodelova.terms import service

router = APIRouter(tags=["Accounts"])


class TermPublic(BaseModel):
    ru: str
    en: str


class TermsPublic(BaseModel):
    items: list[TermPublic]


TERMS_BODY = {"type": "object", "additionalProperties": False, "required": ["items"], "properties": {
    "items": {"type": "array", "maxItems": service.MAX_TERMS, "items": {
        "type": "object", "additionalProperties": False, "required": ["ru", "en"], "properties": {
            "ru": {"type": "string", "maxLength": service.RU_MAX},
            "en": {"type": "string", "maxLength": service.EN_MAX}}}}}}


@router.get("/me/terms", response_model=TermsPublic)
def get_terms(user: CurrentUser, session: SessionDep):
    return {"items": service.get_terms(session=session, user_id=user.id)}


@router.put("/me/terms", response_model=TermsPublic,
            openapi_extra={"requestBody": {"required": True,
                                           "content": {"application/json": {"schema": TERMS_BODY}}}})
def put_terms(user: CurrentUser, session: SessionDep, body: object = Body(None, include_in_schema=False)):
    if not isinstance(body, dict) or set(body) != {"items"}:
        raise InvalidInput("Ожидается объект {\"items\": [{\"ru\": \"…\", \"en\": \"…\"}]}")
    return {"items": service.replace_terms(session=session, user_id=user.id, items=body["items"])}
