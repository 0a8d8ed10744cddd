"""A chef's own terms through the glossary machinery: lemma matching, precedence, the compiled-matcher cache, and the
words no glossary knew (`misses`)."""
import pytest

from tortodelova.pipeline import glossary
from tortodelova.pipeline.glossary import PersonalGlossary, find_terms, prepare_source
from tortodelova.pipeline.glossary_misses import misses
from tortodelova.pipeline.translator import Translator

MINE = PersonalGlossary(key="7:1", items=(
    ("вишнёвая поляна", "Cherry Glade chocolate cake with cherries and whipped cream"),
    ("фирменный медовик", "signature honey layer cake with walnut crumb sides"),
    ("медовик", "my honey cake"),
    ("крем", "silky swiss meringue"),
    ("кейк-попс", "my cake pops on gold sticks"),
))


def test_her_phrase_is_matched_in_any_word_form_and_spelling():
    [term] = find_terms("два торта «Вишневой поляны» к пятнице", MINE)
    assert (term.ru, term.en, term.personal) == ("Вишневой поляны", MINE.items[0][1], True)
    [term] = find_terms("десяток кейкпопсов", MINE)
    assert term.en == "my cake pops on gold sticks" and term.personal


def test_her_terms_win_over_the_glossary_and_leave_the_rest_to_it():
    text = "фирменный медовик с масляным кремом и безе, рядом обычный медовик"
    source, terms = prepare_source(text, MINE)
    found = {(term.ru, term.en, term.personal) for term in terms}
    assert ("фирменный медовик", "signature honey layer cake with walnut crumb sides", True) in found
    assert ("медовик", "my honey cake", True) in found
    # hers claims «крем» even where the glossary has a longer phrase (масляный крем → buttercream)
    assert ("кремом", "silky swiss meringue", True) in found
    assert ("безе", "meringue kisses", False) in found  # a word she has no term for: the glossary's
    assert "Medovik" not in source and "buttercream" not in source


def test_without_her_terms_the_same_text_gets_the_glossary():
    terms = find_terms("фирменный медовик с масляным кремом")
    assert {(term.en, term.personal) for term in terms} == {("Medovik honey layer cake", False),
                                                             ("buttercream", False)}


def test_another_chef_terms_never_leak_between_calls():
    other = PersonalGlossary(key="8:1", items=(("медовик", "someone else's honey cake"),))
    assert find_terms("медовик", other)[0].en == "someone else's honey cake"
    assert find_terms("медовик", MINE)[0].en == "my honey cake"
    assert find_terms("медовик")[0].en == "Medovik honey layer cake"


def test_her_matcher_is_compiled_once_per_version():
    glossary._personal_matchers.clear()
    first = glossary._personal_matcher(MINE)
    assert glossary._personal_matcher(PersonalGlossary(key="7:1", items=MINE.items)) is first
    changed = PersonalGlossary(key="7:2", items=(("медовик", "new honey cake"),))
    assert glossary._personal_matcher(changed) is not first
    assert find_terms("медовик", changed)[0].en == "new honey cake"


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(glossary, "PERSONAL_CACHE_SIZE", 3)
    glossary._personal_matchers.clear()
    for user in range(5):
        glossary._personal_matcher(PersonalGlossary(key=f"{user}:1", items=(("торт", "cake"),)))
    assert list(glossary._personal_matchers) == ["2:1", "3:1", "4:1"]


@pytest.mark.parametrize(("phrase", "problem"), [
    ("вишнёвая поляна", None), ("торт-цифра", None), ("cherry glade", "нужны русские слова"),
    ("торт (мой)", "только буквы, цифры, пробелы и дефис"), ("", "нужны русские слова"),
])
def test_spelling_problem(phrase, problem):
    assert glossary.spelling_problem(phrase) == problem


@pytest.mark.parametrize(("text_ru", "text_en", "expected"), [
    # transliterated by the model
    ("торт с топинамбуром", "cake with topinambur", ["топинамбур"]),
    ("торт с чак-чаком и курабье", "cake with chak-chak honey dessert and kurabye", ["курабье"]),
    # unknown to the dictionary: the model cannot know it either
    ("капкейкчики с кремом", "cupcakes with cream frosting", ["капкейкчик"]),
    # translated, or a glossary term, or a real English word of the trade: not a miss
    ("торт с ванилью", "cake with vanilla", []),
    ("торт с брусникой", "cake with lingonberries", []),
    ("большой красивый торт", "a big beautiful cake", []),
    # names are never counted: capitalised after the first word, or read as a name
    ("торт для Машеньки", "cake for mashenka", []),
    ("торт Кондитерская Сластёна", "cake konditerskaya slastena", []),
])
def test_misses(text_ru, text_en, expected):
    assert misses(text_ru, text_en) == expected


def test_her_terms_are_not_misses():
    assert misses("торт с курабье", "cake with kurabye") == ["курабье"]
    mine = PersonalGlossary(key="9:1", items=(("курабье", "kurabye butter cookies"),))
    assert misses("торт с курабье", "cake with kurabye butter cookies", mine) == []


def test_translator_keeps_each_chef_apart_in_one_batch_and_in_its_cache(tiny_translator_dir):
    translator = Translator.from_pretrained(tiny_translator_dir)
    other = PersonalGlossary(key="8:1", items=(("медовик", "someone else's honey cake"),))
    mine, theirs, plain = translator.translate(["медовик", "медовик", "медовик"], personal=[MINE, other, None])
    assert "my honey cake" in mine.prompt_en and mine.terms[0].personal
    assert "someone else's honey cake" in theirs.prompt_en
    assert "Medovik honey layer cake" in plain.prompt_en and not plain.terms[0].personal
    calls = translator.generate_calls
    again = translator.translate(["медовик"], personal=[MINE])[0]
    assert again is mine and translator.generate_calls == calls  # served from the cache, under her key
    newer = PersonalGlossary(key="7:2", items=(("медовик", "new honey cake"),))
    assert "new honey cake" in translator.translate(["медовик"], personal=[newer])[0].prompt_en
    with pytest.raises(ValueError):
        translator.translate(["медовик"], personal=[])
