import json
import subprocess
import sys
import threading

import pytest

from tortodelova.pipeline.errors import EmptyPrompt, ModelsMissing, PipelineError, PromptTooLong
from tortodelova.pipeline.glossary import Term
from tortodelova.pipeline.translator import Translation, Translator

ISSUE_EXAMPLE = "нежный двухъярусный торт с мастикой цвета пыльной розы и живыми цветами"


@pytest.fixture(scope="module")
def translator(tiny_translator_dir):
    return Translator.from_pretrained(tiny_translator_dir)


@pytest.fixture
def fresh_translator(tiny_translator_dir):
    """Own instance, for tests that count model calls or fill the cache."""
    return Translator.from_pretrained(tiny_translator_dir)


def test_tiny_model_has_the_real_checkpoint_layout(tiny_translator_dir):
    names = {path.name for path in tiny_translator_dir.iterdir()}
    expected = {"source.spm", "target.spm", "vocab.json", "tokenizer_config.json", "config.json"}
    assert expected | {"generation_config.json", "model.safetensors"} <= names
    vocab = json.loads((tiny_translator_dir / "vocab.json").read_text(encoding="utf-8"))
    assert vocab["</s>"] == 0 and vocab["<unk>"] == 1 and vocab["<pad>"] == len(vocab) - 1


def test_translates_through_marian(translator):
    [translation] = translator.translate(["шоколадный торт"])
    assert translation == Translation(prompt_ru="шоколадный торт", prompt_en="chocolate cake", terms=[])


def test_issue_example_keeps_confectionery_terms(translator):
    [translation] = translator.translate([ISSUE_EXAMPLE])
    for english in ("two-tier", "fondant", "dusty rose", "fresh flowers"):
        assert english in translation.prompt_en
    assert Term(ru="живыми цветами", en="fresh flowers") in translation.terms


def test_batch_keeps_order_and_duplicates(translator):
    texts = ["белый торт с розами", "chocolate cake", "шоколадный торт", "белый торт с розами"]
    english = [translation.prompt_en for translation in translator.translate(texts)]
    assert english == ["white cake with roses", "chocolate cake", "chocolate cake", "white cake with roses"]


def test_sentences_are_translated_separately(translator):
    [translation] = translator.translate(["Шоколадный торт. Белый торт с розами"])
    assert translation.prompt_en == "chocolate cake white cake with roses"


def test_english_is_passed_through_without_the_model(fresh_translator):
    [translation] = fresh_translator.translate(["  Chocolate   drip cake, gold leaf "])
    assert translation.prompt_en == "Chocolate drip cake, gold leaf"
    assert translation.terms == []
    assert fresh_translator.generate_calls == 0


def test_text_fully_covered_by_glossary_skips_the_model(fresh_translator):
    [translation] = fresh_translator.translate(["безе"])
    assert translation.prompt_en == "meringue kisses"
    assert fresh_translator.generate_calls == 0


def test_cache_returns_the_same_translation(fresh_translator):
    [first] = fresh_translator.translate(["шоколадный торт"])
    assert fresh_translator.generate_calls == 1
    [again, other] = fresh_translator.translate(["шоколадный  торт", "ванильный торт"])
    assert again is first
    assert other.prompt_en == "vanilla cake"
    assert fresh_translator.generate_calls == 2  # only ванильный торт went to the model


def test_cache_evicts_least_recently_used(fresh_translator):
    fresh_translator.CACHE_SIZE = 2
    fresh_translator.translate(["шоколадный торт"])
    fresh_translator.translate(["ванильный торт"])
    fresh_translator.translate(["шоколадный торт"])  # refreshes it
    fresh_translator.translate(["белый торт"])  # evicts ванильный торт
    calls = fresh_translator.generate_calls
    fresh_translator.translate(["шоколадный торт"])
    assert fresh_translator.generate_calls == calls
    fresh_translator.translate(["ванильный торт"])
    assert fresh_translator.generate_calls == calls + 1


def test_uses_few_beams_although_checkpoint_asks_for_six(fresh_translator):
    assert fresh_translator.model.generation_config.num_beams == 6
    decoder_batch_sizes = []
    hook = fresh_translator.model.model.decoder.register_forward_hook(
        lambda module, args, kwargs, output: decoder_batch_sizes.append(kwargs["input_ids"].shape[0]),
        with_kwargs=True,
    )
    try:
        fresh_translator.translate(["шоколадный торт"])
    finally:
        hook.remove()
    assert set(decoder_batch_sizes) == {3}


def test_concurrent_calls_share_one_model(fresh_translator):
    texts = ["шоколадный торт", "ванильный торт", "белый торт", "розовый торт"] * 2
    results: dict[int, str] = {}

    def work(index: int) -> None:
        results[index] = fresh_translator.translate([texts[index]])[0].prompt_en

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = ["chocolate cake", "vanilla cake", "white cake", "pink cake"] * 2
    assert [results[index] for index in range(len(texts))] == expected


def test_too_long_text_is_rejected_not_cut(translator):
    translator.check_inputs(["т" * Translator.MAX_CHARS])
    with pytest.raises(PromptTooLong) as caught:
        translator.translate(["шоколадный торт", "т" * (Translator.MAX_CHARS + 1)])
    assert (caught.value.limit, caught.value.length) == (500, 501)
    assert "501" in caught.value.message_ru and "500" in caught.value.message_ru


@pytest.mark.parametrize("text", ["", "   \n "])
def test_empty_text_is_rejected(translator, text):
    with pytest.raises(EmptyPrompt) as caught:
        translator.translate([text])
    assert isinstance(caught.value, PipelineError)
    assert "пуст" in caught.value.message_ru


def test_missing_model_files(tmp_path):
    with pytest.raises(ModelsMissing) as caught:
        Translator.from_pretrained(tmp_path / "opus-mt-ru-en")
    assert any(path.endswith("source.spm") for path in caught.value.missing)
    assert "download_models.py" in caught.value.message_ru


def test_num_beams_is_bounded(translator):
    with pytest.raises(ValueError, match="num_beams has to be between 1 and 4 but is 6"):
        Translator(translator.model, translator.tokenizer, num_beams=6)


def test_web_side_modules_do_not_import_torch():
    code = (
        "import sys; import tortodelova.pipeline.translator, tortodelova.pipeline.prompts;"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_sentence_shared_by_two_texts_keeps_every_translation_in_place(fresh_translator):
    """Issue 23: the batch translates each distinct sentence once; a sentence that two texts share (first here) no
    longer shifts the translations of the sentences after it."""
    first, second = fresh_translator.translate(["шоколадный торт", "шоколадный торт. белый торт"])
    assert first.prompt_en == "chocolate cake"
    assert second.prompt_en == "chocolate cake white cake"
