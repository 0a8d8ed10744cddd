"""The phrasing table: bakers' real descriptions through the real translator (tiny Marian) → terms in the prompt."""

from pathlib import Path

import pytest

from tortodelova.pipeline.glossary_data import CATEGORIES, load_glossary
from tortodelova.pipeline.translator import Translator

PHRASINGS_PATH = Path(__file__).with_name("glossary_phrasings.tsv")


def load_phrasings(path: Path = PHRASINGS_PATH) -> list[tuple[str, list[str]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, expected = line.split("\t")
            rows.append((text, [term.strip() for term in expected.split("|")]))
    return rows


PHRASINGS = load_phrasings()


@pytest.fixture(scope="module")
def translations(tiny_translator_dir):
    translator = Translator.from_pretrained(tiny_translator_dir)
    texts = [text for text, _ in PHRASINGS]
    return dict(zip(texts, translator.translate(texts)))  # one batched call, as the worker makes them


def test_the_table_is_large_and_covers_every_category():
    assert len(PHRASINGS) >= 300
    assert len({text for text, _ in PHRASINGS}) == len(PHRASINGS)
    category_of = {english: entry.category for entry in load_glossary() for english in (entry.en, entry.en_plural)}
    assert all(english in category_of for _, expected in PHRASINGS for english in expected)
    assert {category_of[english] for _, expected in PHRASINGS for english in expected} == set(CATEGORIES)
    assert sum(len(expected) > 1 for _, expected in PHRASINGS) >= 180  # several terms in one sentence


@pytest.mark.parametrize(("text", "expected"), PHRASINGS, ids=[f"{i:03}" for i in range(len(PHRASINGS))])
def test_phrasing(translations, text, expected):
    translation = translations[text]
    assert sorted({term.en for term in translation.terms}) == sorted(set(expected))
    for english in expected:
        assert english.lower() in translation.prompt_en.lower()
    assert all(term.ru in text for term in translation.terms)  # the preview shows the words as the baker wrote them
