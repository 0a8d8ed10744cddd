"""/api/selections: the chef's selections for customers (the rules: selections/service.py)."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response

from tortodelova.accounts.deps import CurrentUser
from tortodelova.container import ServicesDep, SessionDep
from tortodelova.selections import service
from tortodelova.selections.schemas import SelectionCreate, SelectionPublic, SelectionsPublic, SelectionUpdate

router = APIRouter(prefix="/selections", tags=["Selections"])


def _base(request: Request, services) -> str:
    return services.settings.public_url or str(request.base_url)


@router.post("", response_model=SelectionPublic, status_code=201)
def create(body: SelectionCreate, request: Request, user: CurrentUser, services: ServicesDep, session: SessionDep):
    selection = service.create(session=session, user=user, request=body)
    return service.as_public(session=session, selection=selection, base=_base(request, services))


@router.get("", response_model=SelectionsPublic)
def list_selections(request: Request, user: CurrentUser, services: ServicesDep, session: SessionDep):
    items, total = service.list_for_user(session=session, user=user)
    base = _base(request, services)
    return SelectionsPublic(items=[service.as_public(session=session, selection=s, base=base) for s in items],
                            total=total)


@router.get("/{selection_id}", response_model=SelectionPublic)
def get(selection_id: int, request: Request, user: CurrentUser, services: ServicesDep, session: SessionDep):
    selection = service.get_owned(session=session, user=user, selection_id=selection_id)
    return service.as_public(session=session, selection=selection, base=_base(request, services))


@router.patch("/{selection_id}", response_model=SelectionPublic)
def update(selection_id: int, body: SelectionUpdate, request: Request, user: CurrentUser, services: ServicesDep,
           session: SessionDep):
    selection = service.update_selection(session=session, user=user, selection_id=selection_id, request=body)
    return service.as_public(session=session, selection=selection, base=_base(request, services))


@router.post("/{selection_id}/agree", response_model=SelectionPublic)
def agree(selection_id: int, request: Request, user: CurrentUser, services: ServicesDep, session: SessionDep):
    selection = service.agree(session=session, user=user, selection_id=selection_id)
    return service.as_public(session=session, selection=selection, base=_base(request, services))


@router.delete("/{selection_id}", status_code=204, response_class=Response)
def revoke(selection_id: int, user: CurrentUser, session: SessionDep):
    service.revoke(session=session, user=user, selection_id=selection_id)
    return Response(status_code=204)
