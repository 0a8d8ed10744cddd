"""«Мои термины»: a chef's own Russian phrases with the English she wants in her prompts.

Matched by the glossary's lemma machinery (`pipeline.glossary.PersonalGlossary`) before the shared glossary, in her
translations only: her jobs and her preview, never the demo, never another chef's. Validated so that a term can
always be used: Russian words, plain ASCII English without prompt syntax, no two terms for the same words, and an
English short enough to leave the prompt room within CLIP's 77 tokens.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata

from sqlalchemy.orm import Session

from tortodelova.errors import InvalidInput
from tortodelova.pipeline import glossary, prompts
from tortodelova.terms.models import PersonalTerms

MAX_TERMS = 200
RU_MAX = 60  # characters of the Russian phrase
RU_WORDS_MAX = 6
EN_MAX = 150  # characters of the English
# CLIP tokens one term's English may take of the 75 a prompt has (77 with start and end): with the style's own words
# and the chef's other words the prompt must still fit, so no single term may take much more than a third.
EN_TOKENS_MAX = 30
_EN_ALLOWED = re.compile(r"[A-Za-z0-9 ,.'&/-]+")  # words and light punctuation: no "(word:1.5)", [ ], <lora:…>, |
_QUOTES = "\"'«»„“”"


def _items_of(row: PersonalTerms | None) -> list[dict]:
    return [{"ru": item["ru"], "en": item["en"]} for item in (row.items if row is not None else [])]


def get_terms(*, session: Session, user_id: int) -> list[dict]:
    """Her terms as she saved them: [{"ru", "en"}]."""
    return _items_of(session.get(PersonalTerms, user_id))


def terms_for_export(session: Session, user_id: int) -> list[dict]:
    """Her terms for the data export (the same list as GET /api/me/terms)."""
    return get_terms(session=session, user_id=user_id)


def personal_glossary(*, session: Session, user_id: int | None) -> glossary.PersonalGlossary | None:
    """Her terms for the translator, or None when she has none. The key names the version: the compiled matcher is
    reused until she saves again."""
    row = session.get(PersonalTerms, user_id) if user_id is not None else None
    if row is None or not row.items:
        return None
    items = tuple((item["ru"], item["en"]) for item in row.items)
    # user and version name the list; the fingerprint of its content makes the key safe where ids repeat (a process
    # serving two databases, a restored backup): a cached matcher is never another list's
    fingerprint = hashlib.blake2b(json.dumps(items, ensure_ascii=False).encode(), digest_size=6).hexdigest()
    return glossary.PersonalGlossary(key=f"{user_id}:{row.version}:{fingerprint}", items=items)


def _visible(value: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in value)


def _clean_ru(value, number: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"Термин {number}: русская фраза должна быть текстом")
    if not _visible(value):
        raise InvalidInput(f"Термин {number}: недопустимые символы (управляющие или непечатаемые)")
    ru = " ".join(value.translate({ord(q): " " for q in _QUOTES}).split())
    ru = re.sub(r"\s*-\s*", "-", ru)
    if not ru:
        raise InvalidInput(f"Термин {number}: напишите русское слово или фразу")
    if len(ru) > RU_MAX:
        raise InvalidInput(f"Термин {number} («{ru[:30]}…»): слишком длинно ({len(ru)} символов, можно до {RU_MAX})")
    problem = glossary.spelling_problem(ru)
    if problem:
        raise InvalidInput(f"Термин {number} («{ru}»): {problem}")
    if len(ru.replace("-", " ").split()) > RU_WORDS_MAX:
        raise InvalidInput(f"Термин {number} («{ru}»): не больше {RU_WORDS_MAX} слов — это название, а не описание")
    return ru


def _clean_en(value, number: int, ru: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"Термин {number} («{ru}»): английское описание должно быть текстом")
    en = " ".join(value.split())
    if not en:
        raise InvalidInput(f"Термин {number} («{ru}»): напишите, как это сказать по-английски")
    if not en.isascii() or glossary.has_cyrillic(en):
        raise InvalidInput(f"Термин {number} («{ru}»): английское описание — только латинские буквы (ASCII), "
                           "без кириллицы и букв с диакритикой")
    if not _EN_ALLOWED.fullmatch(en) or not _visible(en):
        raise InvalidInput(f"Термин {number} («{ru}»): в английском описании только слова, цифры и знаки , . ' - & / "
                           "— скобки, двоеточия и прочая разметка промпта не нужны")
    if len(en) > EN_MAX:
        raise InvalidInput(f"Термин {number} («{ru}»): английское описание слишком длинное "
                           f"({len(en)} символов, можно до {EN_MAX})")
    tokens = prompts.count_tokens(en) - 2  # without CLIP's start and end tokens
    if tokens > EN_TOKENS_MAX:
        raise InvalidInput(f"Термин {number} («{ru}»): английское описание не поместится в промпт — около {tokens} "
                           f"токенов CLIP, а на один термин можно до {EN_TOKENS_MAX} (на весь промпт — "
                           f"{prompts.CLIP_MAX_TOKENS}). Сократите его.")
    return en


def _lemma_key(phrase: str) -> tuple[str, ...]:
    words = glossary.normalize(phrase).replace("-", " ").split()
    return tuple((glossary.analyse(word) or ((word, False),))[0][0] for word in words)


def clean_items(items) -> list[dict]:
    """The list as it will be stored, or InvalidInput with a Russian message naming the term (1-based)."""
    if not isinstance(items, list):
        raise InvalidInput("Ожидается список терминов: [{\"ru\": \"…\", \"en\": \"…\"}]")
    if len(items) > MAX_TERMS:
        raise InvalidInput(f"Можно сохранить не больше {MAX_TERMS} терминов, а их {len(items)}")
    cleaned: list[dict] = []
    seen: dict[tuple[str, ...], tuple[int, str]] = {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or set(item) != {"ru", "en"}:
            raise InvalidInput(f"Термин {number}: нужны ровно два поля — ru (по-русски) и en (по-английски)")
        ru = _clean_ru(item["ru"], number)
        en = _clean_en(item["en"], number, ru)
        key = _lemma_key(ru)
        if key in seen:
            first, first_ru = seen[key]
            raise InvalidInput(f"Термин {number} («{ru}») повторяет термин {first} («{first_ru}»): "
                               "оставьте один из них")
        seen[key] = (number, ru)
        cleaned.append({"ru": ru, "en": en})
    return cleaned


def replace_terms(*, session: Session, user_id: int, items) -> list[dict]:
    """Save her whole list (PUT semantics: what is not sent is gone); a new version, so the matcher is rebuilt."""
    cleaned = clean_items(items)
    row = session.get(PersonalTerms, user_id)
    if row is None:
        row = PersonalTerms(user_id=user_id, items=cleaned, version=1)
        session.add(row)
    elif row.items != cleaned:
        row.items = cleaned
        row.version = row.version + 1
    session.commit()
    return _items_of(row)

