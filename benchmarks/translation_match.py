"""Does CTranslate2 reproduce the service's transformers translation token for token? (issue 14, item 4)

    python -m benchmarks.translation_match

Builds the tiny opus-mt look-alike (the one the translator tests use), converts it with CTranslate2's official
converter (int8 and float32) and decodes every training phrase plus the tests' phrases both ways with the service's
settings (3 beams, the same length cap), comparing the target tokens. Adopting CTranslate2 was conditional on an
exact match.
"""

import tempfile
from pathlib import Path

import torch

TEST_PHRASES = ("шоколадный торт", "Белый торт с розами", "безе", "ванильный торт", "двухъярусный свадебный торт")


def main() -> int:
    import ctranslate2
    from ctranslate2.converters import TransformersConverter
    from transformers import MarianMTModel, MarianTokenizer

    from tortodelova.pipeline.translator import Translator
    from tortodelova.testing.tiny_translator import PAIRS, build_tiny_translator

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "opus-mt-ru-en"
        build_tiny_translator(source)
        tokenizer = MarianTokenizer.from_pretrained(source)
        service = Translator.from_pretrained(source)
        model = MarianMTModel.from_pretrained(source).eval()
        phrases = list(dict.fromkeys([ru for ru, _ in PAIRS] + list(TEST_PHRASES)))
        for quantization in ("int8", "float32"):
            target = Path(tmp) / f"ct2-{quantization}"
            TransformersConverter(str(source)).convert(str(target), quantization=quantization)
            translator = ctranslate2.Translator(str(target), device="cpu", compute_type=quantization)
            different = []
            for phrase in phrases:
                batch = tokenizer([phrase], return_tensors="pt")
                cap = min(256, int(batch["input_ids"].shape[1] * 1.5) + 10)
                with torch.inference_mode():
                    ids = model.generate(**batch, num_beams=service.num_beams, max_new_tokens=cap, max_length=None)
                expected = tokenizer.convert_ids_to_tokens(ids[0], skip_special_tokens=True)
                tokens = tokenizer.convert_ids_to_tokens(tokenizer.encode(phrase))
                result = translator.translate_batch([tokens], beam_size=service.num_beams, max_decoding_length=cap)
                if result[0].hypotheses[0] != expected:
                    different.append((phrase, expected, result[0].hypotheses[0]))
            print(f"CTranslate2 {quantization}: {len(phrases) - len(different)} of {len(phrases)} phrases identical")
            for phrase, expected, actual in different[:3]:
                print(f"  {phrase!r}: transformers {''.join(expected)!r}, ctranslate2 {''.join(actual)!r}")
        decoder_start = tokenizer.convert_ids_to_tokens(model.config.decoder_start_token_id)
        print(f"transformers starts decoding from {decoder_start!r}; CTranslate2's Marian conversion starts from "
              f"'</s>' and has no {decoder_start!r} row in its vocabulary")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
