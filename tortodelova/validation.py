"""Parsing of values typed by a person, shared by every service so they all answer alike, in Russian."""
from __future__ import annotations

from tortodelova.errors import InvalidInput


def parse_int(value, *, low: int, high: int, what: str) -> int:
    """A whole number in [low, high]: ints and digit strings («15», «-5»); never floats, bools or huge numbers."""
    if isinstance(value, bool) or not isinstance(value, int):
        text = value.strip() if isinstance(value, str) else ""
        if text.lstrip("+-").isdigit() and len(text) < 12:
            value = int(text)
        else:
            raise InvalidInput(f"{what}: нужно целое число от {low} до {high}")
    if not low <= value <= high:
        raise InvalidInput(f"{what}: нужно целое число от {low} до {high}")
    return value
