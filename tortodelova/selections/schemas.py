"""The typed contract of selections: what the chef sends, what the customer answers, what both get back.

Every field is checked by a `before` validator that answers in Russian with the bad value described, so the REST
edge, the Gradio handlers and the customer's page (a plain form) refuse alike.
"""
from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from tortodelova.selections.models import COMMENT_MAX, ITEMS_MAX, ITEMS_MIN, NAME_MAX, NOTE_MAX, PHONE_MAX, TITLE_MAX
from tortodelova.validation import check_int, check_text
from tortodelova.vocabulary import ID_MAX_CHARS, MAX_VARIANTS

EXPIRES_MAX_DAYS = 365


def _visible(what: str, limit: int, *, multiline: bool, required: bool = False):
    """Text a person typed: no control characters (line breaks only where the field has lines)."""
    def check(value):
        value = check_text(value, what=what, limit=limit, required=required, empty=None if not required else "")
        if value is None:
            return None
        allowed = "\n\r\t" if multiline else ""
        if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in allowed for ch in value):
            raise ValueError(f"{what}: недопустимые символы (управляющие или непечатаемые)")
        return value.replace("\r\n", "\n") if multiline else " ".join(value.split())
    return BeforeValidator(check)


def _generation_ids(value):
    if not isinstance(value, (list, tuple)):
        raise ValueError("Дизайны подборки: нужен список идентификаторов")
    ids = []
    for item in value:
        if not isinstance(item, str) or not 0 < len(item) <= ID_MAX_CHARS or "\x00" in item:
            raise ValueError("Дизайны подборки: некорректный идентификатор дизайна")
        if item not in ids:
            ids.append(item)
    if not ITEMS_MIN <= len(ids) <= ITEMS_MAX:
        raise ValueError(f"В подборке может быть от {ITEMS_MIN} до {ITEMS_MAX} дизайнов, а выбрано {len(ids)}")
    return ids


def _optional_int(what: str, low: int, high: int, blank=None):
    def check(value):
        if value is None or value == "":
            return blank
        return check_int(value, what=what, low=low, high=high)
    return BeforeValidator(check)


Title = Annotated[str, _visible("Название подборки", TITLE_MAX, multiline=False, required=True)]
Note = Annotated[str | None, _visible("Пояснение для заказчика", NOTE_MAX, multiline=True)]
GenerationIds = Annotated[list[str], BeforeValidator(_generation_ids)]


class SelectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    note: Note = None
    generation_ids: GenerationIds
    expires_in_days: Annotated[int | None, _optional_int("Срок действия ссылки, дней", 1, EXPIRES_MAX_DAYS)] = None


class SelectionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    note: Note = None
    generation_ids: GenerationIds | None = None


class ChoiceRequest(BaseModel):
    """The customer's answer (a form or JSON): which picture, and optionally a comment, a name and a phone."""
    model_config = ConfigDict(extra="ignore")  # a form also carries its button
    generation_id: Annotated[str, BeforeValidator(lambda v: _choice_id(v))]
    index: Annotated[int, _optional_int("Номер картинки", 0, MAX_VARIANTS - 1, blank=0)] = 0
    comment: Annotated[str | None, _visible("Комментарий", COMMENT_MAX, multiline=True)] = None
    name: Annotated[str | None, _visible("Имя", NAME_MAX, multiline=False)] = None
    phone: Annotated[str | None, _visible("Телефон", PHONE_MAX, multiline=False)] = None


def _choice_id(value):
    if not isinstance(value, str) or not 0 < len(value) <= ID_MAX_CHARS or "\x00" in value:
        raise ValueError("Выберите один из дизайнов")
    return value


class ChoicePublic(BaseModel):
    generation_id: str
    index: int
    comment: str | None
    name: str | None
    phone: str | None
    chosen_at: datetime


class SelectionPublic(BaseModel):
    id: int
    title: str
    note: str
    url: str
    token: str
    generation_ids: list[str]
    created_at: datetime
    expires_at: datetime | None
    agreed_at: datetime | None
    revoked: bool
    choice: ChoicePublic | None
    answer_seen: bool


class SelectionsPublic(BaseModel):
    items: list[SelectionPublic]
    total: int


class ChoiceAccepted(BaseModel):
    ok: bool = True
