"""The glossary's data: the reviewed TSV of terms (``glossary_ru_en.tsv``: category, RU lemmas, EN, EN plural, notes)
and the known MT mistakes (``glossary_mt_fixes.tsv``), parsed and validated; the matching is ``glossary``'s."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GLOSSARY_PATH = Path(__file__).with_name("glossary_ru_en.tsv")
MT_FIXES_PATH = Path(__file__).with_name("glossary_mt_fixes.tsv")
COLUMNS = ("category", "ru", "en", "en_plural", "notes")
LEMMA_SEPARATOR = "|"
CATEGORIES = {
    "coatings": "coatings and finishes",
    "creams": "creams and fillings",
    "sponges": "sponge and dough kinds",
    "cakes": "desserts and pastries by kind",
    "named": "classic and Soviet cakes by name",
    "decorations": "decorations and their materials",
    "fruit": "berries, fruit and nuts",
    "construction": "construction and decor elements",
    "techniques": "techniques",
    "shapes": "shapes and constructions",
    "occasions": "occasions and themes",
    "folk": "folk crafts and decorative traditions",
    "colours": "colours and shades",
}

_WORD = re.compile(r"[0-9a-zа-яё]+", re.IGNORECASE)
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


class GlossaryError(ValueError):
    """A line of the glossary data file that cannot be used; the message names the line."""


@dataclass(frozen=True)
class Entry:
    line: int
    category: str
    ru: tuple[str, ...]  # dictionary forms and spellings, e.g. ("кейк-попс", "кейкпопс")
    en: str
    en_plural: str
    notes: str


def has_cyrillic(text: str) -> bool:
    return _CYRILLIC.search(text) is not None


def parse_glossary(text: str) -> list[Entry]:
    """Entries of the TSV data; raises GlossaryError naming the first bad line."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if cells == list(COLUMNS):
            continue
        if len(cells) != len(COLUMNS):
            raise GlossaryError(f"line {number}: {len(COLUMNS)} tab-separated columns expected, found {len(cells)}")
        category, ru, en, en_plural, notes = cells
        if category not in CATEGORIES:
            raise GlossaryError(f"line {number}: unknown category {category!r}, expected one of {sorted(CATEGORIES)}")
        spellings = tuple(spelling.strip() for spelling in ru.split(LEMMA_SEPARATOR))
        if not all(spellings) or not en:
            raise GlossaryError(f"line {number}: RU lemmas and EN are required")
        for spelling in spellings:
            if not has_cyrillic(spelling) or _WORD.sub("", spelling).strip(" -"):
                raise GlossaryError(f"line {number}: {spelling!r} is not a Russian word or phrase")
        for english in (en, en_plural):
            if not english.isascii() or has_cyrillic(english):
                raise GlossaryError(f"line {number}: EN {english!r} must be plain ASCII")
        entries.append(Entry(number, category, spellings, en, en_plural, notes))
    return entries


@cache
def load_glossary() -> tuple[Entry, ...]:
    return tuple(parse_glossary(GLOSSARY_PATH.read_text(encoding="utf-8")))


@cache
def mt_fixes() -> tuple[tuple[re.Pattern[str], str], ...]:
    pairs = []
    for line in MT_FIXES_PATH.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            wrong, right = (cell.strip() for cell in line.split("\t"))
            pairs.append((wrong, right))
    pairs.sort(key=lambda pair: len(pair[0]), reverse=True)
    return tuple(
        (re.compile(rf"(?<![\w-]){re.escape(wrong)}(?![\w-])", re.IGNORECASE), right) for wrong, right in pairs
    )
