"""Words the glossary lacks, for the admin's «Слова, которых нет в глоссарии»: lemmas of a prompt that neither the
chef's terms nor the glossary matched and that the translation rendered as a transliteration or the dictionary does
not know. Built on the glossary's own tokens, lemmas and matches."""
from __future__ import annotations

import re
from functools import cache

from tortodelova.pipeline.glossary import (
    _PROPER,
    PersonalGlossary,
    _matches,
    _morph,
    _tokens,
    has_cyrillic,
    load_glossary,
    normalize,
)

# The words a glossary holds: nouns, adjectives, participles (not verbs, prepositions, numbers).
_CONTENT = frozenset({"NOUN", "ADJF", "ADJS", "PRTF"})
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "z", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s",
                      "t", "u", "f", "h", "c", "c", "s", "s", "", "i", "", "e", "u", "a"]))
_LATIN_FOLD = (("shch", "s"), ("kh", "h"), ("zh", "z"), ("ch", "c"), ("sh", "s"), ("ts", "c"), ("tc", "c"),
               ("ya", "a"), ("yu", "u"), ("ia", "a"), ("iu", "u"), ("yo", "o"), ("ks", "x"), ("y", "i"), ("j", "i"),
               ("w", "v"), ("q", "k"))


def _fold_latin(word: str) -> str:
    """Latin spelled the way a transliteration would be compared: one letter per sound, doubles collapsed."""
    for many, one in _LATIN_FOLD:
        word = word.replace(many, one)
    return re.sub(r"(.)\1+", r"\1", word)


def _transliteration(word: str) -> str:
    return _fold_latin("".join(_TRANSLIT.get(letter, letter) for letter in word).replace("ks", "x"))


def _transliterated(word: str, lemma: str, english_words: set[str]) -> bool:
    """The English holds the Russian word spelled in Latin letters (oblepiha, brusnichnyi) instead of a translation."""
    for source in {word, lemma}:
        stem = _transliteration(source).rstrip("aeiou")
        prefix = stem[: max(4, len(stem) - 1)]
        if len(prefix) >= 4 and any(english.startswith(prefix) for english in english_words):
            return True
    return False


@cache
def _glossary_english() -> frozenset[str]:
    """English words of the glossary: real words of the trade (vanilla, caramel), never a transliteration."""
    return frozenset(_fold_latin(word) for entry in load_glossary() for text in (entry.en, entry.en_plural)
                     for word in re.findall(r"[a-z]+", text.lower()))


def misses(text_ru: str, text_en: str, personal: PersonalGlossary | None = None) -> list[str]:
    """Lemmas of the words that neither the chef's terms nor the glossary matched and that the translation rendered
    as a transliteration (облепиха → "oblepiha") or that the dictionary does not know (the model does not either: it
    drops or garbles them). No names: a capitalised word after the first and any reading as a name are skipped, so
    a count never carries a person's name; the text itself is not kept."""
    covered = [(start, end) for start, end, _ in _matches(text_ru, personal)]
    english_words = {_fold_latin(word) for word in re.findall(r"[a-z]+", text_en.lower()) if len(word) >= 4}
    english_words -= _glossary_english()
    found: list[str] = []
    for index, token in enumerate(_tokens(text_ru)):
        word = token.word
        if len(word) < 3 or not has_cyrillic(word) or any(s <= token.start and token.end <= e for s, e in covered):
            continue
        if index > 0 and text_ru[token.start].isupper():
            continue  # «торт для Маши», «кондитерская Сладкоежка»: a name, not a trade word
        parses = _morph().parse(word)
        if any(_PROPER & parse.tag.grammemes for parse in parses) or parses[0].tag.POS not in _CONTENT:
            continue
        lemma = normalize(parses[0].normal_form)
        if not _morph().word_is_known(word) or _transliterated(word, lemma, english_words):
            found.append(lemma)
    return list(dict.fromkeys(found))
