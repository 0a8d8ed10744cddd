"""Selections: the chef's side (create, change, agree, revoke) and the customer's (read by token, answer).

One function per rule, called by the REST views, the Gradio handlers and the customer's page alike. A link is alive
while it is not revoked, not expired and its owner is active; a design that was deleted (soft, see
`generation.service.delete`) silently leaves every selection it was in.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tortodelova.accounts.models import User
from tortodelova.db import utcnow
from tortodelova.errors import Conflict, InvalidInput, NotFound
from tortodelova.generation.models import Generation
from tortodelova.selections.models import TOKEN_MAX, Selection, SelectionItem
from tortodelova.selections.schemas import (
    ChoicePublic,
    ChoiceRequest,
    SelectionCreate,
    SelectionPublic,
    SelectionUpdate,
)

logger = logging.getLogger(__name__)
LINK_GONE = "Ссылка недействительна: кондитер её отозвал или срок действия истёк"
FROZEN = "Выбор уже согласован с кондитером — изменить его нельзя. Напишите кондитеру, если нужно что-то поменять."


@dataclass(frozen=True)
class Option:
    """One picture the customer can choose: a design's variant, numbered from 1 across the whole page."""

    number: int
    generation: Generation
    index: int


# ---------------------------------------------------------------- the chef's side
def _owned_designs(*, session: Session, user: User, generation_ids: list[str]) -> list[Generation]:
    found = {g.id: g for g in session.scalars(select(Generation).where(Generation.id.in_(generation_ids)))}
    for generation_id in generation_ids:
        generation = found.get(generation_id)
        if generation is None or generation.user_id != user.id or generation.deleted_at is not None:
            raise NotFound("В подборку можно добавить только свои дизайны: один из выбранных не найден")
        if generation.status != "succeeded" or not generation.image_keys:
            raise Conflict("В подборку можно добавить только готовые дизайны")
    return [found[generation_id] for generation_id in generation_ids]


def _set_items(*, session: Session, selection: Selection, generations: list[Generation]) -> None:
    session.execute(delete(SelectionItem).where(SelectionItem.selection_id == selection.id))
    for position, generation in enumerate(generations):
        session.add(SelectionItem(selection_id=selection.id, generation_id=generation.id, position=position))


def create(*, session: Session, user: User, request: SelectionCreate) -> Selection:
    generations = _owned_designs(session=session, user=user, generation_ids=request.generation_ids)
    expires_at = utcnow() + timedelta(days=request.expires_in_days) if request.expires_in_days else None
    selection = Selection(user_id=user.id, title=request.title, note=request.note or "", expires_at=expires_at)
    session.add(selection)
    session.flush()
    _set_items(session=session, selection=selection, generations=generations)
    session.commit()
    return selection


def get_owned(*, session: Session, user: User, selection_id) -> Selection:
    """The user's own selection; anyone else's (or a malformed id) is simply not found."""
    if isinstance(selection_id, bool) or not isinstance(selection_id, int) or not 0 < selection_id < 2**31:
        raise NotFound("Подборка не найдена")
    selection = session.get(Selection, selection_id)
    if selection is None or selection.user_id != user.id:
        raise NotFound("Подборка не найдена")
    return selection


def list_for_user(*, session: Session, user: User, limit: int = 100) -> tuple[list[Selection], int]:
    query = select(Selection).where(Selection.user_id == user.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Selection.created_at.desc(), Selection.id.desc()).limit(limit)).all()
    return list(items), total


def update_selection(*, session: Session, user: User, selection_id, request: SelectionUpdate) -> Selection:
    selection = get_owned(session=session, user=user, selection_id=selection_id)
    given = request.model_fields_set
    if "title" in given:
        if request.title is None:
            raise InvalidInput("Название подборки: поле не может быть пустым")
        selection.title = request.title
    if "note" in given:
        selection.note = request.note or ""
    if "generation_ids" in given:
        if request.generation_ids is None:
            raise InvalidInput("Дизайны подборки: нужен список идентификаторов")
        if selection.agreed_at is not None:
            raise Conflict("Подборка уже согласована: набор дизайнов менять нельзя")
        generations = _owned_designs(session=session, user=user, generation_ids=request.generation_ids)
        _set_items(session=session, selection=selection, generations=generations)
    session.commit()
    return selection


def agree(*, session: Session, user: User, selection_id) -> Selection:
    """The chef confirms the customer's choice: from now on it is frozen and the page shows the card."""
    selection = get_owned(session=session, user=user, selection_id=selection_id)
    if selection.chosen_generation_id is None:
        raise Conflict("Заказчик ещё ничего не выбрал — согласовывать нечего")
    if selection.agreed_at is None:
        # Conditional, so an answer changing at the same moment cannot slip in after the chef's click.
        session.execute(update(Selection).where(Selection.id == selection.id, Selection.agreed_at.is_(None))
                        .values(agreed_at=utcnow(), answer_seen=True))
        session.commit()
        session.refresh(selection)
    return selection


def revoke(*, session: Session, user: User, selection_id) -> None:
    """The link answers 404 from now on; the chef keeps the selection and the answer."""
    selection = get_owned(session=session, user=user, selection_id=selection_id)
    selection.revoked = True
    session.commit()


def unseen_answers(*, session: Session, user: User) -> int:
    """How many selections have an answer the chef has not looked at yet (the badge)."""
    return session.scalar(select(func.count()).select_from(Selection).where(
        Selection.user_id == user.id, Selection.answer_seen.is_(False))) or 0


def mark_seen(*, session: Session, user: User) -> None:
    session.execute(update(Selection).where(Selection.user_id == user.id, Selection.answer_seen.is_(False))
                    .values(answer_seen=True))
    session.commit()


# ---------------------------------------------------------------- both sides
def designs(*, session: Session, selection: Selection) -> list[Generation]:
    """The selection's designs in the chef's order; deleted or unfinished ones are left out."""
    return list(session.scalars(
        select(Generation).join(SelectionItem, SelectionItem.generation_id == Generation.id)
        .where(SelectionItem.selection_id == selection.id, Generation.deleted_at.is_(None),
               Generation.status == "succeeded")
        .order_by(SelectionItem.position)))


def options(generations: list[Generation]) -> list[Option]:
    numbered, number = [], 0
    for generation in generations:
        for index in range(len(generation.image_keys or [])):
            number += 1
            numbered.append(Option(number=number, generation=generation, index=index))
    return numbered


def chosen_option(*, session: Session, selection: Selection) -> Option | None:
    if selection.chosen_generation_id is None:
        return None
    for option in options(designs(session=session, selection=selection)):
        if option.generation.id == selection.chosen_generation_id and option.index == selection.chosen_index:
            return option
    return None


# ---------------------------------------------------------------- the customer's side
def _valid_token(token) -> bool:
    return isinstance(token, str) and 0 < len(token) <= TOKEN_MAX and "\x00" not in token


def get_public(*, session: Session, token) -> Selection:
    """The selection behind a live link; revoked, expired, unknown or of a blocked chef: not found."""
    selection = session.scalar(select(Selection).where(Selection.token == token)) if _valid_token(token) else None
    if selection is None or selection.revoked or (selection.expires_at is not None
                                                  and selection.expires_at <= utcnow()):
        raise NotFound(LINK_GONE)
    owner = session.get(User, selection.user_id)
    if owner is None or not owner.is_active:
        raise NotFound(LINK_GONE)
    return selection


def owner_of(*, session: Session, selection: Selection) -> User:
    return session.get(User, selection.user_id)


def choose(*, session: Session, token, choice: ChoiceRequest) -> Selection:
    """The customer's answer; it replaces the previous one until the chef agrees (409 after)."""
    selection = get_public(session=session, token=token)
    if selection.agreed_at is not None:
        raise Conflict(FROZEN)
    valid = {(o.generation.id, o.index) for o in options(designs(session=session, selection=selection))}
    if (choice.generation_id, choice.index) not in valid:
        raise InvalidInput("Такого варианта нет в подборке — выберите один из показанных дизайнов")
    values = dict(chosen_generation_id=choice.generation_id, chosen_index=choice.index, chosen_at=utcnow(),
                  answer_seen=False)
    if "comment" in choice.model_fields_set:
        values["comment"] = choice.comment
    # The page never shows the name and phone back (anyone with the link would see them), so an empty field
    # means «unchanged», not «erase».
    if choice.name:
        values["customer_name"] = choice.name
    if choice.phone:
        values["customer_phone"] = choice.phone
    moved = session.execute(
        update(Selection).where(Selection.id == selection.id, Selection.agreed_at.is_(None)).values(**values)
    ).rowcount
    session.commit()
    if not moved:  # the chef agreed between our read and this write
        raise Conflict(FROZEN)
    session.refresh(selection)
    logger.info("selection %s answered", selection.id)
    return selection


# ---------------------------------------------------------------- the contract's object
CUSTOMER_PATH = "/c/{token}"


def customer_url(base: str, token: str) -> str:
    return base.rstrip("/") + CUSTOMER_PATH.format(token=token)


def as_public(*, session: Session, selection: Selection, base: str) -> SelectionPublic:
    choice = None
    if selection.chosen_generation_id is not None:
        choice = ChoicePublic(generation_id=selection.chosen_generation_id, index=selection.chosen_index or 0,
                              comment=selection.comment, name=selection.customer_name,
                              phone=selection.customer_phone, chosen_at=selection.chosen_at)
    return SelectionPublic(
        id=selection.id, title=selection.title, note=selection.note or "",
        url=customer_url(base, selection.token), token=selection.token,
        generation_ids=[g.id for g in designs(session=session, selection=selection)],
        created_at=selection.created_at, expires_at=selection.expires_at, agreed_at=selection.agreed_at,
        revoked=selection.revoked, choice=choice, answer_seen=selection.answer_seen)
