"""The glossary data file is reviewed like code: it parses, has no duplicates, and its English is plain ASCII."""

import collections

import pytest

from tortodelova.pipeline.glossary import analyse, normalize
from tortodelova.pipeline.glossary_data import (
    CATEGORIES,
    COLUMNS,
    GLOSSARY_PATH,
    LEMMA_SEPARATOR,
    MT_FIXES_PATH,
    GlossaryError,
    load_glossary,
    parse_glossary,
)


def _lemma_key(spelling: str) -> tuple[str, ...]:
    words = normalize(spelling).replace("-", " ").split()
    return tuple((analyse(word) or ((word, False),))[0][0] for word in words)


def test_the_file_has_one_term_a_line_in_every_category():
    lines = [line for line in GLOSSARY_PATH.read_text(encoding="utf-8").splitlines() if line and line[0] != "#"]
    assert lines[0].split("\t") == list(COLUMNS)
    entries = load_glossary()
    assert len(entries) == len(lines) - 1 >= 800
    counts = collections.Counter(entry.category for entry in entries)
    assert set(counts) == set(CATEGORIES)
    assert min(counts.values()) >= 25


def test_english_is_ascii_and_not_empty():
    for entry in load_glossary():
        assert entry.en and entry.en.isascii(), entry
        assert entry.en_plural.isascii(), entry
        assert entry.en.strip() == entry.en


def test_no_russian_spelling_twice():
    owners = collections.defaultdict(set)
    for entry in load_glossary():
        assert len(set(entry.ru)) == len(entry.ru), entry
        for spelling in entry.ru:
            owners[_lemma_key(spelling)].add(entry.line)
    duplicates = {key: lines for key, lines in owners.items() if len(lines) > 1}
    assert duplicates == {}


def test_no_english_term_in_two_categories():
    categories = collections.defaultdict(set)
    for entry in load_glossary():
        categories[entry.en].add(entry.category)
    assert {en: cats for en, cats in categories.items() if len(cats) > 1} == {}


def test_mt_fixes_parse():
    rows = [line.split("\t") for line in MT_FIXES_PATH.read_text(encoding="utf-8").splitlines()
            if line and line[0] != "#"]
    assert rows and all(len(row) == 2 and row[0].isascii() and row[1].isascii() for row in rows)
    assert len({row[0].lower() for row in rows}) == len(rows)


HEADER = "\t".join(COLUMNS)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("colours\tмятный\tmint green\t", "5 tab-separated columns"),
        ("flavours\tмятный\tmint green\t\t", "unknown category 'flavours'"),
        ("colours\tмятный\tмятный\t\t", "must be plain ASCII"),
        ("colours\tмятный\tmint gréen\t\t", "must be plain ASCII"),
        ("colours\t\tmint green\t\t", "RU lemmas and EN are required"),
        (f"colours\tмятный{LEMMA_SEPARATOR}\tmint green\t\t", "RU lemmas and EN are required"),
        ("colours\tmint\tmint green\t\t", "is not a Russian word"),
        ("colours\tмятный, светлый\tmint green\t\t", "is not a Russian word"),
    ],
)
def test_bad_lines_are_rejected_with_their_number(line, message):
    with pytest.raises(GlossaryError, match=message) as caught:
        parse_glossary(f"# comment\n{HEADER}\n{line}\n")
    assert str(caught.value).startswith("line 3:")


def test_a_good_line_parses():
    [entry] = parse_glossary(f"{HEADER}\nshapes\tярус{LEMMA_SEPARATOR}ярусы\ttier\ttiers\tcounted\n")
    assert (entry.category, entry.ru, entry.en, entry.en_plural, entry.notes) == (
        "shapes", ("ярус", "ярусы"), "tier", "tiers", "counted"
    )
