"""GET/PATCH /api/me/profile: the baker's name and contact for the customer card (the rules: accounts/profile.py)."""
from __future__ import annotations

from fastapi import APIRouter, Body
from pydantic import BaseModel

from tortodelova.accounts import profile
from tortodelova.accounts.deps import CurrentUser
from tortodelova.container import SessionDep
from tortodelova.errors import InvalidInput

router = APIRouter(tags=["Accounts"])


class ProfilePublic(BaseModel):
    display_name: str | None
    contact: str | None


PROFILE_BODY = {"type": "object", "additionalProperties": False, "properties": {
    "display_name": {"type": ["string", "null"], "maxLength": profile.DISPLAY_NAME_MAX},
    "contact": {"type": ["string", "null"], "maxLength": profile.CONTACT_MAX}}}


@router.get("/me/profile", response_model=ProfilePublic)
def get_profile(user: CurrentUser):
    return profile.public(user)


@router.patch("/me/profile", response_model=ProfilePublic,
              openapi_extra={"requestBody": {"required": True,
                                             "content": {"application/json": {"schema": PROFILE_BODY}}}})
def update_profile(user: CurrentUser, session: SessionDep, body: object = Body(None, include_in_schema=False)):
    if not isinstance(body, dict):
        raise InvalidInput("Ожидается объект с полями display_name и contact")
    return profile.update(session=session, user=user, changes=body)
