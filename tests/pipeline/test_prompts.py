import re

import pytest

from tortodelova.pipeline.errors import PipelineError
from tortodelova.pipeline.prompts import (
    BASE_NEGATIVE,
    CLIP_MAX_TOKENS,
    DEFAULT_STYLE,
    PLAQUE,
    STYLES,
    UnknownStyle,
    build_prompt,
    count_tokens,
    extract_inscription,
)

CAKE = "delicate two-tier cake with dusty rose fondant and fresh flowers"
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@pytest.fixture(scope="module")
def char_clip_tokenizer():
    """A real CLIPTokenizer whose vocabulary has single characters only: one token per character."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in sorted(ByteLevel.alphabet()):
        vocab.setdefault(char, len(vocab))
        vocab.setdefault(char + "</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[])


def test_style_ids_and_default():
    assert list(STYLES) == ["classic", "wedding", "kids", "minimal", "themed", "bento", "rustic", "mousse"]
    assert DEFAULT_STYLE in STYLES


@pytest.mark.parametrize("style_id", list(STYLES))
def test_every_style_builds(style_id):
    style = STYLES[style_id]
    assert CYRILLIC.search(style.title) and CYRILLIC.search(style.description)
    built = build_prompt(CAKE, style=style_id)
    assert built.prompt.startswith(CAKE + ", professional food photography of a cake, ")
    assert style.positive in built.prompt
    assert built.prompt.endswith("realistic")
    assert built.negative_prompt.startswith(style.negative)
    assert built.negative_prompt.endswith(BASE_NEGATIVE)
    assert not built.truncated
    assert count_tokens(built.prompt) <= CLIP_MAX_TOKENS


def test_unknown_style_lists_valid_ones():
    with pytest.raises(UnknownStyle) as caught:
        build_prompt(CAKE, style="gothic")
    assert isinstance(caught.value, PipelineError)
    assert "«gothic»" in caught.value.message_ru
    assert all(style_id in caught.value.message_ru for style_id in STYLES)


def test_long_content_is_kept_first_and_flagged():
    content = ", ".join(f"{color} roses" for color in ["red", "white", "pink", "yellow", "peach"] * 4)
    built = build_prompt(content, style="wedding")
    assert built.truncated
    assert built.prompt.startswith("red roses, white roses")
    assert STYLES["wedding"].positive not in built.prompt
    assert count_tokens(built.prompt) <= CLIP_MAX_TOKENS


def test_one_word_over_the_budget_leaves_the_style_not_an_empty_prompt(char_clip_tokenizer):
    # A degenerate translation (one endless "word", as the tiny translator writes for «Нежный торт с клубникой и
    # мятой») used to be cut to "", and the generator refused the job with "prompt has to be a non-empty string".
    built = build_prompt("whelic" + "ac" * 200, style="wedding", tokenizer=char_clip_tokenizer)
    assert built.truncated and built.prompt
    assert "whelic" not in built.prompt and "photography of a cake" in built.prompt
    assert count_tokens(built.prompt, char_clip_tokenizer) <= CLIP_MAX_TOKENS


def test_style_fragments_give_way_before_content():
    content = " ".join(["chocolate cake with berries"] * 8)
    built = build_prompt(content, style="classic")
    assert built.truncated
    assert built.prompt.startswith(content)
    assert "realistic" not in built.prompt


def test_exact_count_with_a_clip_tokenizer(char_clip_tokenizer):
    assert count_tokens("cake, roses", char_clip_tokenizer) == 12  # 10 characters + start + end
    estimated = build_prompt(CAKE, style="classic")
    exact = build_prompt(CAKE, style="classic", tokenizer=char_clip_tokenizer)
    assert not estimated.truncated
    assert exact.truncated  # 65 characters of content leave room for very little else
    assert exact.prompt.startswith(CAKE)
    assert count_tokens(exact.prompt, char_clip_tokenizer) <= CLIP_MAX_TOKENS


def test_inscription_becomes_a_blank_plaque():
    text_ru, inscription = extract_inscription("Белый торт с надписью «С днём рождения, Маша» и живыми цветами")
    assert (text_ru, inscription) == ("Белый торт с живыми цветами", "С днём рождения, Маша")
    built = build_prompt("white cake with fresh flowers", style="kids", inscription=inscription)
    assert built.prompt.startswith(f"white cake with fresh flowers, {PLAQUE}, ")
    assert built.inscription == "С днём рождения, Маша"
    assert "Маша" not in built.prompt and not CYRILLIC.search(built.prompt)
    assert "text" in built.negative_prompt


@pytest.mark.parametrize(
    ("text", "rest", "inscription"),
    [
        ('надпись "С днём рождения, Маша"', "", "С днём рождения, Маша"),
        ("торт с розами, надпись «С юбилеем», белый", "торт с розами, белый", "С юбилеем"),
        ("торт с надписью “Люблю тебя”", "торт", "Люблю тебя"),
        ("торт с надписью „Ура“ сверху", "торт сверху", "Ура"),
        ("торт, надпись: С днём рождения, Маша!", "торт", "С днём рождения, Маша!"),
        ("торт, надпись: Маше 5 лет, с розами", "торт, с розами", "Маше 5 лет"),
        ("надпись на торте — С юбилеем; белый торт", "белый торт", "С юбилеем"),
        ("торт с текстурой дерева", "торт с текстурой дерева", None),
        ("торт без надписи", "торт без надписи", None),
    ],
)
def test_extract_inscription(text, rest, inscription):
    assert extract_inscription(text) == (rest, inscription)


def test_untranslated_cyrillic_is_dropped_from_prompt():
    built = build_prompt("chocolate cake with торт leftovers", style="minimal")
    assert built.prompt.startswith("chocolate cake with leftovers, ")


def test_negative_extra_comes_first_without_duplicates():
    built = build_prompt(CAKE, style="rustic", negative_extra="candles, people, fondant")
    items = built.negative_prompt.split(", ")
    # The chef's own items first, in order; one the built-in negatives already hold ("people") is not repeated.
    assert items[:2] == ["candles", "fondant"]
    assert items.count("people") == 1
    assert len(items) == len(set(items))
