"""The baker's public profile: the name and contact printed on the customer card and shown on the share page."""
from __future__ import annotations

import unicodedata

from sqlalchemy.orm import Session

from tortodelova.accounts.models import User
from tortodelova.errors import InvalidInput

DISPLAY_NAME_MAX = 80
CONTACT_MAX = 200
FIELDS = {"display_name": ("Имя на карточке", DISPLAY_NAME_MAX), "contact": ("Контакт", CONTACT_MAX)}


def clean(value, *, what: str, limit: int) -> str | None:
    """One line of visible text, or None to clear the field."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what}: нужен текст")
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in value):
        raise InvalidInput(f"{what}: недопустимые символы (управляющие или непечатаемые)")
    value = " ".join(value.split())
    if len(value) > limit:
        raise InvalidInput(f"{what}: слишком длинно ({len(value)} символов, можно до {limit})")
    return value or None


def public(user: User) -> dict:
    return {"display_name": user.display_name, "contact": user.contact}


def update(*, session: Session, user: User, changes: dict) -> dict:
    """Set the given fields (absent ones stay as they are; null or an empty string clears one)."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise InvalidInput(f"Неизвестные поля профиля: {', '.join(sorted(map(str, unknown)))}")
    cleaned = {name: clean(value, what=FIELDS[name][0], limit=FIELDS[name][1]) for name, value in changes.items()}
    for name, value in cleaned.items():
        setattr(user, name, value)
    session.commit()
    return public(user)
