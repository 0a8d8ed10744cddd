import pytest

from tortodelova.pipeline.glossary import Term, find_terms, fix_translation, prepare_source
from tortodelova.pipeline.glossary_data import load_glossary

ISSUE_EXAMPLE = "нежный двухъярусный торт с мастикой цвета пыльной розы и живыми цветами"


@pytest.mark.parametrize(
    ("text", "ru", "en"),
    [
        ("торт с мастикой", "мастикой", "fondant"),
        ("обтянут сахарной мастикой", "обтянут сахарной мастикой", "fondant-covered"),
        ("торт, обтянутый мастикой", "обтянутый мастикой", "fondant-covered"),
        ("три яруса", "яруса", "tiers"),
        ("украсить ярусами", "ярусами", "tiers"),
        ("на верхнем ярусе", "ярусе", "tier"),
        ("трёхъярусный торт", "трёхъярусный торт", "three-tier cake"),
        ("Трехъярусного торта", "Трехъярусного торта", "three-tier cake"),
        ("двухъярусном", "двухъярусном", "two-tier"),
        ("2-х ярусный торт", "2-х ярусный торт", "two-tier cake"),
        ("с живыми цветами", "живыми цветами", "fresh flowers"),
        ("живой цветок сверху", "живой цветок", "fresh flowers"),
        ("с безе", "безе", "meringue kisses"),
        ("меренгами", "меренгами", "meringue"),
        ("пудрового цвета", "пудрового", "dusty pink"),
        ("цвета пыльной розы", "пыльной розы", "dusty rose"),
        ("в цвете айвори", "айвори", "ivory"),
        ("мятного оттенка", "мятного", "mint green"),
        ("с масляным кремом", "масляным кремом", "buttercream"),
        ("с крем-чизом", "крем-чизом", "cream cheese frosting"),
        ("заварного крема", "заварного крема", "custard"),
        ("шоколадным ганашем", "шоколадным ганашем", "chocolate ganache"),
        ("с ганашем", "ганашем", "ganache"),
        ("зеркальной глазурью", "зеркальной глазурью", "mirror glaze"),
        ("покрыт велюром", "велюром", "velvet spray finish"),
        ("с подтёками", "подтёками", "drip"),
        ("с подтеками", "подтеками", "drip"),
        ("коржей", "коржей", "cake layers"),
        ("бисквитом", "бисквитом", "sponge cake"),
        ("с вафельной картинкой", "вафельной картинкой", "edible wafer paper print"),
        ("фигурками из мастики", "фигурками из мастики", "fondant figurines"),
        ("с кремовыми цветами", "кремовыми цветами", "piped buttercream flowers"),
        ("сахарными цветами", "сахарными цветами", "gum paste sugar flowers"),
        ("сусальным золотом", "сусальным золотом", "edible gold leaf"),
        ("с поталью", "поталью", "edible gold leaf"),
        ("с кандурином", "кандурином", "edible luster dust"),
        ("сахарными бусинами", "сахарными бусинами", "sugar pearls"),
        ("с посыпкой", "посыпкой", "sprinkles"),
        ("с рюшами", "рюшами", "ruffles"),
        ("капкейки", "капкейки", "cupcakes"),
        ("один капкейк", "капкейк", "cupcake"),
        ("пряниками", "пряниками", "decorated gingerbread cookies"),
        ("три капкейка", "капкейка", "cupcakes"),
        ("кап-кейками", "кап-кейками", "cupcakes"),
        ("кейк-попсы", "кейк-попсы", "cake pops"),
        ("с чиз-кейком", "чиз-кейком", "cheesecake"),
        ("чизкейка", "чизкейка", "cheesecake"),
        ("торт цвета крем", "цвета крем", "cream-colored"),
        ("кремового цвета", "кремового цвета", "cream-colored"),
        ("с кремом", "кремом", "cream frosting"),
        ("кремовые розы", "кремовые розы", "piped buttercream flowers"),
        ("торта Павловой", "торта Павловой", "Pavlova meringue cake"),
        ("птичьего молока", "птичьего молока", "Ptichye Moloko souffle cake with chocolate glaze"),
        ("мраморной глазурью", "мраморной глазурью", "marbled glaze"),
        ("с рваными краями", "рваными краями", "torn edges"),
        ("с айсингом", "айсингом", "royal icing"),
        ("с макаронсами", "макаронсами", "French macarons"),
        ("кейк-попсы", "кейк-попсы", "cake pops"),
        ("бенто-торта", "бенто-торта", "bento cake"),
        ("торта-цифры", "торта-цифры", "number cake"),
        ("муссового торта", "муссового торта", "mousse cake (entremet)"),
        ("полуголый торт", "полуголый торт", "semi-naked cake"),
        ("голого торта", "голого торта", "naked cake"),
        ("топпером", "топпером", "cake topper"),
        ("из изомальта", "изомальта", "isomalt"),
        ("с зефиром", "зефиром", "zefir (pastel marshmallow)"),
        ("с помадкой", "помадкой", "poured fondant icing"),
    ],
)
def test_word_forms(text, ru, en):
    assert find_terms(text) == [Term(ru=ru, en=en)]


def test_longest_phrase_wins():
    assert find_terms("торт с масляным кремом") == [Term(ru="масляным кремом", en="buttercream")]
    assert find_terms("кремовые цветы") == [Term(ru="кремовые цветы", en="piped buttercream flowers")]
    assert find_terms("бисквитный корж") == [Term(ru="бисквитный корж", en="sponge cake layer")]
    assert find_terms("шоколадным подтёком") == [Term(ru="шоколадным подтёком", en="chocolate drip")]


def test_a_hyphenated_compound_is_not_cut_by_a_longer_phrase():
    assert find_terms("покрытие крем-чиз") == [Term(ru="крем-чиз", en="cream cheese frosting")]
    assert find_terms("бело-мятный") == [Term(ru="мятный", en="mint green")]  # a part alone still counts


def test_a_quoted_cake_name_takes_its_closing_quote():
    source, terms = prepare_source("торт «Прага» с вишней")
    assert source == "Praga chocolate cake with glossy chocolate glaze с sour cherries"
    assert terms == [Term(ru="торт «Прага»", en="Praga chocolate cake with glossy chocolate glaze"),
                     Term(ru="вишней", en="sour cherries")]


def test_a_comma_ends_a_phrase():
    assert [term.en for term in find_terms("крем, чиз")] == ["cream frosting"]
    assert [term.en for term in find_terms("голый, торт")] == []


def test_context_decides_what_krem_is():
    terms = find_terms("торт цвета крем с заварным кремом, кремовый декор и кремовый бант")
    expected = ["cream-colored", "custard", "buttercream decorations", "cream-colored", "bow"]
    assert [term.en for term in terms] == expected


@pytest.mark.parametrize(
    "text",
    [
        "без сахара",  # "без" is not безе
        "голый король",  # голый alone is not a term, голый торт is
        "розового цвета",  # цвета is colour, not flowers
        "ярусный",  # no numeral: not a known term on its own
        "chocolate cake with fondant",
    ],
)
def test_no_false_terms(text):
    assert find_terms(text) == []


def test_terms_mid_sentence_keep_the_rest():
    source, terms = prepare_source("Белый торт, обтянутый мастикой, с живыми цветами сверху.")
    assert source == "Белый торт, fondant-covered, с fresh flowers сверху."
    assert [term.en for term in terms] == ["fondant-covered", "fresh flowers"]


def test_issue_example():
    source, terms = prepare_source(ISSUE_EXAMPLE)
    for english in ("two-tier", "fondant", "dusty rose", "fresh flowers"):
        assert english in source
    assert [term.ru for term in terms] == ["двухъярусный торт", "мастикой", "пыльной розы", "живыми цветами"]
    assert all(term.ru in ISSUE_EXAMPLE for term in terms)


def test_every_glossary_spelling_is_found_as_itself():
    for entry in load_glossary():
        for spelling in entry.ru:
            terms = find_terms(f"торт и {spelling} сверху")
            assert [term.en for term in terms] in ([entry.en], [entry.en_plural]), spelling


def test_fix_translation_rewrites_mt_mistakes():
    text = "Two-storey cake with mastic, biscuit and living flowers"
    assert fix_translation(text, []) == "two-tier cake with fondant, sponge cake and fresh flowers"


@pytest.mark.parametrize(
    ("english", "fixed"),
    [
        ("Cake with oil cream and smudges", "Cake with buttercream and drips"),
        ("Cake for discharge from the maternity hospital", "Cake for newborn welcome home celebration"),
        ("three storeys with waffle paper", "three tiers with wafer paper"),
        ("Bird's milk cake", "Ptichye Moloko souffle cake"),
    ],
)
def test_fix_translation_rewrites_the_new_trade_mistakes(english, fixed):
    assert fix_translation(english, []) == fixed


def test_fix_translation_appends_dropped_terms_once():
    terms = [Term(ru="мастикой", en="fondant"), Term(ru="безе", en="meringue kisses")]
    assert fix_translation("A white cake with fondant.", terms) == "A white cake with fondant, meringue kisses"


def test_fix_translation_collapses_doubled_words():
    assert fix_translation("bento cake cake", []) == "bento cake"


FORMS = {
    "gum paste sugar flowers": (
        "сахарный цветок, сахарного цветка, сахарному цветку, сахарным цветком, сахарном цветке, сахарные "
        "цветы, сахарных цветов, сахарным цветам, сахарными цветами, сахарных цветах, сахарная флористика из "
        "мастики"
    ),
    "mirror glaze": (
        "зеркальная глазурь, зеркальной глазури, зеркальную глазурь, зеркальной глазурью, зеркальные глазури, "
        "зеркальных глазурей, зеркальными глазурями, гляссажем, гляссажа, глассажем"
    ),
    "dusty rose": (
        "пыльная роза, пыльной розы, пыльную розу, пыльной розой, пыльные розы, пыльных роз, пыльными розами, "
        "пыльно-розовый, пыльно-розовая, пыльно-розовое, пыльно-розовыми"
    ),
    "dusty pink": (
        "пудровый, пудровая, пудровое, пудровые, пудрового, пудровой, пудровому, пудровым, пудровыми, "
        "пудровых"
    ),
    "fondant": (
        "мастика, мастики, мастике, мастику, мастикой, мастичный, мастичная, мастичное, мастичные, мостикой"
    ),
    "three-tier cake": (
        "трёхъярусный торт, трехъярусный торт, трёхъярусного торта, трехъярусному торту, трёхъярусным тортом, "
        "трёхъярусные торты, 3-ярусный торт, 3-х ярусный торт, 3х ярусный торт, трёх ярусный торт"
    ),
    "drip": (
        "подтёк, подтек, подтёки, подтеки, подтёками, подтеками, подтёков, дрип, дрипом"
    ),
    "cheesecake": (
        "чизкейк, чизкейка, чизкейком, чизкейки, чиз-кейк, чиз кейк, чиз-кейком, чизкэйк, чискейк"
    ),
    "cupcakes": (
        "капкейки, капкейков, капкейками, капкейках, кап-кейки, кап-кейками, кап кейки, капкэйки"
    ),
    "cream-colored": (
        "кремовый, кремовая, кремовое, кремовых, цвета крем, цвет крем, кремового цвета, кремовым цветом"
    ),
}


@pytest.mark.parametrize(
    ("en", "form"),
    [(en, form.strip()) for en, forms in FORMS.items() for form in forms.split(",")],
)
def test_every_case_number_gender_and_spelling(en, form):
    assert [term.en for term in find_terms(f"Хочу торт: {form} сверху")] == [en]
