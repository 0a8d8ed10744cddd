"""Confectionery glossary: the trade's terms, not a generic dictionary's.

Generic MT knows мастика as "mastic" and живые цветы as "living flowers". Post-fixing the English alone is fragile
(the model may also say "putty", or drop the word), so the approach is belt and braces:

1. ``prepare_source`` replaces every glossary term found in the Russian text by its English term *before* MT. Marian
   copies Latin words through, so the term reaches the prompt verbatim and the model only translates the glue
   around it. Russian inflection is handled by stem regexes built from the data file (мастика → мастикой,
   живые цветы → живыми цветами, ё/е), longest phrase first (масляный крем before крем).
2. ``fix_translation`` rewrites the known MT mistakes that slip through (words the glossary did not catch) and
   appends any applied term the model dropped, so the image prompt never loses what the chef asked for.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GLOSSARY_PATH = Path(__file__).with_name("glossary_ru_en.json")

# Inflectional endings of Russian nouns and adjectives. A stem matches only when followed by one of these and a
# word boundary, so "крем" matches "кремом" but not "кремовые", and "без" is never a stem (безе is invariable).
ENDINGS = (
    "ами ями ого его ому ему ыми ими "
    "ой ей ёй ом ем ём ам ям ах ях ов ев ёв ью ый ий ая яя ое ее ые ие ым им ых их ую юю ою ею "
    "а я о е ё ы и у ю ь й"
).split()
PLURAL_ENDINGS = frozenset("ы и ов ев ей ам ям ами ями ах ях ые ие ых их ыми ими".split())
# "три яруса" is genitive singular in form but plural in meaning
_PAUCAL = re.compile(r"(?:^|[^а-яё0-9])(?:два|две|три|четыре|оба|обе|[234])\s+$", re.IGNORECASE)
MIN_STEM = 3

_LEFT = r"(?<![а-яёa-z0-9-])"
_RIGHT = r"(?![а-яёa-z0-9-])"
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    ru: str  # the form as found in the text, e.g. "живыми цветами"
    en: str


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    en: str
    en_plural: str | None
    last_stem: str  # stem of the lemma's last word, to read the matched ending for plural


def has_cyrillic(text: str) -> bool:
    return _CYRILLIC.search(text) is not None


def _yo(text: str) -> str:
    """Regex for text where е and ё are interchangeable (трёхъярусный = трехъярусный)."""
    return "".join("[её]" if ch in "её" else re.escape(ch) for ch in text)


def _stem(word: str) -> str:
    for ending in sorted(ENDINGS, key=len, reverse=True):
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def _part_regex(part: str, invariable: frozenset[str]) -> tuple[str, str]:
    """Regex for one word part, and its stem ("" for literal parts)."""
    if len(part) <= 2 or part in invariable or not has_cyrillic(part):
        return _yo(part), ""
    stem = _stem(part)
    endings = "|".join(_yo(e) for e in sorted(ENDINGS, key=len, reverse=True))
    return f"{_yo(stem)}(?:{endings})?", stem


def _lemma_regex(lemma: str, invariable: frozenset[str]) -> tuple[str, str]:
    words = []
    last_stem = ""
    for word in lemma.lower().split():
        parts = [_part_regex(part, invariable) for part in word.split("-")]
        # "крем-чиз", "крем чиз" and "кремчиз" are all written by chefs
        words.append(r"-?\s?".join(regex for regex, _ in parts))
        last_stem = parts[-1][1]
    return _LEFT + r"\s+".join(words) + _RIGHT, last_stem


@cache
def _load() -> tuple[list[_Rule], list[tuple[re.Pattern[str], str]]]:
    data = json.loads(GLOSSARY_PATH.read_text(encoding="utf-8"))
    invariable = frozenset(data["invariable"])
    lemmas = [(lemma, entry) for entry in data["terms"] for lemma in entry["ru"]]
    # Longest phrase first: "масляный крем" claims its words before "крем" can.
    lemmas.sort(key=lambda item: (len(item[0].split()), len(item[0])), reverse=True)
    rules = []
    for lemma, entry in lemmas:
        regex, last_stem = _lemma_regex(lemma, invariable)
        rules.append(
            _Rule(re.compile(regex, re.IGNORECASE), entry["en"], entry.get("en_plural"), last_stem)
        )
    fixes = [
        (re.compile(rf"(?<![\w-]){re.escape(wrong)}(?![\w-])", re.IGNORECASE), right)
        for wrong, right in sorted(data["mt_fixes"].items(), key=lambda kv: len(kv[0]), reverse=True)
    ]
    return rules, fixes


def _english_for(rule: _Rule, found: str, before: str) -> str:
    if rule.en_plural and _PAUCAL.search(before[-12:]):
        return rule.en_plural
    if rule.en_plural and rule.last_stem:
        last_word = found.lower().replace("ё", "е").split()[-1].split("-")[-1]
        ending = last_word[len(rule.last_stem.replace("ё", "е")) :]
        if ending in PLURAL_ENDINGS:
            return rule.en_plural
    return rule.en


def _matches(text_ru: str) -> list[tuple[int, int, Term]]:
    rules, _ = _load()
    taken: list[tuple[int, int, Term]] = []
    for rule in rules:
        for match in rule.pattern.finditer(text_ru):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end, _ in taken):
                continue
            taken.append((start, end, Term(ru=match.group(0), en=_english_for(rule, match.group(0), text_ru[:start]))))
    return sorted(taken, key=lambda item: item[0])


def find_terms(text_ru: str) -> list[Term]:
    """Glossary terms in the text, in reading order, each form once."""
    terms: list[Term] = []
    for _, _, term in _matches(text_ru):
        if all(term.ru.lower() != seen.ru.lower() for seen in terms):
            terms.append(term)
    return terms


def prepare_source(text_ru: str) -> tuple[str, list[Term]]:
    """The text with glossary terms already in English, ready for MT, and the terms applied."""
    pieces = []
    position = 0
    for start, end, term in _matches(text_ru):
        pieces.append(text_ru[position:start])
        pieces.append(term.en)
        position = end
    pieces.append(text_ru[position:])
    return "".join(pieces), find_terms(text_ru)


def fix_translation(text_en: str, terms: list[Term]) -> str:
    """Rewrite known MT mistakes, then append any glossary term the MT dropped."""
    _, fixes = _load()
    for pattern, right in fixes:
        text_en = pattern.sub(right, text_en)
    text_en = re.sub(r"\b(\w+)(?:\s+\1\b)+", r"\1", text_en, flags=re.IGNORECASE)  # "cake cake"
    text_en = text_en.strip()
    missing = []
    for term in terms:
        if term.en.lower() not in text_en.lower() and term.en not in missing:
            missing.append(term.en)
    if missing:
        text_en = ", ".join([text_en.rstrip(" .,;"), *missing]) if text_en else ", ".join(missing)
    return text_en
