"""«Мои термины» and the missing-words counter on SQLite and PostgreSQL: validation with Russian messages, versions,
the export, and counts that add up (also when workers count the same new word at once)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from tortodelova.billing import onboarding
from tortodelova.errors import InvalidInput
from tortodelova.terms import misses
from tortodelova.terms import service as terms
from tortodelova.terms.models import GlossaryMiss, PersonalTerms


@pytest.fixture(params=["local"])
def storage_settings(request):
    return {}


def make_user(services, settings, email):
    with services.session() as session:
        return onboarding.register(session=session, settings=settings, email=email, password="password-123").id


def test_save_read_version_and_export(services, settings):
    chef = make_user(services, settings, "chef@example.com")
    other = make_user(services, settings, "other@example.com")
    with services.session() as session:
        assert terms.get_terms(session=session, user_id=chef) == []
        assert terms.personal_glossary(session=session, user_id=chef) is None
        saved = terms.replace_terms(session=session, user_id=chef, items=[
            {"ru": "  «Вишнёвая   поляна» ", "en": " Cherry Glade  cake "},
            {"ru": "фирменный медовик", "en": "signature honey cake"}])
        assert saved == [{"ru": "Вишнёвая поляна", "en": "Cherry Glade cake"},
                         {"ru": "фирменный медовик", "en": "signature honey cake"}]
        first = terms.personal_glossary(session=session, user_id=chef)
        assert first.key.startswith(f"{chef}:1:") and first.items[0] == ("Вишнёвая поляна", "Cherry Glade cake")
        # the same list again is not a new version (the compiled matcher stays); a change is
        terms.replace_terms(session=session, user_id=chef, items=saved)
        assert terms.personal_glossary(session=session, user_id=chef).key == first.key
        terms.replace_terms(session=session, user_id=chef, items=saved[:1])
        second = terms.personal_glossary(session=session, user_id=chef).key
        assert second.startswith(f"{chef}:2:") and second.split(":")[2] != first.key.split(":")[2]
        assert terms.terms_for_export(session, chef) == saved[:1]
        assert terms.terms_for_export(session, other) == []
        assert terms.personal_glossary(session=session, user_id=other) is None
        assert terms.personal_glossary(session=session, user_id=None) is None
        terms.replace_terms(session=session, user_id=chef, items=[])
        assert terms.get_terms(session=session, user_id=chef) == []
        assert terms.personal_glossary(session=session, user_id=chef) is None


def test_two_hundred_terms_fit_and_the_201st_does_not(services, settings):
    chef = make_user(services, settings, "chef@example.com")
    words = ["торт", "крем", "бисквит", "роза", "ягода", "корж", "цветок", "бант", "шар", "пряник", "лист", "мусс",
             "звезда", "сердце", "облако", "луна", "солнце", "корона", "замок", "дом"]
    adjectives = ["мой", "наш", "фирменный", "летний", "зимний", "осенний", "весенний", "домашний", "праздничный",
                  "детский"]
    items = [{"ru": f"{adjective} {word}", "en": f"house style {index}"}
             for index, (adjective, word) in enumerate((a, w) for a in adjectives for w in words)]
    assert len(items) == 200
    with services.session() as session:
        assert len(terms.replace_terms(session=session, user_id=chef, items=items)) == 200
        with pytest.raises(InvalidInput, match="не больше 200 терминов, а их 201"):
            terms.replace_terms(session=session, user_id=chef, items=items + [{"ru": "кекс", "en": "muffin"}])
        assert len(terms.get_terms(session=session, user_id=chef)) == 200  # nothing half-saved




@pytest.mark.parametrize(("items", "message"), [
    ("медовик", "Ожидается список терминов"),
    ([["медовик", "honey cake"]], "Термин 1: нужны ровно два поля"),
    ([{"ru": "медовик", "en": "honey cake", "extra": 1}], "Термин 1: нужны ровно два поля"),
    ([{"ru": 5, "en": "honey cake"}], "Термин 1: русская фраза должна быть текстом"),
    ([{"ru": "  ", "en": "honey cake"}], "Термин 1: напишите русское слово или фразу"),
    ([{"ru": "honey", "en": "honey cake"}], "нужны русские слова"),
    ([{"ru": "торт (мой)", "en": "my cake"}], "только буквы, цифры, пробелы и дефис"),
    ([{"ru": "медовик\x00", "en": "honey cake"}], "недопустимые символы"),
    ([{"ru": "очень " * 12 + "торт", "en": "cake"}], "слишком длинно"),
    ([{"ru": "раз два три четыре пять шесть семь", "en": "cake"}], "не больше 6 слов"),
    ([{"ru": "медовик", "en": ""}], "напишите, как это сказать по-английски"),
    ([{"ru": "медовик", "en": None}], "английское описание должно быть текстом"),
    ([{"ru": "медовик", "en": "медовый торт"}], "только латинские буквы (ASCII)"),
    ([{"ru": "медовик", "en": "crème cake"}], "только латинские буквы (ASCII)"),
    ([{"ru": "медовик", "en": "(honey cake:1.8)"}], "скобки, двоеточия и прочая разметка промпта не нужны"),
    ([{"ru": "медовик", "en": "honey cake <lora:x>"}], "скобки, двоеточия"),
    ([{"ru": "медовик", "en": "a" * 151}], "слишком длинное (151 символов, можно до 150)"),
    # 123 characters, but about 49 CLIP tokens: commas and short words each take one
    ([{"ru": "медовик", "en": ", ".join(["red"] * 25)}], "около 49 токенов CLIP, а на один термин можно до 30"),
    ([{"ru": "медовик", "en": "honey cake"}, {"ru": "Медовика", "en": "other"}],
     "Термин 2 («Медовика») повторяет термин 1 («медовик»)"),
    ([{"ru": "торт-цифра", "en": "number cake"}, {"ru": "торт цифра", "en": "other"}], "повторяет термин 1"),
])
def test_bad_terms_are_refused_in_russian(items, message):
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        terms.clean_items(items)


def test_a_refusal_keeps_the_saved_list(services, settings):
    chef = make_user(services, settings, "chef@example.com")
    with services.session() as session:
        terms.replace_terms(session=session, user_id=chef, items=[{"ru": "старый", "en": "old"}])
        with pytest.raises(InvalidInput, match="повторяет термин 1"):
            terms.replace_terms(session=session, user_id=chef, items=[{"ru": "новый", "en": "new"},
                                                                      {"ru": "новые", "en": "other"}])
        assert terms.get_terms(session=session, user_id=chef) == [{"ru": "старый", "en": "old"}]


def test_an_english_within_the_clip_budget_is_accepted(services, settings):
    chef = make_user(services, settings, "chef@example.com")
    english = "tall chocolate cake with cherries, whipped cream rosettes and dark chocolate shavings on the sides"
    with services.session() as session:
        assert terms.replace_terms(session=session, user_id=chef, items=[{"ru": "вишнёвая поляна", "en": english}])


def test_terms_go_with_the_account(services, settings):
    from tortodelova.accounts.models import User

    chef = make_user(services, settings, "chef@example.com")
    with services.session() as session:
        terms.replace_terms(session=session, user_id=chef, items=[{"ru": "медовик", "en": "honey cake"}])
        session.delete(session.get(User, chef))
        session.commit()
        assert session.scalars(select(PersonalTerms)).all() == []


def test_the_missing_words_counter(services):
    with services.session() as session:
        misses.record(session=session, lemmas=["топинамбур", "курабье", "топинамбур"])  # once per prompt
        misses.record(session=session, lemmas=["курабье"])
        misses.record(session=session, lemmas=["курабье", ""])
        misses.record(session=session, lemmas=[])
        top = misses.top(session=session)
    assert top["total"] == 2
    assert [(item["lemma"], item["count"]) for item in top["items"]] == [("курабье", 3), ("топинамбур", 1)]
    assert top["items"][0]["first_seen"] <= top["items"][0]["last_seen"]
    with services.session() as session:
        assert [item["lemma"] for item in misses.top(session=session, limit=1, offset=1)["items"]] == ["топинамбур"]
        # only lemmas and counts are kept: the table has no other columns
        assert set(GlossaryMiss.__table__.columns.keys()) == {"lemma", "count", "first_seen", "last_seen"}


def test_workers_counting_the_same_new_word_at_once_lose_no_count(services):
    def count(_):
        with services.session() as session:
            misses.record(session=session, lemmas=["облепишка"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(count, range(12)))
    with services.session() as session:
        assert session.get(GlossaryMiss, "облепишка").count == 12
