"""Parsing of values typed by a person, shared by every service so they all answer alike, in Russian.

`check_*` raise `ValueError` (for pydantic validators); `parse_int` raises `InvalidInput` (for services).
"""
from __future__ import annotations

from tortodelova.errors import InvalidInput

MAX_DIGITS = 12


def _is_plain_int_text(text: str) -> bool:
    # str.isdigit() accepts «²» and other Unicode digits that int() then refuses: ASCII digits only.
    digits = text[1:] if text[:1] in "+-" else text
    return digits.isascii() and digits.isdigit() and len(digits) < MAX_DIGITS


def check_int(value, *, low: int, high: int, what: str) -> int:
    """A whole number in [low, high]: ints and ASCII digit strings («15», «-5»); never floats, bools or huge numbers."""
    if isinstance(value, bool) or not isinstance(value, int):
        text = value.strip() if isinstance(value, str) else ""
        if not _is_plain_int_text(text):
            raise ValueError(f"{what}: нужно целое число от {low} до {high}")
        value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{what}: нужно целое число от {low} до {high}")
    return value


def parse_int(value, *, low: int, high: int, what: str) -> int:
    try:
        return check_int(value, low=low, high=high, what=what)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def check_text(value, *, what: str, limit: int, required: bool = False, empty=None) -> str | None:
    """Stripped text up to `limit` characters; blank is `empty` (or an error when required); NUL bytes refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"{what}: поле не может быть пустым")
        return empty
    if not isinstance(value, str):
        raise ValueError(f"{what}: нужен текст")
    if "\x00" in value:
        raise ValueError(f"{what}: недопустимый символ (NUL) в тексте")
    value = value.strip()
    if len(value) > limit:
        raise ValueError(f"{what}: слишком длинный текст ({len(value)} символов, максимум {limit})")
    return value
