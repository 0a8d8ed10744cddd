"""Confectionery glossary: the trade's terms, not a generic dictionary's.

Generic MT knows мастика as "mastic" and живые цветы as "living flowers". Post-fixing the English alone is fragile
(the model may also say "putty", or drop the word), so the approach is belt and braces:

1. ``prepare_source`` replaces every glossary term found in the Russian text by its English term *before* MT. Marian
   copies Latin words through, so the term reaches the prompt verbatim and the model only translates the glue
   around it. Word forms are matched by lemma with pymorphy3: every word of the text and of each glossary phrase is
   reduced to its possible dictionary forms, so «сахарными цветами» meets «сахарные цветы», «трёхъярусного» meets
   «трехъярусный». Hyphen, space and no-space spellings of a compound are one term (кейк-попс, кейк попс, кейкпопс).
   Among overlapping matches the one with most words wins, so «масляный крем» is never also «крем».
2. ``fix_translation`` rewrites the known MT mistakes that slip through (words the glossary did not catch) and
   appends any applied term the model dropped, so the image prompt never loses what the chef asked for.

The data is ``glossary_ru_en.tsv`` (one term a line: category, RU lemmas, EN, EN plural, notes), reviewed in the repo.

A chef's own terms («Мои термины», ``PersonalGlossary``) go through the same lemma machinery in a trie of their own,
compiled once per version of her list (an LRU keyed by user and version), and claim their words before the shared
glossary does. ``glossary_misses.misses`` names the words that neither matched and that the model transliterated or
could not know.
pymorphy3 is imported on first use; the web process pays for it only when it previews a translation.
"""

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Iterator

from tortodelova.pipeline.glossary_data import (  # the data side; these names are the glossary's vocabulary too
    _WORD,
    Entry,
    has_cyrillic,
    load_glossary,
    mt_fixes,
)

PERSONAL = "personal"  # the category of a chef's own term; never in the data file

# Between the words of one term: spaces, quotes and at most one hyphen or dash («торт - цифра», «кап-кейк»,
# «торт "Прага"»). A comma or a full stop ends the phrase: «крем, чиз» is not крем-чиз.
_QUOTES = "\"«»„“”"
_JOINER = re.compile(rf"[\s{_QUOTES}]*[-‐–]?[\s{_QUOTES}]*")
# "три яруса" is genitive singular in form but plural in meaning
_PAUCAL = re.compile(r"(?:^|[^а-яё0-9])(?:два|две|три|четыре|оба|обе|[234])\s+$", re.IGNORECASE)
# pymorphy guesses proper names for rare words (цветы → the name Цвета); a common-noun reading is preferred
_PROPER = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})


@dataclass(frozen=True)
class Term:
    ru: str  # the form as found in the text, e.g. "живыми цветами"
    en: str
    personal: bool = False  # one of the chef's own terms, not the shared glossary's


@dataclass(frozen=True)
class PersonalGlossary:
    """A chef's own terms: (Russian phrase, English) pairs, matched before the shared glossary.
    ``key`` names this version of her list (user id and version): the compiled matcher is cached under it."""

    key: str
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    word: str  # lower case, ё as е
    joined: bool  # attached to the previous token by spaces or a hyphen only
    hyphen: bool  # attached to the previous token by a bare hyphen: a part of one compound word


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    words: int
    entry: Entry
    splits: bool  # cuts a hyphenated compound («покрытие крем» out of «покрытие крем-чиз»)


def normalize(word: str) -> str:
    return word.lower().replace("ё", "е")


# 2. Morphology ------------------------------------------------------------------------------------------------------


@cache
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=65536)
def analyse(word: str) -> tuple[tuple[str, bool], ...]:
    """(lemma, is plural) for each reading of a normalized word, most likely first."""
    if not has_cyrillic(word):
        return ()
    parses = _morph().parse(word)
    common = [parse for parse in parses if not _PROPER & parse.tag.grammemes]
    readings = ((normalize(parse.normal_form), parse.tag.number == "plur") for parse in common or parses)
    return tuple(dict.fromkeys(readings))


@lru_cache(maxsize=65536)
def lemmas(word: str) -> frozenset[str]:
    """The word's possible lemmas and the word itself (indeclinable loanwords: безе, айвори)."""
    return frozenset(lemma for lemma, _ in analyse(word)) | {word}


@lru_cache(maxsize=8192)
def pattern_lemmas(word: str) -> frozenset[str]:
    """Keys a glossary word matches in a text: its lemmas and, for a word the dictionary lacks (капкейк, кейкпопс),
    every form of its guessed paradigm as written: pymorphy guesses such a lemma per form, and not always the same
    one, but it inflects the glossary word consistently."""
    if not has_cyrillic(word):
        return lemmas(word)
    if _morph().word_is_known(word):
        return lemmas(word)  # the dictionary's own paradigm: its lemma is the same in every form
    parses = [parse for parse in _morph().parse(word) if not _PROPER & parse.tag.grammemes] or _morph().parse(word)
    best = parses[0].normal_form
    forms = {normalize(form.word) for parse in parses if parse.normal_form == best for form in parse.lexeme}
    return lemmas(word) | forms


@lru_cache(maxsize=65536)
def _surely_plural(word: str) -> bool:
    """A dictionary word that is plural in every reading (вафельные, сахарными), not a guess."""
    return has_cyrillic(word) and _morph().word_is_known(word) and all(plural for _, plural in analyse(word))


def _tokens(text: str) -> list[_Token]:
    tokens = []
    previous_end = None
    for found in _WORD.finditer(text):
        joined = previous_end is not None and _JOINER.fullmatch(text, previous_end, found.start()) is not None
        hyphen = previous_end is not None and text[previous_end : found.start()] == "-"
        tokens.append(_Token(found.start(), found.end(), normalize(found.group()), joined, hyphen))
        previous_end = found.end()
    return tokens


def _words(tokens: list[_Token], first: int) -> Iterator[tuple[int, frozenset[str]]]:
    """(last token, lemmas) of each way to read a word at ``first``: the token alone, or a hyphenated compound
    (кейк-попсы is кейк + попсы, and кейкпопсы: the compound's own lemma is what pymorphy knows)."""
    yield first, lemmas(tokens[first].word)
    last = first
    while last + 1 < len(tokens) and tokens[last + 1].hyphen and last - first < 3:
        last += 1
        compound = [token.word for token in tokens[first : last + 1]]
        yield last, lemmas("".join(compound)) | lemmas("-".join(compound))


# 3. Matcher ---------------------------------------------------------------------------------------------------------

_END = ""  # trie key of the entry that ends at a node; never a word


class _Matcher:
    """A trie over lemma sequences: each level is one word, keyed by every lemma the word can have."""

    def __init__(self, entries: tuple[Entry, ...]):
        self.root: dict = {}
        for entry in entries:
            for spelling in entry.ru:
                for variant in dict.fromkeys((spelling, re.sub(r"\s*-\s*", "", spelling))):
                    self._add([token.word for token in _tokens(variant)], entry)

    def _add(self, words: list[str], entry: Entry) -> None:
        nodes = [self.root]
        for word in words:
            nodes = [node.setdefault(lemma, {}) for node in nodes for lemma in pattern_lemmas(word)]
        for node in nodes:
            node.setdefault(_END, entry)  # the first entry in the file wins a tie

    def matches(self, tokens: list[_Token]) -> list[_Match]:
        found = []
        for first in range(len(tokens)):
            frontier = [(first, [self.root])]
            while frontier:
                index, nodes = frontier.pop()
                if index >= len(tokens) or (index > first and not tokens[index].joined):
                    continue
                for last, keys in _words(tokens, index):
                    children = [child for node in nodes for key in keys if (child := node.get(key)) is not None]
                    if not children:
                        continue
                    ends = [node[_END] for node in children if _END in node]
                    if ends:
                        entry = min(ends, key=lambda e: e.line)
                        splits = tokens[first].hyphen or (last + 1 < len(tokens) and tokens[last + 1].hyphen)
                        found.append(_Match(tokens[first].start, tokens[last].end, last - first + 1, entry, splits))
                    frontier.append((last + 1, children))
        return found


_build_lock = threading.Lock()  # the worker translates from several threads: build the trie once


def _matcher() -> _Matcher:
    with _build_lock:
        return _build_matcher()


@cache
def _build_matcher() -> _Matcher:
    return _Matcher(load_glossary())


PERSONAL_CACHE_SIZE = 256  # chefs whose compiled terms stay in memory
_personal_matchers: OrderedDict[str, _Matcher] = OrderedDict()
_personal_lock = threading.Lock()


def spelling_problem(phrase: str) -> str | None:
    """Why a Russian phrase cannot be a term (in Russian, for the chef), or None when it can."""
    if not has_cyrillic(phrase):
        return "нужны русские слова"
    if _WORD.sub("", phrase).strip(" -"):
        return "только буквы, цифры, пробелы и дефис"
    return None


def personal_entries(personal: PersonalGlossary) -> tuple[Entry, ...]:
    return tuple(Entry(line=index, category=PERSONAL, ru=(ru,), en=en, en_plural="", notes="")
                 for index, (ru, en) in enumerate(personal.items))


def _personal_matcher(personal: PersonalGlossary) -> _Matcher:
    """The chef's trie, built once per version of her list: a request never rebuilds the shared glossary."""
    with _personal_lock:
        matcher = _personal_matchers.get(personal.key)
        if matcher is not None:
            _personal_matchers.move_to_end(personal.key)
            return matcher
    matcher = _Matcher(personal_entries(personal))  # outside the lock: another chef's request need not wait
    with _personal_lock:
        _personal_matchers[personal.key] = matcher
        while len(_personal_matchers) > PERSONAL_CACHE_SIZE:
            _personal_matchers.popitem(last=False)
    return matcher


@cache
def _last_word_keys(entry: Entry) -> frozenset[str]:
    spellings = [*entry.ru, *(re.sub(r"\s*-\s*", "", spelling) for spelling in entry.ru)]
    return frozenset().union(*(pattern_lemmas(_tokens(spelling)[-1].word) for spelling in spellings))


def _is_plural(match: _Match, tokens: list[_Token], text: str) -> bool:
    if _PAUCAL.search(text[max(0, match.start - 12) : match.start]):
        return True
    inside = [token for token in tokens if match.start <= token.start and token.end <= match.end]
    # «вафельные бабочки»: the adjective settles what the noun alone leaves open (бабочки: gen. sg. or nom. pl.)
    if any(_surely_plural(token.word) for token in inside):
        return True
    wanted = _last_word_keys(match.entry)
    group = [inside[-1]]
    for token in reversed(inside[:-1]):
        if not group[0].hyphen:
            break
        group.insert(0, token)
    compound = "".join(token.word for token in group)
    readings = [plural for word in (inside[-1].word, compound) for lemma, plural in analyse(word) if lemma in wanted]
    # бабочки, свечи: genitive singular or plural in form; a prompt lists decorations, so the plural reading wins
    return any(readings)


def _matches(text_ru: str, personal: PersonalGlossary | None = None) -> list[tuple[int, int, Term]]:
    tokens = _tokens(text_ru)
    candidates = _matcher().matches(tokens)
    if personal is not None and personal.items:
        candidates = _personal_matcher(personal).matches(tokens) + candidates
    # The chef's own terms claim their words first. Then the longest phrase: "масляный крем" before "крем", "цвета
    # крем" before "крем"; but a phrase that keeps hyphenated compounds whole goes before one that cuts them
    # (крем-чиз, not «покрытие крем»).
    candidates.sort(key=lambda m: (m.entry.category != PERSONAL, m.splits, -m.words, -(m.end - m.start), m.start))
    taken: list[tuple[int, int, Term]] = []
    for match in candidates:
        if any(match.start < end and start < match.end for start, end, _ in taken):
            continue
        entry = match.entry
        en = entry.en_plural if entry.en_plural and _is_plural(match, tokens, text_ru) else entry.en
        end = match.end
        # торт «Прага»: the closing quote goes with the name, or it would dangle after the English
        if text_ru[end : end + 1] in tuple("\"»”“") and any(q in text_ru[match.start : end] for q in "\"«„“"):
            end += 1
        taken.append((match.start, end, Term(ru=text_ru[match.start : end], en=en,
                                             personal=entry.category == PERSONAL)))
    return sorted(taken, key=lambda item: item[0])


# 4. Public API ------------------------------------------------------------------------------------------------------


def find_terms(text_ru: str, personal: PersonalGlossary | None = None) -> list[Term]:
    """Glossary terms (the chef's own first) in the text, in reading order, each form once."""
    terms: list[Term] = []
    for _, _, term in _matches(text_ru, personal):
        if all(term.ru.lower() != seen.ru.lower() for seen in terms):
            terms.append(term)
    return terms


def prepare_source(text_ru: str, personal: PersonalGlossary | None = None) -> tuple[str, list[Term]]:
    """The text with glossary terms (the chef's own first) already in English, ready for MT, and the terms applied."""
    pieces = []
    position = 0
    terms: list[Term] = []
    for start, end, term in _matches(text_ru, personal):
        pieces.append(text_ru[position:start])
        pieces.append(term.en)
        position = end
        if all(term.ru.lower() != seen.ru.lower() for seen in terms):
            terms.append(term)
    pieces.append(text_ru[position:])
    return "".join(pieces), terms


def fix_translation(text_en: str, terms: list[Term]) -> str:
    """Rewrite known MT mistakes, then append any glossary term the MT dropped."""
    for pattern, right in mt_fixes():
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


def warm_up() -> None:
    """Load the morphology dictionaries and build the matcher now rather than on the first prompt."""
    _matcher()
