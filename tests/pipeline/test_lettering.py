"""The inscription layer: drawn on images made by the tiny models and read back by OCR; refusals in Russian."""
import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from tests.ocr import read_back, similarity, tesseract_or_skip
from tortodelova.pipeline import lettering
from tortodelova.pipeline.lettering import FontMissing, LetteringError

# Script lettering is harder for tesseract than print: it must still read most of the letters.
MIN_SIMILARITY = {"sans": 0.9, "serif": 0.9, "script": 0.6}


@pytest.fixture(scope="module")
def cake(tiny_models_dir) -> Image.Image:
    """A picture from the real pipeline on the tiny models: busy noise, the hardest background to letter on."""
    from tortodelova.pipeline.generator import CakeGenerator, ImageRequest

    generator = CakeGenerator.from_pretrained(tiny_models_dir, device="cpu")
    request = ImageRequest(prompt="a cake", negative_prompt="", width=512, height=512, seeds=[3], steps=2)
    return generator(request).images[0]


@pytest.fixture(scope="module", autouse=True)
def ocr():
    tesseract_or_skip()


@pytest.mark.parametrize("position", list(lettering.POSITIONS))
@pytest.mark.parametrize("font", list(lettering.FACES))
def test_lettering_is_read_back_by_ocr(cake, font, position):
    colors = list(lettering.COLOURS)
    color = colors[(list(lettering.FACES).index(font) + list(lettering.POSITIONS).index(position)) % len(colors)]
    spec = lettering.inscription("С юбилеем, Анна!", font=font, color=color, position=position)

    lettered = lettering.draw(cake, spec)

    assert similarity("С юбилеем, Анна!", read_back(lettered, color=color, position=position)) >= MIN_SIMILARITY[font]
    # Nothing to read on the picture without the layer.
    assert similarity("С юбилеем, Анна!", read_back(cake, color=color, position=position)) < 0.5


@pytest.mark.parametrize("color", list(lettering.COLOURS))
def test_every_colour_reads_on_the_same_cake(cake, color):
    spec = lettering.inscription("Анна и Иван", font="sans", color=color, position="center")
    assert similarity("Анна и Иван", read_back(lettering.draw(cake, spec), color=color, position="center")) >= 0.9


def test_the_layer_stays_in_its_region_and_the_plain_image_is_untouched(cake):
    before = np.asarray(cake).copy()
    spec = lettering.inscription("С днём рождения", font="serif", color="white", position="bottom")

    lettered = np.asarray(lettering.draw(cake, spec), dtype=np.int16)

    assert np.array_equal(np.asarray(cake), before)
    left, top, right, bottom = lettering.region(cake.size, "bottom")
    changed = np.abs(lettered - before.astype(np.int16)).max(axis=2) > 0
    assert changed[top:bottom, left:right].mean() > 0.05
    margin = 12  # the soft shadow may spill a few pixels past the box
    changed[max(0, top - margin):bottom + margin, max(0, left - margin):right + margin] = False
    assert not changed.any()


def test_forty_characters_wrap_onto_several_lines_and_fit(cake):
    text = "С днём рождения, дорогая бабушка Катя!!"
    spec = lettering.inscription(text + "!", font="sans", color="black", position="top")
    layer = lettering.render_layer(cake.size, spec)
    left, top, right, bottom = lettering.region(cake.size, "top")

    ink = np.asarray(layer)[..., 3] > 0
    rows = np.flatnonzero(ink.any(axis=1))
    columns = np.flatnonzero(ink.any(axis=0))

    assert len(spec.text) == lettering.MAX_CHARS
    assert top - 12 <= rows[0] and rows[-1] <= bottom + 12
    assert left - 12 <= columns[0] and columns[-1] <= right + 12
    assert similarity(spec.text, read_back(lettering.draw(cake, spec), color="black", position="top")) >= 0.8


def test_size_is_fitted_to_the_text_and_the_image():
    def ink_height(text, size):
        layer = lettering.render_layer(size, lettering.inscription(text, font="sans", position="center"))
        rows = np.flatnonzero(np.asarray(layer)[..., 3].any(axis=1))
        return rows[-1] - rows[0]

    assert ink_height("Маша", (512, 512)) > ink_height("С днём рождения, Маша и Паша", (512, 512))
    assert ink_height("Маша", (768, 768)) > ink_height("Маша", (512, 512))


def test_too_long_text_is_refused_in_russian():
    with pytest.raises(LetteringError, match="слишком длинная: 41 символов, можно не больше 40"):
        lettering.inscription("а" * 41)


@pytest.mark.parametrize("text, shown", [("С днём рождения 🎂", "«🎂»"), ("Люблю ❤️", "U+FE0F"),
                                         ("Маша\u200dПаша", "U+200D"), ("Торт ♞", "«♞»")])
def test_emoji_and_unsupported_characters_are_refused_not_drawn_as_boxes(text, shown):
    for font in lettering.FACES:
        with pytest.raises(LetteringError, match="нельзя нарисовать") as error:
            lettering.inscription(text, font=font)
        assert shown in error.value.message_ru


def test_cyrillic_punctuation_and_digits_are_accepted_by_every_face():
    for font in lettering.FACES:
        spec = lettering.inscription("  Ёлка, 25 лет — «Ура!»?\n", font=font)
        assert spec.text == "Ёлка, 25 лет — «Ура!»?"


@pytest.mark.parametrize("field, value", [("font", "comic"), ("color", "green"), ("position", "left"),
                                          ("font", 3)])
def test_unknown_choices_are_refused_with_the_valid_ones(field, value):
    with pytest.raises(LetteringError, match="нет такого варианта; можно"):
        lettering.inscription("Маша", **{field: value})


@pytest.mark.parametrize("text", ["", "   ", None, 42])
def test_empty_or_non_text_is_refused(text):
    with pytest.raises(LetteringError, match="Надпись"):
        lettering.inscription(text)


def test_defaults_are_script_gold_on_the_plaque():
    assert lettering.inscription("Маша").as_dict() == {"text": "Маша", "font": "script", "color": "gold",
                                                       "position": "plaque"}


def test_missing_font_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setattr(lettering, "FONT_DIRS", (tmp_path,))
    with pytest.raises(FontMissing, match="apt-get install fonts-urw-base35"):
        lettering.inscription("Маша", font="script")


def test_letter_png_keeps_the_generation_parameters(cake):
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cake, Steps: 2")
    buffer = io.BytesIO()
    cake.save(buffer, format="PNG", pnginfo=info)

    lettered = Image.open(io.BytesIO(lettering.letter_png(buffer.getvalue(), lettering.inscription("Маша"))))

    assert lettered.text["parameters"] == "a cake, Steps: 2"
    assert lettered.text["inscription"] == "Маша"
    assert lettered.size == cake.size


def test_decomposed_cyrillic_is_composed_before_the_glyph_check():
    assert lettering.inscription("Сергеи\u0306").text == "Сергей"
